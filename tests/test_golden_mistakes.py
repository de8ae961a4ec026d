"""Golden corpus of marketer mistakes: each ``tests/golden/mistakes/<name>.win`` holds one
typical mistake, and ``<name>.expected`` the exact output of

    winlang check tests/golden/mistakes/<name>.win --schema campaigns/schema.json

run from the repository root (so the repository's ``winlang.toml`` applies). Regenerate the
expected files with ``WINLANG_UPDATE_GOLDEN=1`` and review every changed one by eye.

Each ``.win`` file also says, in a ``# expect: <code> line <n> `<text>``` comment, which finding
it must produce, on which line, and which text the caret must underline (a trailing ``…``
matches a prefix). The findings must be exactly the expected ones: no cascade of extra errors.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli

REPO = Path(__file__).resolve().parents[1]
MISTAKES = REPO / "tests" / "golden" / "mistakes"
CASES = sorted(MISTAKES.glob("*.win"))
UPDATE = bool(os.environ.get("WINLANG_UPDATE_GOLDEN"))

_EXPECT = re.compile(r"^#\s*expect:\s*([EW]\d{3})\s+line\s+(\d+)\s+`(.*)`\s*$")


@dataclass(frozen=True)
class Expectation:
    code: str
    line: int
    underlined: str  # ends with … to match a prefix


def expectations(path: Path) -> list[Expectation]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _EXPECT.match(line):
            found.append(Expectation(match[1], int(match[2]), match[3]))
    return found


def run_check(path: Path, *extra: str) -> tuple[int, str]:
    """``winlang check`` on one file, from the repository root, as a user runs it."""
    relative = path.relative_to(REPO)
    args = ["check", str(relative), "--schema", "campaigns/schema.json", *extra]
    old = Path.cwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def underlined(source_line: str, finding: dict) -> str:
    """The text of ``source_line`` that the caret line underlines for ``finding``."""
    start = finding["column"] - 1
    if finding["end_line"] != finding["line"]:
        return source_line[start:]
    return source_line[start : finding["end_column"] - 1]


def matches(expected: str, actual: str) -> bool:
    if expected.endswith("…"):
        return actual.startswith(expected[:-1])
    return actual == expected


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 20
    for case in CASES:
        assert expectations(case), f"{case.name} has no `# expect:` comment"
        assert case.with_suffix(".expected").exists() or UPDATE, f"{case.name}: no .expected"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_output_is_golden(case: Path) -> None:
    code, output = run_check(case)
    expected_file = case.with_suffix(".expected")
    if UPDATE:
        expected_file.write_text(output, encoding="utf-8")
    assert output == expected_file.read_text(encoding="utf-8")
    has_error = any(e.code.startswith("E") for e in expectations(case))
    assert code == (1 if has_error else 0)


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_mistake_is_reported_where_it_is(case: Path) -> None:
    _, output = run_check(case, "--format", "json")
    findings = json.loads(output)
    lines = case.read_text(encoding="utf-8").splitlines()
    wanted = expectations(case)
    assert sorted((f["code"], f["line"]) for f in findings) == sorted(
        (e.code, e.line) for e in wanted
    ), "the findings must be exactly the expected ones"
    for expectation in wanted:
        finding = next(
            f for f in findings if (f["code"], f["line"]) == (expectation.code, expectation.line)
        )
        shown = underlined(lines[expectation.line - 1], finding)
        assert matches(expectation.underlined, shown), (
            f"{expectation.code} underlines {shown!r}, not {expectation.underlined!r}"
        )
        assert finding["message"] and finding["file"] == str(case.relative_to(REPO))
