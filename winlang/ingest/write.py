"""Writing validated events into the state database, one batch per transaction.

An event id is stored once. Each batch, in its own transaction of the state store
(:meth:`winlang.state.StateStore.event_writer`):

1. takes the ingest lock, so two ingests at once can't both decide an id is new (PostgreSQL:
   a table lock that readers don't wait for; SQLite: its write lock, taken up front);
2. looks up which of its ids are stored already: the same content is "already ingested", other
   content a conflict (the stored event stays: an event is a fact, and the first version
   counts; the conflict is reported so that someone looks at it);
3. inserts the new events with one ``executemany``;
4. records a suppression for each new event that suppresses (``unsubscribe``, ``complaint``,
   ``hard_bounce``: :mod:`winlang.policies.suppressions`): its channel, or ``*`` (every
   channel) when it names none, so the contact policies skip the customer from the next run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from ..contracts.source import Layout
from ..policies.contact import ALL
from ..policies.suppressions import suppressing_mask
from ..state.ingested import EventWriter
from ..state.records import SuppressionRow
from .records import FIELDS, Event, Problem

_CONTENT = FIELDS[1:]  # every column but the id, in Event.content() order


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did."""

    new: int = 0
    already: int = 0
    conflicts: tuple[Problem, ...] = ()


def write_batch(
    writer: EventWriter, batch: Sequence[tuple[int, Event]], ingested_at: datetime
) -> BatchOutcome:
    """Store the events of ``batch`` (each with its line) that are not stored yet, in the
    transaction of ``writer`` (which holds the ingest lock)."""
    already = 0
    conflicts: list[Problem] = []
    first: dict[str, tuple[int, Event]] = {}
    for line, event in batch:
        seen = first.get(event.event_id)
        if seen is None:
            first[event.event_id] = (line, event)
        elif seen[1] == event:
            already += 1  # the same event twice in one file
        else:
            conflicts.append(Problem(line, conflict(event, seen[1], f"is on line {seen[0]} too")))
    stored = {key: Event(*row) for key, row in writer.stored(list(first)).items()}
    new = []
    for event_id, (line, event) in first.items():
        found = stored.get(event_id)
        if found is None:
            new.append(event)
        elif found == event:
            already += 1
        else:
            conflicts.append(Problem(line, conflict(event, found, "was ingested before")))
    if new:
        writer.insert(new, ingested_at)
        writer.suppress(_suppressions(suppressing(new)))
    return BatchOutcome(len(new), already, tuple(conflicts))


def conflict(event: Event, other: Event, where: str) -> str:
    """Why ``event`` can't be taken: the first field in which it differs from ``other``.

    >>> at = datetime(2026, 11, 22)
    >>> a, b = (Event("e1", "17", kind, None, None, None, at) for kind in ("open", "click"))
    >>> conflict(a, b, "was ingested before")
    "event `e1` was ingested before with another `type`: 'click' then, 'open' here"
    """
    name, here, there = next(
        (n, h, t)
        for n, h, t in zip(_CONTENT, event.content(), other.content(), strict=True)
        if h != t
    )
    then = "there" if "line" in where else "then"
    return (
        f"event `{event.event_id}` {where} with another `{name}`: "
        f"{_iso(there)!r} {then}, {_iso(here)!r} here"
    )


def _iso(value: object) -> object:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value


def suppressing(events: Sequence[Event]) -> list[Event]:
    """The events that suppress their customer (:mod:`winlang.policies.suppressions` says
    which: ingested events have no bounce type, so of the bounces only ``hard_bounce``)."""
    if not events:
        return []
    record = pa.RecordBatch.from_pydict(
        {
            "customer_id": [e.customer_id for e in events],
            "type": [e.type for e in events],
            "channel": [e.channel for e in events],
            "occurred_at": pa.array([e.occurred_at for e in events], pa.timestamp("us")),
        }
    )
    latest = max(e.occurred_at for e in events)
    keep = suppressing_mask(record, Layout(), latest)
    return [e for e, suppresses in zip(events, keep.tolist(), strict=True) if suppresses]


def _suppressions(unsubscribes: Iterable[Event]) -> list[SuppressionRow]:
    """A suppression per (customer, channel), at the earliest event's time."""
    earliest: dict[tuple[str, str], Event] = {}
    for event in unsubscribes:
        key = (event.customer_id, event.channel or ALL)
        if key not in earliest or event.occurred_at < earliest[key].occurred_at:
            earliest[key] = event
    return [
        SuppressionRow(customer, channel, e.occurred_at, e.campaign)
        for (customer, channel), e in earliest.items()
    ]
