"""``winlang run FILE``: evaluate a campaign, deliver it (or only plan it, ``--dry-run``) and
print the run summary.

Exit status: 0 done; 1 a message failed for good (the summary says which), errors in the
campaign or the configuration, data that does not fit; 2 usage, or a state that can't be
used; 130 interrupted."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from ..check.templates import channels_sent_on
from ..contracts.errors import ChannelError
from ..plan.passes import PASSES
from ..project import channel_diagnostics
from ..report.summary import render_text
from ..runs import execute
from .common import USER_ERRORS, clock, fail, load_checked, now_option, refuse
from .options import config_option, engine_option, format_option
from .progress import ProgressLine


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Plan only: write and send nothing.")
@click.option(
    "--only-deferred",
    is_flag=True,
    help="Send only the messages earlier runs deferred for quiet hours; plan nothing new.",
)
@now_option
@format_option
@engine_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=200_000,
    show_default=True,
    help="Customers per batch (NumPy engine).",
)
@click.option(
    "--skip-pass",
    "skip",
    multiple=True,
    type=click.Choice([p.__name__ for p in PASSES]),
    help="Leave out an optimizer pass (repeatable).",
)
@config_option
def run(
    file: Path,
    dry_run: bool,
    only_deferred: bool,
    now_text: str | None,
    output: str,
    engine: str,
    batch_size: int,
    skip: tuple[str, ...],
    config_path: Path | None,
) -> None:
    """Evaluate FILE on the store, apply the contact policies and deliver the messages
    (ledger first, exactly once); print what each rule reached and what was sent."""
    now = clock(now_text)
    if dry_run and only_deferred:
        raise click.UsageError("--only-deferred sends; it can't be combined with --dry-run")
    project, checked = load_checked(file, config_path)
    # The channels are set up as `winlang check` sets them up; a real run also needs secrets.
    channels = channels_sent_on(checked.campaign)
    if problems := channel_diagnostics(project.config, channels, secrets=not dry_run):
        refuse(file, problems, 2)  # the project's channels can't be used
    progress = ProgressLine()
    try:
        report = execute(
            project, checked, now, dry_run, only_deferred, engine, batch_size, skip, progress
        )
    except (*USER_ERRORS, ChannelError) as error:
        progress.close()
        fail(error)
    except KeyboardInterrupt:
        progress.close()
        click.echo(
            "winlang: interrupted; every message is either sent or still planned in the "
            "ledger: run the same command again to finish",
            err=True,
        )
        sys.exit(130)
    progress.close()
    if output == "json":
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    else:
        click.echo(render_text(report))
    if report["audience"] == 0:
        click.echo(f"winlang: note: {_why_nobody(project.store())}", err=True)
    if report.get("delivery", {}).get("deferred"):
        click.echo(f"winlang: note: {_waiting(report['delivery'])}", err=True)
    failed = report.get("delivery", {}).get("failed", 0)
    if failed:
        click.echo(
            f"winlang: {failed} message{'s' if failed != 1 else ''} failed for good "
            "(the summary says which; the ledger's `error` says why for each)",
            err=True,
        )
    sys.exit(1 if failed else 0)


def _waiting(totals: dict) -> str:
    """Where deferred messages stand, and what sends them."""
    count = totals["deferred"]
    return (
        f"{count:,} message{'s' if count != 1 else ''} deferred by quiet hours wait in the "
        f"ledger, the first due at {totals['next_due']}: a run at or after that time, outside "
        "the customer's quiet hours, sends them (winlang schedule wakes for it, or run "
        "--only-deferred from cron)"
    )


def _why_nobody(source) -> str:
    empty = next(iter(source.customer_batches([source.layout.id], 1)), None) is None
    if empty:
        return f"the store's `{source.layout.customers}` table is empty"
    return "no customer passes the audience condition"
