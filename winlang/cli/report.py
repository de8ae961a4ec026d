"""``winlang report FILE``: the funnel per rule and variant, reactivation and lift against the
holdout (docs/report.md). Reads the ledger and the events; writes nothing.

The computation is :mod:`winlang.report.funnel`, its inputs are read by
:mod:`winlang.report.read`; this module chooses the form (text, JSON or a self-contained
HTML page with charts, :mod:`winlang.report.html`) and where it goes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from ..report.funnel import render_text
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
    "--format",
    "output",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="html: one self-contained page with charts (needs the `report` extra).",
)
@click.option(
    "--output",
    "target",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="FILE",
    help="Write the report to FILE instead of standard output.",
)
@config_option
def report(
    file: Path,
    now_text: str | None,
    window: int,
    output: str,
    target: Path | None,
    config_path: Path | None,
) -> None:
    """Report FILE's funnel per rule and variant (sent, delivered, opened, clicked), its
    reactivation rate and the lift against the holdout, A/B tests, revenue, SMS cost and
    daily trends. Reads only; writes nothing but FILE of --output."""
    from ..report.read import campaign_report  # Arrow and the state: only here

    render = _renderer(output)  # a missing extra is said before any work
    now = naive_utc(clock(now_text))
    project, checked = load_checked(file, config_path)
    campaign = checked.campaign.name or ""
    try:
        found = campaign_report(project, checked, now, window)
    except USER_ERRORS as error:
        fail(error)
    _write(render(found.as_json()), target)
    if not found.firings:
        click.echo(
            f"winlang: note: campaign `{campaign}` has no firings in the ledger yet "
            f"(run it first: winlang run {file})",
            err=True,
        )
    sys.exit(0)


def _renderer(output: str):
    """The function turning the report's JSON form into the text ``--format`` asks for."""
    if output == "json":
        return lambda result: orjson.dumps(result, option=orjson.OPT_INDENT_2).decode()
    if output == "html":
        from ..report.html import MissingExtra, render_html

        try:
            MissingExtra.check()
        except MissingExtra as error:
            click.echo(f"winlang: {error}", err=True)
            sys.exit(2)  # the installation lacks it: nothing about the campaign
        return render_html
    return render_text


def _write(text: str, target: Path | None) -> None:
    """To standard output, or to ``target`` (one line and exit 1 when it can't be written)."""
    if target is None:
        click.echo(text)
        return
    try:
        target.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        fail(f"can't write {target}: {error.strerror or error}")
