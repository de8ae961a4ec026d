"""``winlang fmt PATH...``: rewrite campaign files in the one canonical layout.

Exit status: 0 done (or, with --check, nothing to change); 1 a file would change (--check)
or has syntax errors (left untouched); 2 usage error.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from ..diagnostics import render_text
from ..fmt import FormatError, format_text
from ..project import campaign_files, read_source
from .check import _display


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file would change."
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the changes as a unified diff; write nothing."
)
def fmt(paths: tuple[Path, ...], check_only: bool, show_diff: bool) -> None:
    """Format campaign files (folders: every *.win inside, recursively) in place: one layout,
    comments kept, meaning unchanged. A file with syntax errors is reported and left as is."""
    files, missing = campaign_files(list(paths))
    if missing:
        raise click.UsageError(f"no such file or folder: {', '.join(missing)}")
    if not files:
        raise click.UsageError(f"no *.win files in {', '.join(map(str, paths))}")
    changed, broken = [], 0
    for path in files:
        name = _display(path)
        outcome = _format_one(path, name)
        if outcome is None:
            broken += 1
            continue
        before, after = outcome
        if before == after:
            continue
        changed.append(name)
        if show_diff:
            click.echo(_unified_diff(before, after, name), nl=False)
        if check_only:
            click.echo(f"would reformat {name}", err=True)
        elif not show_diff:
            path.write_text(after, encoding="utf-8")
            click.echo(f"reformatted {name}", err=True)
    click.echo(_summary(len(files), len(changed), broken, check_only or show_diff), err=True)
    sys.exit(1 if broken or (check_only and changed) else 0)


def _format_one(path: Path, name: str) -> tuple[str, str] | None:
    """The file's text before and after formatting; None (reported) when it can't be."""
    source, problem = read_source(path, name)
    if source is None:
        click.echo(render_text(problem) + "\n", err=True)
        return None
    try:
        result = format_text(source.text, name)
    except FormatError as error:  # the printer's own check refused: keep the file as it is
        click.echo(f"winlang: {error}; the file is left as it is (please report this)", err=True)
        return None
    if result.text is None:
        for finding in result.diagnostics:
            click.echo(render_text(finding) + "\n", err=True)
        return None
    return source.text, result.text


def _unified_diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{name} (original)",
        tofile=f"{name} (formatted)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _summary(total: int, changed: int, broken: int, dry: bool) -> str:
    verb = "would be reformatted" if dry else "reformatted"
    parts = [f"{_files(changed)} {verb}", f"{_files(total - changed - broken)} unchanged"]
    if broken:
        parts.append(f"{_files(broken)} with errors left as they are")
    return ", ".join(parts)


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"
