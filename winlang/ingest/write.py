"""Writing validated events into the state database, one batch per transaction.

An event id is stored once. Each batch, in its own transaction:

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

import orjson
import pyarrow as pa
import sqlalchemy as sa

from ..contracts.source import Layout
from ..policies.contact import ALL
from ..policies.suppressions import suppressing_mask
from ..state import tables as T
from .records import FIELDS, Event, Problem

SQLITE_CACHE_KIB = 256 * 1024
_CONTENT = FIELDS[1:]  # every column but the id, in Event.content() order


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did."""

    new: int = 0
    already: int = 0
    conflicts: tuple[Problem, ...] = ()


def write_batch(
    connection: sa.Connection, batch: Sequence[tuple[int, Event]], ingested_at: datetime
) -> BatchOutcome:
    """Store the events of ``batch`` (each with its line) that are not stored yet; the caller
    commits."""
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
    _lock(connection)
    stored = _stored(connection, list(first))
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
        _insert(connection, new, ingested_at)
        _suppress(connection, suppressing(new))
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


def _lock(connection: sa.Connection) -> None:
    """Serialize batches of concurrent ingests (see the module docstring)."""
    name = connection.dialect.name
    if name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE ingested_events IN SHARE ROW EXCLUSIVE MODE")
    elif name == "sqlite":
        # A write that changes nothing takes SQLite's write lock now rather than at the
        # INSERT, when another ingest holding the read lock would make one of them fail.
        connection.execute(T.ingested_events.delete().where(sa.false()))
        # Events arrive in no order of customer, so every batch updates pages all over the
        # customer index: with SQLite's default 2 MB page cache most of them are read and
        # written again and again (a third of the time at 1M events). For this connection.
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def _stored(connection: sa.Connection, ids: list[str]) -> dict[str, Event]:
    """The stored events among ``ids``: which exist is one lookup with one array parameter;
    only those are read whole (usually none, or all when a file is ingested again)."""
    if not ids:
        return {}
    t = T.ingested_events.c
    found = connection.execute(sa.select(t.event_id).where(_among(connection, t.event_id, ids)))
    existing = [row[0] for row in found]
    if not existing:
        return {}
    query = sa.select(*(t[n] for n in FIELDS)).where(_among(connection, t.event_id, existing))
    return {row[0]: Event(*row) for row in connection.execute(query)}


def _among(connection: sa.Connection, column: sa.ColumnElement, ids: list[str]):
    """``column IN ids`` as one parameter where the database can (thousands of placeholders
    cost more to render and bind than the lookup itself)."""
    name = connection.dialect.name
    if name == "sqlite":
        items = sa.func.json_each(sa.literal(orjson.dumps(ids).decode(), sa.String()))
        return column.in_(sa.select(sa.literal_column("value")).select_from(items))
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.literal(ids, ARRAY(sa.String())))
    return column.in_(ids)


def _insert(connection: sa.Connection, events: list[Event], ingested_at: datetime) -> None:
    """One ``executemany`` of the driver with the statement SQLAlchemy compiles for this
    database; values go through the columns' own bind processors (SQLite's text times), but
    not through SQLAlchemy's per-row parameter handling, which would double the time."""
    table = T.ingested_events
    dialect = connection.dialect
    compiled = table.insert().compile(dialect=dialect)
    names = [c.name for c in table.columns]
    processors = [(i, c.type.bind_processor(dialect)) for i, c in enumerate(table.columns)]
    processors = [(i, p) for i, p in processors[:-1] if p is not None]  # ingested_at: once
    last = table.c.ingested_at.type.bind_processor(dialect)
    at = last(ingested_at) if last is not None else ingested_at
    rows = []
    for event in events:
        row = [*event, at]
        for i, process in processors:
            if row[i] is not None:
                row[i] = process(row[i])
        rows.append(row)
    if compiled.positional:
        order = [names.index(n) for n in compiled.positiontup or ()]
        params: list = [tuple(row[i] for i in order) for row in rows]
    else:
        params = [dict(zip(names, row, strict=True)) for row in rows]
    connection.exec_driver_sql(str(compiled), params)


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


def _suppress(connection: sa.Connection, unsubscribes: Iterable[Event]) -> None:
    """A suppression per (customer, channel) not suppressed yet; the earliest event's time."""
    earliest: dict[tuple[str, str], Event] = {}
    for event in unsubscribes:
        key = (event.customer_id, event.channel or ALL)
        if key not in earliest or event.occurred_at < earliest[key].occurred_at:
            earliest[key] = event
    if not earliest:
        return
    rows = [
        {"customer_id": c, "channel": ch, "campaign": e.campaign, "at": e.occurred_at}
        for (c, ch), e in earliest.items()
    ]
    insert = _insert_if_absent(connection, T.suppressions)
    if insert is not None:
        connection.execute(insert, rows)
        return
    s = T.suppressions.c  # no upsert in this dialect: skip the pairs already there
    pairs = set(map(tuple, connection.execute(sa.select(s.customer_id, s.channel))))
    rows = [r for r in rows if (r["customer_id"], r["channel"]) not in pairs]
    if rows:
        connection.execute(T.suppressions.insert(), rows)


def _insert_if_absent(connection: sa.Connection, table: sa.Table):
    """``INSERT ... ON CONFLICT DO NOTHING`` where the dialect has it: the delivery loop
    writes suppressions too (``unsubscribe`` actions), so an existing row is no error."""
    name = connection.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        return None
    return insert(table).on_conflict_do_nothing()
