"""The report's inputs, in one place: the campaign's ledger rows and run count from the state
store, and the ``delivered``, ``open``, ``click`` and ``purchase`` events (with a purchase's
``amount``) of the customers in them, from the store and from ``winlang ingest``.
``winlang report`` and ``winlang serve`` both build their report with :func:`campaign_report`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from ..times import naive_utc
from .funnel import FUNNEL_TYPES, PURCHASE, Event, Firing, Report, build_report

if TYPE_CHECKING:
    from ..state import StateStore

AMOUNT = "amount"  # a purchase's value: the events' column, as `winlang ingest` names it too


def campaign_report(project, checked, now: datetime, window: int) -> Report:
    """The report of a checked campaign of ``project`` as of ``now`` (naive UTC), its SMS
    parts priced at each channel's ``price_per_part``."""
    campaign = checked.campaign.name or ""
    rules = [rule.name.name for rule in checked.campaign.rules]
    firings, runs = read_ledger(project.saved_state(), campaign, now)
    events = read_events(project.store(), firings, now) if firings else []
    return build_report(campaign, rules, firings, events, now, window, runs, prices(project))


def prices(project) -> dict[str, float]:
    """Per channel, the price of one SMS part, for the channels that have one."""
    return {
        name: channel.price_per_part
        for name, channel in project.config.channels.items()
        if channel.price_per_part is not None
    }


def read_ledger(state: StateStore | None, campaign: str, now: datetime) -> tuple[list[Firing], int]:
    """The campaign's firings planned at or before ``now``, and its number of runs (none
    without a state yet)."""
    if state is None:
        return [], 0
    return state.firings(campaign, now), state.run_count(campaign)


def read_events(source, firings: list[Firing], now: datetime) -> list[Event]:
    """The funnel and purchase events of the firings' customers from the first firing to
    ``now``: the store's and the ingested ones. A store whose events table lacks
    ``campaign``, ``template`` or ``amount`` is read without them (its events then count as
    purchases of no value), while the ingested events keep theirs."""
    layout = source.layout
    wanted = [layout.campaign, layout.template, AMOUNT]
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
            amount=_amount(amount),
        )
        for customer, kind, at, campaign, template, amount in zip(
            ids.to_pylist(),
            column(layout.type),
            column(layout.occurred_at),
            column(layout.campaign),
            column(layout.template),
            column(AMOUNT),
            strict=True,
        )
        if at is not None
    ]


def _amount(value: object) -> float | None:
    """A purchase's amount as a number; a store's text or odd value counts as none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value == value else None  # NaN is no amount


def _text_ids(ids: pa.Array) -> pa.Array:
    """Customer ids as the ledger keeps them: text (a whole float ``42.0`` is ``"42"``)."""
    if pa.types.is_floating(ids.type):
        ids = pc.cast(ids, pa.int64(), safe=False)
    return pc.cast(ids, pa.string())
