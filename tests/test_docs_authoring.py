"""Every example of docs/authoring.md runs: the formatting example formats exactly as shown
and both versions check; the `winlang diff` session on the demo store prints what the page
shows, as text and as JSON; the commands shown are the commands' real options."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.docs_helpers import REPO, check_text, code_blocks, complete
from winlang.cli import cli
from winlang.fmt import format_text

PAGE = REPO / "docs" / "authoring.md"
BLOCKS = list(code_blocks(PAGE))


def blocks(tag: str) -> list[str]:
    return [b.text for b in BLOCKS if b.tag == tag]


def test_the_formatting_example_formats_as_shown() -> None:
    before, after = blocks("win")[:2]
    assert format_text(before).text == after
    assert format_text(after).text == after


@pytest.mark.parametrize("index", [0, 1])
def test_both_versions_of_the_formatting_example_check(index: int) -> None:
    findings = check_text(complete(blocks("win")[index]))
    assert [f for f in findings if f.is_error] == []


def test_the_fmt_commands_shown_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "campaigns").mkdir()
    before = blocks("win")[0]
    (tmp_path / "campaigns" / "hurry.win").write_text(before, encoding="utf-8")
    (tmp_path / "ladder.win").write_text(before, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    commands = [
        shlex.split(line.split("#")[0]) for line in blocks("sh")[0].splitlines() if line.strip()
    ]
    expected = {"--check": 0, "--diff": 0}  # after the first command, nothing is left to do
    for command in commands:
        assert command[:2] == ["winlang", "fmt"]
        result = CliRunner().invoke(cli, command[1:])
        option = command[2] if command[2].startswith("--") else None
        assert result.exit_code == expected.get(option, 0), result.output
    assert (tmp_path / "campaigns" / "hurry.win").read_text("utf-8") == blocks("win")[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, made as the page says, with the edit it shows."""
    folder = tmp_path_factory.mktemp("authoring") / "demo"
    made = CliRunner().invoke(
        cli, ["demo", "--dir", str(folder), "--dry-run", "--now", "2026-11-22T10:00:00Z"]
    )
    assert made.exit_code == 0, made.output
    ladder = (folder / "ladder.win").read_text(encoding="utf-8")
    for line in blocks("win")[2].splitlines():
        name = re.match(r"segment (\w+) =", line)[1]
        ladder, count = re.subn(rf"^segment {name} =.*$", line, ladder, flags=re.M)
        assert count == 1
    (folder / "ladder-edit.win").write_text(ladder, encoding="utf-8")
    return folder


def _diff_command() -> list[str]:
    (cd, command) = blocks("sh")[2].strip().splitlines()
    assert cd == "cd demo"
    words = shlex.split(command)
    assert words[:2] == ["winlang", "diff"]
    return words[1:]


def test_the_diff_session_prints_what_the_page_shows(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo)
    result = CliRunner().invoke(cli, _diff_command())
    assert result.exit_code == 0, result.output
    assert result.stdout == blocks("text")[0]


def test_the_json_shown_is_the_same_comparison(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo)
    result = CliRunner().invoke(cli, [*_diff_command(), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(blocks("json")[0])


def test_the_usage_line_names_the_real_options() -> None:
    usage = blocks("sh")[1]
    help_text = CliRunner().invoke(cli, ["diff", "--help"]).output
    for option in re.findall(r"--[a-z-]+", usage):
        assert option in help_text
    for engine in ("auto", "numpy", "sql"):
        assert engine in usage


# ---- winlang init ----------------------------------------------------------------------------


def _init_blocks(tag: str) -> list[str]:
    """The blocks of the `winlang init` section, the last of the page."""
    text = PAGE.read_text(encoding="utf-8")
    start = text[: text.index("## Starting a project: `winlang init`")].count("\n") + 1
    return [b.text for b in BLOCKS if b.tag == tag and b.line > start]


def test_the_init_session_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for line in _init_blocks("sh")[0].splitlines():
        words = shlex.split(line)
        if words[0] == "cd":
            monkeypatch.chdir(Path.cwd() / words[1])
            continue
        assert words[0] == "winlang"
        result = CliRunner().invoke(
            cli, [*words[1:], *(["--customers", "50"] * (words[1] == "init"))]
        )
        assert result.exit_code == 0, (line, result.output)


def test_init_writes_the_files_listed(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "shop"), "--customers", "20"])
    assert result.exit_code == 0, result.output
    listed = _init_blocks("text")[0].split()
    written = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert written[: len(listed)] == listed
    assert sorted(
        str(p.relative_to(tmp_path / "shop")) for p in (tmp_path / "shop").rglob("*") if p.is_file()
    ) == sorted(listed)


def test_init_with_the_store_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (line,) = _init_blocks("sh")[1].splitlines()
    words = shlex.split(line.split("#")[0])
    assert words[:3] == ["winlang", "init", "mine"]
    monkeypatch.chdir(tmp_path)
    refused = CliRunner().invoke(cli, words[1:])  # mine/shop.db is not there yet
    assert refused.exit_code == 2
    assert "mine/shop.db" in refused.stderr
    sample = CliRunner().invoke(cli, ["init", "sample", "--customers", "20"])
    assert sample.exit_code == 0, sample.output
    (tmp_path / "mine").mkdir()
    (tmp_path / "sample" / "shop.db").rename(tmp_path / "mine" / "shop.db")
    made = CliRunner().invoke(cli, words[1:])
    assert made.exit_code == 0, made.output
    monkeypatch.chdir(tmp_path / "mine")
    assert CliRunner().invoke(cli, ["check", "campaigns"]).exit_code == 0
