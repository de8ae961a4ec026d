"""``winlang init [DIR]``: write a new project that checks, tests and runs at once."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import click


@click.command("init")
@click.argument(
    "folder",
    metavar="[DIR]",
    required=False,
    default=Path("."),
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Your own store (sqlite:///shop.db, postgresql://..., parquet:///folder); it must "
    "open. Default: a small sample store made on the spot.",
)
@click.option(
    "--customers",
    type=click.IntRange(min=1, max=100_000),
    default=500,
    show_default=True,
    help="How many customers the sample store gets.",
)
def init(folder: Path, store_url: str | None, customers: int) -> None:
    """Write a new project into DIR (default: the current folder): winlang.toml, a sample
    store (or --store URL), campaigns/winback.win and its test file, the store's schema, a
    GitHub Actions workflow, a pre-commit configuration, and a .gitignore where there is none.

    Nothing is overwritten: if any of these files is already there, nothing is written."""
    from ..scaffold import (
        CAMPAIGN,
        KEPT_OUT,
        StoreError,
        campaign_errors,
        in_the_way,
        read_store,
        write_project,
    )

    sample = store_url is None
    there = in_the_way(folder, sample)
    if there:
        click.echo(
            f"winlang: {folder}/ already holds {', '.join(there)}: winlang init writes "
            "nothing over existing files. Init another folder (winlang init DIR), or move "
            "them away.",
            err=True,
        )
        sys.exit(2)
    schema = None
    if store_url is not None:
        try:
            schema = read_store(store_url, folder.resolve())
        except StoreError as error:
            click.echo(f"winlang: --store: {error}", err=True)
            sys.exit(2)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    try:
        made = write_project(folder, store_url, customers, now, schema=schema)
    except OSError as error:
        click.echo(f"winlang: can't write the project in {folder}/: {error}", err=True)
        sys.exit(2)
    click.echo(f"wrote a winlang project in {folder}/:")
    for name in made.files:
        click.echo(f"  {name}")
    if made.sample:
        click.echo(
            f"The sample store {folder / 'shop.db'} holds {made.customers:,} customers and "
            f"{made.events:,} events."
        )
    if not made.gitignore:
        kept_out = ", ".join(KEPT_OUT if made.sample else KEPT_OUT[:2])
        click.echo(f"Your .gitignore is left as it is; keep these out of git: {kept_out}")
    errors = 0 if made.sample else campaign_errors(folder)
    if errors:
        click.echo(
            f"Note: {CAMPAIGN} does not check on your store yet ({errors} "
            f"error{'s' if errors > 1 else ''}: `winlang check campaigns` shows them, with the "
            "fields your store has): edit it and campaigns/winback.test.toml to use your fields."
        )
    click.echo("Next:")
    if folder.resolve() != Path.cwd().resolve():
        click.echo(f"  cd {shlex.quote(str(folder))}")
    steps = (
        ("winlang check campaigns", "the campaign, against schema.json"),
        ("winlang test campaigns", "what each customer of the tests gets"),
        (f"winlang run {CAMPAIGN} --dry-run", "who would get what now; sends nothing"),
        (f"winlang run {CAMPAIGN}", "messages go to outbox/*.jsonl, never out"),
    )
    width = max(len(command) for command, _ in steps)
    for command, what in steps:
        click.echo(f"  {command.ljust(width)}  # {what}")
