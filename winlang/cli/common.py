"""Steps several commands share: load and check one campaign, open the store, report errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from ..check import CheckedCampaign
from ..contracts.errors import DataError, EngineError, PushdownError
from ..diagnostics import Diagnostic, render_text, sort_key
from ..evaluate import parse_now
from ..project import Project, check_file, open_project
from ..schema import SchemaError

# Failures that are the user's data or setup, not a bug: one clear line, exit status 2.
USER_ERRORS = (DataError, PushdownError, EngineError, SchemaError)


def load_checked(path: Path, config_path: Path | None) -> tuple[Project, CheckedCampaign]:
    """Check ``path``; on errors print them like `winlang check` does and exit 1 (2 when
    only the project's configuration or store is at fault)."""
    project = open_project(config_path)
    result = check_file(path, project)
    findings = sorted((*project.diagnostics, *result.diagnostics), key=sort_key)
    errors = [f for f in findings if f.is_error]
    if errors or result.checked is None:
        # 2 when the project itself (configuration, store, schema) can't be used; 1 for the file
        refuse(path, errors or findings, 1 if any(f.is_error for f in result.diagnostics) else 2)
    return project, result.checked


def refuse(path: Path, findings: list[Diagnostic], status: int = 1) -> NoReturn:
    """Print the findings that stop a command, as `winlang check` prints them; exit
    ``status``."""
    for finding in findings:
        click.echo(render_text(finding), err=True)
    click.echo(f"winlang: {path} has errors; fix them first (winlang check {path})", err=True)
    sys.exit(status)


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
    """One line; exit 2 when the project can't be used as it is (a store or state that
    can't be read, data that does not fit, an engine that can't run it), 1 otherwise."""
    click.echo(f"winlang: {error}", err=True)
    sys.exit(2 if isinstance(error, USER_ERRORS) else 1)


def show(result, output: str, render_text) -> None:
    """Print ``result`` as ``--format`` asks: its ``as_json()`` indented, or ``render_text``."""
    import orjson

    if output == "json":
        click.echo(orjson.dumps(result.as_json(), option=orjson.OPT_INDENT_2))
    else:
        click.echo(render_text(result))
