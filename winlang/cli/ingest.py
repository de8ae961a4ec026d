"""``winlang ingest FILE``: store outside events (opens, clicks, purchases...) in the state.

Exit codes: 0 every record stored or already there (or skipped with ``--skip-invalid``);
1 invalid records (nothing stored), conflicting event ids, a file that can't be read;
2 usage (no such file, a format that can't be told) or a state that can't be used.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..ingest import FORMATS, FormatError, Problem, format_of
from .common import USER_ERRORS, fail
from .options import config_option


@click.command("ingest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    help="The file's format; default: from its extension (.jsonl, .ndjson, .csv, or .gz of one).",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Store the valid events and report the invalid ones, instead of storing nothing.",
)
@config_option
def ingest(
    file: Path, file_format: str | None, skip_invalid: bool, config_path: Path | None
) -> None:
    """Store the delivered, open, click, bounce, complaint, unsubscribe and purchase events of
    FILE (JSON Lines or CSV) in the state database, where the next run's `opened`, `clicked`,
    `count(...)` conditions see them; unsubscribes, complaints and hard bounces suppress.
    Ingesting a file twice stores nothing new."""
    from ..ingest import ingest_file
    from ..state import DatabaseError, open_state

    try:
        format_of(file, file_format)
    except FormatError as error:
        raise click.UsageError(str(error)) from None
    config = _config(config_path)
    try:
        state = open_state(
            config.state_url,
            store_url=config.store.url,
            allow_other_tables=config.state_allow_other_tables,
        )
        result = ingest_file(file, state, config.event_types, file_format, skip_invalid)
    except USER_ERRORS as error:
        fail(error)
    except OSError as error:  # unreadable, or a .gz that is not gzip
        fail(f"can't read {file}: {error.strerror or error}")
    except DatabaseError as error:  # e.g. another process holding the state's lock
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        fail(f"writing the state database failed: {reason}")
    counts = result.counts
    _show(file, result.invalid, counts.invalid, "invalid records")
    _show(file, result.conflicts, counts.conflicting, "conflicts")
    click.echo(f"{file}: {counts.summary()}")
    if not result.written:
        why = (
            "its header is wrong"
            if result.unreadable
            else f"it has {counts.invalid:,} invalid record{'s' if counts.invalid != 1 else ''}"
            " (fix them, or pass --skip-invalid to store the valid ones)"
        )
        click.echo(f"winlang: nothing was ingested from {file}: {why}", err=True)
        sys.exit(1)
    sys.exit(1 if counts.conflicting else 0)


def _config(config_path: Path | None):
    """The project's configuration (for the state URL and the declared event types)."""
    from ..config import find_config, load_config
    from ..diagnostics import render_text

    config, diagnostics = load_config(config_path or find_config())
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        for error in errors:
            click.echo(render_text(error), err=True)
        fail("the configuration has errors; fix them first")
    return config


def _show(file: Path, problems: tuple[Problem, ...], total: int, what: str) -> None:
    for problem in problems:
        click.echo(problem.at(str(file)), err=True)
    if total > len(problems):
        click.echo(f"{file}: ... and {total - len(problems):,} more {what}", err=True)
