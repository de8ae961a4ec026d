"""Customers reacting to the demo's messages, so `winlang report` shows a funnel and a lift at
once after `winlang demo`.

Seeded, so the same demo gives the same reactions. For each message the run sent: the SMS
provider reports it delivered (most), then some customers open it, some of those follow its
short link, a few unsubscribe; customers who clicked often buy, the others and the held-out
control group seldom. Recorded as they would be in real life:

- deliveries and opens as the provider's events, through the ingest writer;
- clicks and unsubscribes through the methods `winlang serve` records its ``/r/`` and ``/u/``
  links with (:mod:`winlang.tracking`), so they are the very same events;
- purchases in the shop's own events table (the store), where a shop keeps its orders.

Every reaction happens after the message was sent and no later than the wall clock (at most
two days after the run), so `winlang report` without ``--now`` counts them.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from ..ingest.records import Event
from ..state import State
from ..state.tracking import SENT, TrackedMessage
from ..tracking import CLICK, UNSUBSCRIBE, record

DELIVERED = 0.95  # of the messages sent
OPENED = 0.45  # of those delivered
CLICKED = 0.35  # of those opened
UNSUBSCRIBED = 0.01  # of those delivered
BUY_AFTER_CLICK = 0.40
BUY_OTHERWISE = 0.04  # messaged without a click, or held out: the baseline
MOST = timedelta(days=2)
PRODUCTS = ("rain jacket", "running shoes", "coffee beans", "desk lamp", "yoga mat")


@dataclass(frozen=True)
class Reactions:
    """How many of each reaction were simulated."""

    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    purchases: int = 0

    def as_json(self) -> dict[str, int]:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"customers reacted: {self.delivered:,} delivered, {self.opened:,} opened, "
            f"{self.clicked:,} clicked a short link, {self.unsubscribed:,} unsubscribed, "
            f"{self.purchases:,} purchases"
        )


def react(
    state: State,
    store: Path,
    campaign: str,
    run_id: int,
    now: datetime,
    seed: int,
    wall: datetime | None = None,
) -> Reactions:
    """Simulate and record the reactions to run ``run_id`` (at ``now``, naive UTC) of the
    demo's ``campaign``; purchases go into the SQLite ``store``. ``wall``: the wall clock
    (naive UTC), which no reaction is later than."""
    wall = wall or datetime.now(UTC).replace(tzinfo=None)
    span = max(min(wall - now, MOST), timedelta(0))
    rng = np.random.default_rng(seed)
    firings = state.sent_and_held_out(campaign, run_id)
    found = state.messages_by_id([f.message_id for f in firings if f.status == SENT])
    provider: list[Event] = []
    clicks: list[tuple[TrackedMessage, datetime]] = []
    unsubscribes: list[tuple[TrackedMessage, datetime]] = []
    purchases: list[tuple[str, datetime]] = []
    for firing in firings:
        # when each step happens: increasing fractions of the span after the run
        at = [firing.planned_at + span * float(u) for u in np.sort(rng.random(4))]
        draws = rng.random(5)
        rows = found.get(firing.message_id, [])
        message = rows[0] if len(rows) == 1 else None
        if firing.status != SENT or message is None:
            if draws[4] < BUY_OTHERWISE:
                purchases.append((firing.customer_id, at[3]))
            continue
        if draws[0] >= DELIVERED:
            continue
        provider.append(_provider_event("delivered", message, at[0]))
        clicked = False
        if draws[1] < OPENED:
            provider.append(_provider_event("open", message, at[1]))
            if draws[2] < CLICKED and message.link is not None:
                clicks.append((message, at[2]))
                clicked = True
        if draws[3] < UNSUBSCRIBED:
            unsubscribes.append((message, at[2]))
        if draws[4] < (BUY_AFTER_CLICK if clicked else BUY_OTHERWISE):
            purchases.append((firing.customer_id, at[3]))
    _write_provider_events(state, provider)
    clicked = record(state, CLICK, clicks)
    unsubscribed = record(state, UNSUBSCRIBE, unsubscribes)
    _write_purchases(store, purchases, rng)
    kinds = Counter(event.type for event in provider)
    return Reactions(kinds["delivered"], kinds["open"], clicked, unsubscribed, len(purchases))


def _provider_event(kind: str, message: TrackedMessage, at: datetime) -> Event:
    """A delivery or an open as the SMS provider reports it (its own event id)."""
    return Event(
        f"demo/{kind}/{message.message_id}",
        message.customer_id,
        kind,
        message.channel,
        message.campaign,
        message.template,
        at,
    )


def _write_provider_events(state: State, events: list[Event]) -> None:
    from ..ingest.write import write_batch

    if not events:
        return
    with state.event_writer() as writer:
        write_batch(
            writer, list(enumerate(events, start=1)), datetime.now(UTC).replace(tzinfo=None)
        )


def _write_purchases(store: Path, purchases: list[tuple[str, datetime]], rng) -> None:
    """Orders in the shop's events table, as its checkout would write them."""
    if not purchases:
        return
    with closing(sqlite3.connect(store)) as db:
        first = (db.execute("SELECT max(id) FROM events").fetchone()[0] or 0) + 1
        rows = [
            (
                first + n,
                int(customer),
                "purchase",
                None,
                None,
                None,
                at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                round(float(rng.uniform(15, 180)), 2),
                PRODUCTS[int(rng.integers(len(PRODUCTS)))],
            )
            for n, (customer, at) in enumerate(purchases)
        ]
        db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.commit()
