"""``winlang report FILE``: the funnel per rule and variant, reactivation and lift against the
holdout (docs/report.md). Reads the ledger and the events; writes nothing.

The computation is :mod:`winlang.report.funnel`, its inputs are read by
:mod:`winlang.report.read`; this module only wires them to the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from ..report.funnel import build_report, render_text
from ..times import naive_utc
from .common import USER_ERRORS, clock, fail, load_checked, now_option
from .options import config_option


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@now_option
@click.option(
    "--window",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="A purchase this many days after a message (or a held-out firing) reactivates.",
)
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def report(
    file: Path, now_text: str | None, window: int, output: str, config_path: Path | None
) -> None:
    """Report FILE's funnel per rule and variant (sent, delivered, opened, clicked), its
    reactivation rate and the lift against the holdout. Reads only; writes nothing."""
    from ..report.read import read_events, read_ledger  # Arrow and the state: only here

    now = naive_utc(clock(now_text))
    project, checked = load_checked(file, config_path)
    campaign = checked.campaign.name or ""
    rules = [rule.name.name for rule in checked.campaign.rules]
    try:
        state = project.saved_state()
        firings, runs = read_ledger(state, campaign, now)
        events = read_events(project.store(), firings, now) if firings else []
    except USER_ERRORS as error:
        fail(error)
    result = build_report(campaign, rules, firings, events, now, window, runs).as_json()
    if output == "json":
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    else:
        click.echo(render_text(result))
    if not firings:
        click.echo(
            f"winlang: note: campaign `{campaign}` has no firings in the ledger yet "
            f"(run it first: winlang run {file})",
            err=True,
        )
    sys.exit(0)
