"""`winlang serve` on the command line: without the `serve` extra it names the extra in one
line (exit 2); its options are checked before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from winlang.cli import cli


def test_without_the_extra_the_error_names_it(tmp_path: Path):
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "starlette.py").write_text("raise ImportError('no starlette')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "fake")}
    done = subprocess.run(
        [sys.executable, "-m", "winlang", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "winlang: the dashboard needs starlette, not installed: pip install 'winlang[serve]'"
    )


def test_a_bad_port_or_clock_is_a_usage_error(tmp_path: Path):
    runner = CliRunner()
    port = runner.invoke(cli, ["serve", "--port", "70000"])
    assert port.exit_code == 2 and "--port" in port.output
    clock = runner.invoke(cli, ["serve", "--now", "tomorrow"])
    assert clock.exit_code == 2 and "`tomorrow` is not an ISO-8601 time" in clock.output
