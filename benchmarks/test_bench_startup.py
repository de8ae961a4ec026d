"""Start-up: the whole ``winlang`` process for commands that read no store, against a bare
Python process importing the libraries they need (``import lark, click, orjson``), peers in
the same run.

- ``--version``: the command line and nothing else;
- ``check``: the four example campaigns checked against ``campaigns/schema.json`` (CI's use:
  no database), configuration, channels' settings and all.

Neither may import SQLAlchemy, PyArrow, NumPy or DuckDB (``tests/test_startup.py`` checks
that); the target is within 2x of the bare import. Part of ``.venv/bin/pytest benchmarks
--benchmark-enable``; profile one with ``python -X importtime -m winlang check ...``.

Both sides run with compiled bytecode, as an installed winlang does: the children write it to
a folder of their own (``PYTHONPYCACHEPREFIX``) in the warm-up round, even where the
environment says ``PYTHONDONTWRITEBYTECODE`` (otherwise every winlang start compiled its
sources, while the libraries' bytecode came with their installation).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CAMPAIGNS = ("ladder.win", "one-liner.win", "ab-test.win", "birthday.win")

COMMANDS = {
    "--version": (
        ("winlang", [sys.executable, "-m", "winlang", "--version"]),
        ("import lark, click, orjson", [sys.executable, "-c", "import lark, click, orjson"]),
    ),
    "check": (
        (
            "winlang",
            [sys.executable, "-m", "winlang", "check", "--schema", "schema.json", *CAMPAIGNS],
        ),
        ("import lark, click, orjson", [sys.executable, "-c", "import lark, click, orjson"]),
    ),
}
CASES = [(command, system, argv) for command, pairs in COMMANDS.items() for system, argv in pairs]


@pytest.fixture(scope="module")
def bytecode(tmp_path_factory) -> dict[str, str]:
    """The children's environment: bytecode written and read in a folder of the run's own."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(tmp_path_factory.mktemp("pycache"))}


@pytest.mark.parametrize(
    ("command", "system", "argv"), CASES, ids=[f"{c}-{s}" for c, s, _ in CASES]
)
def test_start_up(
    benchmark, command: str, system: str, argv: list[str], bytecode: dict[str, str]
) -> None:
    def child() -> None:
        done = subprocess.run(
            argv, cwd=REPO / "campaigns", capture_output=True, text=True, env=bytecode
        )
        assert done.returncode == 0, done.stderr

    benchmark.pedantic(child, rounds=7, iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(
        scenario="start-up",
        campaign="4 campaigns" if command == "check" else "",
        store=f"winlang {command}",
        system=system,
    )
