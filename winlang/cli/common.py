"""Steps several commands share: load and check one campaign, open the store, report errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from ..check import CheckedCampaign
from ..diagnostics import Diagnostic, render_text, sort_key
from ..errors import DataError, EngineError, PushdownError, StateError
from ..evaluate import parse_now
from ..project import Project, check_file, open_project
from ..schema import SchemaError

# Failures that are the user's data or setup, not a bug: one clear line, exit status 1, or 2
# for a state database that can't be used (StateError is a DataError).
USER_ERRORS = (DataError, PushdownError, EngineError, SchemaError)


def load_checked(path: Path, config_path: Path | None) -> tuple[Project, CheckedCampaign]:
    """Check ``path``; on errors print them like `winlang check` does and exit 1."""
    project = open_project(config_path)
    result = check_file(path, project)
    findings = sorted((*project.diagnostics, *result.diagnostics), key=sort_key)
    errors = [f for f in findings if f.is_error]
    if errors or result.checked is None:
        refuse(path, errors or findings)
    return project, result.checked


def refuse(path: Path, findings: list[Diagnostic]) -> NoReturn:
    """Print the findings that stop a command, as `winlang check` prints them; exit 1."""
    for finding in findings:
        click.echo(render_text(finding), err=True)
    click.echo(f"winlang: {path} has errors; fix them first (winlang check {path})", err=True)
    sys.exit(1)


def now_option(function):
    return click.option(
        "--now",
        "now_text",
        metavar="ISO",
        help="The run's clock (ISO-8601, UTC by default); default: now.",
    )(function)


def clock(now_text: str | None):
    try:
        return parse_now(now_text)
    except ValueError:
        raise click.BadParameter(
            f"`{now_text}` is not an ISO-8601 time, e.g. 2026-11-22T10:00:00Z", param_hint="--now"
        ) from None


def fail(error: Exception | str) -> None:
    click.echo(f"winlang: {error}", err=True)
    sys.exit(2 if isinstance(error, StateError) else 1)


def ledger(project: Project):
    """The engine's view of the state database, read-only; an empty state before any run."""
    state = project.saved_state()
    return state.view() if state is not None else None
