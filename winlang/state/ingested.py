"""The ``ingested_events`` table: events ``winlang ingest`` stored, read as Arrow, and the
transaction that writes a batch of them (see :mod:`winlang.ingest.write` for the rules)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

import orjson
import pyarrow as pa
import sqlalchemy as sa

from ..plan import ir
from ..sources.normalize import normalize
from ..times import naive_utc
from . import tables as T
from .ledger import insert_ignoring
from .records import SuppressionRow

SQLITE_CACHE_KIB = 256 * 1024

# The event columns of ``ingested_events`` and their Arrow types.
COLUMNS = {
    "event_id": pa.string(),
    "customer_id": pa.string(),
    "type": pa.string(),
    "channel": pa.string(),
    "campaign": pa.string(),
    "template": pa.string(),
    "occurred_at": pa.timestamp("us"),
    "amount": pa.float64(),
    "product_name": pa.string(),
}
FIELDS = tuple(COLUMNS)  # a stored event's row, in column order (``ingested_at`` aside)


def anything_ingested(engine: sa.Engine) -> bool:
    """Whether the state holds any ingested event."""
    query = sa.select(T.ingested_events.c.event_id).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def read_events(
    engine: sa.Engine,
    types: Sequence[str] | None,
    columns: Sequence[str],
    since: datetime | None,
    until: datetime,
    filters: Sequence[ir.EventFilter] | None = None,
) -> pa.Table:
    """The ingested events of ``types`` (None: all) with ``since <= occurred_at <= until``, as
    ``columns`` of :data:`COLUMNS` in their Arrow types; with ``filters``, only events one of
    them keeps (windows end at ``until``)."""
    t = T.ingested_events.c
    read = list(dict.fromkeys(columns))
    where = [t.occurred_at <= naive_utc(until)]
    if since is not None:
        where.append(t.occurred_at >= naive_utc(since))
    if types is not None:
        where.append(t.type.in_(list(types)))
    if filters is not None:
        where.append(sa.or_(*(_kept_by(f, naive_utc(until)) for f in filters)))
    # Times as the database hands them out (SQLite: ISO text), parsed a column at once.
    selected = [sa.type_coerce(t[n], sa.String) if n == "occurred_at" else t[n] for n in read]
    with engine.connect() as connection:
        rows = connection.execute(sa.select(*selected).where(*where)).fetchall()
    data = list(zip(*rows, strict=True)) if rows else [() for _ in read]
    return pa.table({n: _column(n, values) for n, values in zip(read, data, strict=True)})


def _column(name: str, values: Sequence) -> pa.Array:
    if name == "occurred_at":
        return normalize(pa.array(values), "timestamp", "ingested_events", name)
    return pa.array(values, COLUMNS[name])


def _kept_by(found: ir.EventFilter, now: datetime) -> sa.ColumnElement[bool]:
    """The ingested events ``found`` keeps, in SQL."""
    t = T.ingested_events.c
    # The filter's one description (ir.EventFilter.tests); the table names each event field
    # by the field's own name.
    where = [t[field] == value for field, value in found.tests]
    if found.window is not None:
        where.append(t.occurred_at >= now - timedelta(seconds=found.window))
    return sa.and_(*where)


class EventWriter:
    """One transaction of ``winlang ingest``, holding the ingest lock: which events are
    stored already, new events, and the suppressions they make."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def lock(self) -> None:
        """Serialize batches of concurrent ingests (PostgreSQL: a table lock that readers
        don't wait for; SQLite: its write lock, taken up front)."""
        connection = self.connection
        name = connection.dialect.name
        if name == "postgresql":
            connection.exec_driver_sql("LOCK TABLE ingested_events IN SHARE ROW EXCLUSIVE MODE")
        elif name == "sqlite":
            # A write that changes nothing takes SQLite's write lock now rather than at the
            # INSERT, when another ingest holding the read lock would make one of them fail.
            connection.execute(T.ingested_events.delete().where(sa.false()))
            # Events arrive in no order of customer, so every batch updates pages all over
            # the customer index: with SQLite's default 2 MB page cache most of them are read
            # and written again and again (a third of the time at 1M events).
            connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")

    def stored(self, ids: list[str]) -> dict[str, tuple]:
        """The stored events among ``ids``, each as its row of :data:`FIELDS`: which exist
        is one lookup with one array parameter; only those are read whole."""
        if not ids:
            return {}
        t = T.ingested_events.c
        connection = self.connection
        found = connection.execute(sa.select(t.event_id).where(_among(connection, t.event_id, ids)))
        existing = [row[0] for row in found]
        if not existing:
            return {}
        query = sa.select(*(t[n] for n in FIELDS)).where(_among(connection, t.event_id, existing))
        return {row[0]: tuple(row) for row in connection.execute(query)}

    def insert(self, rows: Sequence[Sequence[object]], ingested_at: datetime) -> None:
        """Store ``rows`` (each in :data:`FIELDS` order) with one ``executemany`` of the
        driver, values through the columns' own bind processors (SQLite's text times) but
        not SQLAlchemy's per-row parameter handling, which would double the time."""
        table = T.ingested_events
        dialect = self.connection.dialect
        compiled = table.insert().compile(dialect=dialect)
        names = [c.name for c in table.columns]
        processors = [(i, c.type.bind_processor(dialect)) for i, c in enumerate(table.columns)]
        processors = [(i, p) for i, p in processors[:-1] if p is not None]  # ingested_at: once
        last = table.c.ingested_at.type.bind_processor(dialect)
        at = last(ingested_at) if last is not None else ingested_at
        values = []
        for event in rows:
            row = [*event, at]
            for i, process in processors:
                if row[i] is not None:
                    row[i] = process(row[i])
            values.append(row)
        if compiled.positional:
            order = [names.index(n) for n in compiled.positiontup or ()]
            params: list = [tuple(row[i] for i in order) for row in values]
        else:
            params = [dict(zip(names, row, strict=True)) for row in values]
        self.connection.exec_driver_sql(str(compiled), params)

    def suppress(self, rows: Sequence[SuppressionRow]) -> None:
        """Record ``rows``, leaving a (customer, channel) suppressed already as it is."""
        if rows:
            add_suppressions(self.connection, rows)


def add_suppressions(connection: sa.Connection, rows: Sequence[SuppressionRow]) -> int:
    """Insert suppressions not recorded yet; how many were new."""
    values = [
        {"customer_id": r.customer_id, "channel": r.channel, "campaign": r.campaign, "at": r.at}
        for r in rows
    ]
    return len(insert_ignoring(connection, T.suppressions, values))


@contextmanager
def event_writer(engine: sa.Engine) -> Iterator[EventWriter]:
    """A transaction for one batch of ingested events, the ingest lock taken; committed when
    the block ends, rolled back on an error."""
    with engine.begin() as connection:
        writer = EventWriter(connection)
        writer.lock()
        yield writer


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
