"""docs/ingest.md runs: its files are written, its transcripts replayed in order (each
`$ winlang ...` line must print exactly the lines below it), its campaign checks cleanly."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.docs_helpers import check_text, complete
from winlang.cli import cli
from winlang.diagnostics import render_text

PAGE = Path(__file__).resolve().parents[2] / "docs" / "ingest.md"
# A fence's info string: the language, then (for data files) the file's name.
FENCE = re.compile(r"^```(\w+)(?: +(\S+))?\n(.*?)^```$", re.S | re.M)
BLOCKS = [(m[1], m[2], m[3]) for m in FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def test_the_page_has_its_examples():
    tags = [tag for tag, _, _ in BLOCKS]
    assert tags.count("text") >= 4 and "jsonl" in tags and "csv" in tags and "win" in tags


def test_the_transcripts_are_what_winlang_prints(tmp_path, monkeypatch):
    for tag, name, text in BLOCKS:
        if name is not None:
            assert tag in ("jsonl", "csv"), name
            (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "winlang.toml").write_text('[state]\nurl = "sqlite:///state.db"\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"WINLANG_STATE_URL": None, "WINLANG_STORE_URL": None})
    replayed = 0
    for tag, _, text in BLOCKS:
        if tag != "text":
            continue
        for command, expected in _steps(text):
            result = runner.invoke(cli, shlex.split(command), catch_exceptions=False)
            assert result.output.splitlines() == expected, f"$ winlang {command}"
            assert result.exit_code == _status(expected), f"$ winlang {command}"
            replayed += 1
    assert replayed == 5


def _status(output: list[str]) -> int:
    """The exit status the page promises for an output: 1 for nothing stored or a conflict."""
    rejected = any(line.startswith("winlang: nothing was ingested") for line in output)
    conflicts = any(re.search(r", [1-9][\d,]* conflicting,", line) for line in output)
    return 1 if rejected or conflicts else 0


def _steps(text: str) -> list[tuple[str, list[str]]]:
    """``(arguments, output lines)`` of each ``$ winlang ...`` line of a transcript."""
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ winlang "):
            steps.append((line.removeprefix("$ winlang "), []))
        else:
            steps[-1][1].append(line)
    return steps


@pytest.mark.parametrize("text", [text for tag, _, text in BLOCKS if tag == "win"])
def test_the_campaign_checks_cleanly(text):
    findings = check_text(complete(text), "ingest.md")
    assert not findings, "\n".join(render_text(f) for f in findings)
