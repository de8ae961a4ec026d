"""``winlang check PATH...``: parse and check campaign files like source code."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import orjson

from ..diagnostics import Diagnostic, render_github, render_text, sort_key
from ..project import campaign_files, check_files, open_project
from .options import config_option


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="How to print findings.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Schema file from `winlang schema export` (no database needed).",
)
@config_option
def check(
    paths: tuple[Path, ...],
    output: str,
    strict: bool,
    schema_path: Path | None,
    config_path: Path | None,
) -> None:
    """Check campaign files (folders: every *.win inside, recursively).

    Exit status: 0 no errors (warnings allowed unless --strict), 1 errors, 2 usage error.
    """
    files, missing = campaign_files(list(paths))
    if missing:
        raise click.UsageError(f"no such file or folder: {', '.join(missing)}")
    if not files:
        raise click.UsageError(f"no *.win files in {', '.join(map(str, paths))}")
    project = open_project(config_path, schema_path)
    findings: list[Diagnostic] = list(project.diagnostics)
    findings += check_files([(path, _display(path)) for path in files], project)
    findings.sort(key=sort_key)
    _print(findings, output, len(files))
    failing = [f for f in findings if f.is_error or strict]
    sys.exit(1 if failing else 0)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _print(findings: list[Diagnostic], output: str, file_count: int) -> None:
    if output == "json":
        click.echo(orjson.dumps([f.as_json() for f in findings], option=orjson.OPT_INDENT_2))
        return
    if output == "github":
        for finding in findings:
            click.echo(render_github(finding))
        return
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    for finding in findings:
        click.echo(render_text(finding, color=color) + "\n")
    errors = sum(f.is_error for f in findings)
    warnings = len(findings) - errors
    files = f"{file_count} file{'s' if file_count != 1 else ''}"
    summary = f"checked {files}: {_count(errors, 'error')}, {_count(warnings, 'warning')}"
    click.echo(
        click.style(summary, fg="red" if errors else "green", bold=True) if color else summary
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
