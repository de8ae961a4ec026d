"""``winlang report FILE``: the funnel per rule and variant, reactivation and lift against the
holdout (docs/report.md). Reads the ledger and the events; writes nothing.

The computation is :mod:`winlang.report.funnel`; this module only reads its inputs: the
campaign's ``messages`` rows and run count from the state database, and the ``delivered``,
``open``, ``click`` and ``purchase`` events of the customers in them from the store and from
``winlang ingest``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ..report.funnel import FUNNEL_TYPES, PURCHASE, Event, Firing, build_report, render_text
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
    now = naive_utc(clock(now_text))
    project, checked = load_checked(file, config_path)
    campaign = checked.campaign.name or ""
    rules = [rule.name.name for rule in checked.campaign.rules]
    try:
        state = project.saved_state()
        firings, runs = read_ledger(state.engine, campaign, now) if state else ([], 0)
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


def read_ledger(engine: sa.Engine, campaign: str, now: datetime) -> tuple[list[Firing], int]:
    """The campaign's firings planned at or before ``now``, and its number of runs."""
    from ..state import tables as T
    from ..state import unreadable_time

    m = T.messages.c
    query = sa.select(
        m.rule, m.customer_id, m.status, m.planned_at, m.sent_at, m.channel, m.template, m.variant
    ).where(m.campaign == campaign, m.planned_at <= now)
    count = sa.select(sa.func.count()).select_from(T.runs).where(T.runs.c.campaign == campaign)
    with engine.connect() as connection:
        try:
            firings = [Firing(**row._mapping) for row in connection.execute(query)]
        except ValueError:  # a time SQLite keeps as text that is not a time
            raise unreadable_time(connection, T.messages, m.campaign == campaign) from None
        runs = connection.execute(count).scalar_one()
    return firings, int(runs)


def read_events(source, firings: list[Firing], now: datetime) -> list[Event]:
    """The funnel and purchase events of the firings' customers from the first firing to
    ``now``: the store's and the ingested ones. A store whose events table lacks
    ``campaign`` or ``template`` is read without them (its events then count as purchases
    only), while the ingested events keep theirs."""
    layout = source.layout
    wanted = [layout.campaign, layout.template]
    present = [c for c in wanted if c in source.schema().events]
    types = [*FUNNEL_TYPES, PURCHASE]
    since = min(f.planned_at for f in firings)
    customers = pa.array(sorted({f.customer_id for f in firings}), pa.string())
    if hasattr(source, "ingested_events"):  # the store, and the ingested events on their own
        store = getattr(source, "store", source)
        batches = [
            *store.event_batches(types, present, since, now),
            *source.ingested_events(types, wanted, since, now).to_batches(),
        ]
    else:
        batches = list(source.event_batches(types, present, since, now))
    events: list[Event] = []
    for batch in batches:
        events += _events(pa.Table.from_batches([batch]), layout, customers)
    return events


def _events(table: pa.Table, layout, customers: pa.Array) -> list[Event]:
    """``table``'s rows of ``customers`` as events (ids as text, times naive UTC)."""
    ids = _text_ids(table.column(layout.customer_id).combine_chunks())
    keep = pc.is_in(ids, value_set=customers)
    table, ids = table.filter(keep), ids.filter(keep)

    def column(name: str) -> list:
        found = name in table.column_names
        return table.column(name).to_pylist() if found else [None] * table.num_rows

    return [
        Event(
            customer_id=customer,
            type=kind,
            occurred_at=naive_utc(at),
            campaign=campaign,
            template=template,
        )
        for customer, kind, at, campaign, template in zip(
            ids.to_pylist(),
            column(layout.type),
            column(layout.occurred_at),
            column(layout.campaign),
            column(layout.template),
            strict=True,
        )
        if at is not None
    ]


def _text_ids(ids: pa.Array) -> pa.Array:
    """Customer ids as the ledger keeps them: text (a whole float ``42.0`` is ``"42"``)."""
    if pa.types.is_floating(ids.type):
        ids = pc.cast(ids, pa.int64(), safe=False)
    return pc.cast(ids, pa.string())
