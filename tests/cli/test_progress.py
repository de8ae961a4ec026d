"""The progress line of `winlang run`: drawn in place on a terminal, silent when piped."""

from __future__ import annotations

import io

from winlang.cli.progress import ProgressLine


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_line_is_redrawn_and_ends_with_a_newline():
    screen = Terminal()
    progress = ProgressLine(screen, interval=0)
    progress.evaluated(20_000)
    progress("planned", 500, 1_000)
    progress("sent", 120, 0)
    progress.close()
    frames = screen.getvalue().split("\r\x1b[2K")
    assert frames[-1] == "evaluated 20,000 customers · planned 500/1,000 · sent 120\n"


def test_piped_output_gets_no_progress_at_all():
    pipe = io.StringIO()
    progress = ProgressLine(pipe, interval=0)
    progress.evaluated(5)
    progress("sent", 1, 0)
    progress.close()
    assert pipe.getvalue() == ""
