"""Print campaign test results: as text for people, JSON for tools, GitHub annotations."""

from __future__ import annotations

from ..diagnostics import _github_escape, render_text
from .compare import Failure
from .run import FileResult
from .spec import TestFileError
from .times import show


def failure_text(failure: Failure) -> str:
    """``file:line: step N at T (engines): message``, then expected, actual and the hint."""
    engines = ", ".join(failure.engines)
    lines = [
        f"{failure.file}:{failure.line}: step {failure.step} at {show(failure.at)} "
        f"({engines}): {failure.message}",
        f"      expected: {_pairs(failure.expected)}",
        f"      actual:   {_pairs(failure.actual)}",
    ]
    if failure.hint:
        lines.append(f"      = hint: {failure.hint}")
    return "\n".join(lines)


def _pairs(values: dict) -> str:
    def shown(value: object) -> str:
        if isinstance(value, tuple):
            return "[" + ", ".join(shown(v) for v in value) + "]"
        if isinstance(value, str):
            first = value.strip().split("\n")[0]
            return f'"{first[:117]}…"' if first != value or len(first) > 120 else f'"{value}"'
        return str(value)

    return ", ".join(f"{k} = {shown(v)}" for k, v in values.items())


def result_text(result: FileResult) -> str:
    if result.campaign_errors:
        found = [render_text(d) for d in result.campaign_errors]
        return "\n".join(
            [*found, f"{result.file}: FAILED: the campaign {result.campaign} does not check"]
        )
    if not result.engines:
        return f"{result.file}: skipped: it runs on {' and '.join(result.named)} only"
    lines = [failure_text(f) for f in result.failures]
    verdict = "passed" if result.passed else f"FAILED ({_count(len(result.failures), 'failure')})"
    engines = " and ".join(result.engines)
    lines.append(
        f"{result.file}: {_count(result.steps, 'step')} on {engines}, "
        f"{_count(result.checks, 'check')}: {verdict}"
    )
    return "\n".join(lines)


def _count(n: int, thing: str) -> str:
    """``1 step``, ``2 steps``."""
    return f"{n} {thing}{'' if n == 1 else 's'}"


def broken_text(error: TestFileError) -> str:
    lines = []
    for problem in error.problems:
        lines.append(f"{error.path}:{problem.line}: error: {problem.message}")
        if problem.hint:
            lines.append(f"      = hint: {problem.hint}")
    return "\n".join(lines)


def result_json(result: FileResult) -> dict[str, object]:
    return {
        "file": result.file,
        "campaign": result.campaign,
        "engines": list(result.engines),
        "steps": result.steps,
        "checks": result.checks,
        "passed": result.passed,
        "skipped": result.skipped,
        "failures": [f.as_json() for f in result.failures],
        "campaign_errors": [d.as_json() for d in result.campaign_errors],
    }


def broken_json(error: TestFileError) -> dict[str, object]:
    return {
        "file": error.path,
        "passed": False,
        "errors": [{"line": p.line, "message": p.message, "hint": p.hint} for p in error.problems],
    }


def _annotation(file: str, line: int, title: str, message: str) -> str:
    props = f"file={_github_escape(file, True)},line={line},title={_github_escape(title, True)}"
    return f"::error {props}::{_github_escape(message)}"


def result_github(result: FileResult) -> list[str]:
    """One workflow command per failure, so each shows on the pull request at its line."""
    from ..diagnostics import render_github

    if result.campaign_errors:
        return [render_github(d) for d in result.campaign_errors]
    return [
        _annotation(
            f.file,
            f.line,
            f"winlang test: step {f.step}",
            f"{f.message} [{', '.join(f.engines)}]" + (f" (hint: {f.hint})" if f.hint else ""),
        )
        for f in result.failures
    ]


def broken_github(error: TestFileError) -> list[str]:
    return [
        _annotation(
            error.path,
            p.line,
            "winlang test: broken test file",
            p.message + (f" (hint: {p.hint})" if p.hint else ""),
        )
        for p in error.problems
    ]
