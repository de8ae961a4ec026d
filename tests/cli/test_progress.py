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


def test_each_stage_shows_its_rate_from_its_first_report():
    now = [100.0]
    screen = Terminal()
    progress = ProgressLine(screen, interval=0, clock=lambda: now[0])
    progress("sent", 0, 0)
    now[0] += 0.2
    progress("sent", 500, 0)  # too early to tell a rate
    assert screen.getvalue().split("\r\x1b[2K")[-1] == "sent 500"
    now[0] += 1.8
    progress("sent", 13_000, 0)
    assert screen.getvalue().split("\r\x1b[2K")[-1] == "sent 13,000 (6,500/s)"
