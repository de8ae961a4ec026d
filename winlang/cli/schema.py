"""``winlang schema export``: write the store's schema to a file CI can check against."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import find_config, load_config
from ..contracts.errors import DataError
from ..diagnostics import render_text
from ..schema import SchemaError
from .options import config_option


@click.group()
def schema() -> None:
    """Work with the customer schema."""


@schema.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: print).",
)
@config_option
def export(output: Path | None, config_path: Path | None) -> None:
    """Write the store's customer and event columns to a schema JSON file."""
    config, problems = load_config(config_path or find_config())
    for problem in problems:
        click.echo(render_text(problem), err=True)
    if any(p.is_error for p in problems):
        sys.exit(1)
    from ..evaluate import open_store

    try:
        found = open_store(config).schema()
    except (SchemaError, DataError) as error:
        click.echo(f"winlang: {error}", err=True)
        sys.exit(1)
    data = found.to_json() + b"\n"
    if output is None:
        click.echo(data.decode(), nl=False)
    else:
        output.write_bytes(data)
        click.echo(
            f"wrote {output}: {len(found.customers)} customer fields, "
            f"{len(found.events)} event columns"
        )
