"""Ingested events in the pushed-down statement: the store's events and a temporary table.

Events stored by ``winlang ingest`` live in winlang's state database, which is usually not
the store, so (as with the state flags of :mod:`.state`) the rows the statement needs travel to
the store's connection: a TEMPORARY table is created and bulk-loaded there just before the
statement runs, and the events the statement scans become::

    (SELECT customer_id, type, occurred_at, template FROM events
     UNION ALL
     SELECT customer_id, type, occurred_at, template FROM temp.winlang_ingested) AS e

Only the columns the statement reads, and only the events one of its aggregates counts (its
type, channel, campaign, template and window, up to now): a state full of another campaign's
events costs this statement nothing. A source without ingested events (the usual case) gets no
temporary table and the statement reads the events table alone, exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import quoted_name

from ...contracts.source import Layout
from ...plan import ir
from .compile import table_of
from .dialects import SqlDialect

TABLE = "winlang_ingested"


@runtime_checkable
class HasIngestedEvents(Protocol):
    """A source that also holds events outside the store
    (:class:`winlang.sources.ingested.WithIngested`)."""

    layout: Layout

    def ingested_events(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str] | None,
        since: datetime | None,
        until: datetime,
        filters: Sequence[ir.EventFilter] | None = None,
    ) -> pa.Table:
        """Those events (only those one of ``filters`` keeps, when given), in the layout's
        column names and the store's id type."""
        ...


@dataclass(frozen=True)
class IngestedTable:
    """The temporary table of ingested events and the rows to load into it."""

    table: sa.Table
    rows: pa.Table


def ingested_table(
    source: object,
    aggregates: Sequence[ir.EventAggregate],
    columns: Sequence[str],
    dialect: SqlDialect,
    now: datetime,
) -> IngestedTable | None:
    """The ingested events ``aggregates`` can count, as ``columns``; None when there are none
    (or the source has none at all)."""
    if not aggregates or not isinstance(source, HasIngestedEvents):
        return None
    span = ir.Scan.of(aggregates)
    filters = list(dict.fromkeys(a.filter for a in aggregates))
    rows = source.ingested_events(
        list(span.event_types), list(columns), span.since(now), now, filters
    )
    if rows.num_rows == 0:
        return None
    # A column ingested events don't have (a store's own extra column) is selected as NULL.
    present = [f for f in rows.schema if not pa.types.is_null(f.type)]
    table = sa.Table(
        TABLE,
        sa.MetaData(),
        *(sa.Column(quoted_name(f.name, quote=True), _sql_type(f.type)) for f in present),
        schema=dialect.temp_schema,
        prefixes=["TEMPORARY"],
    )
    return IngestedTable(table, rows.select([f.name for f in present]))


def _sql_type(arrow_type: pa.DataType) -> sa.types.TypeEngine:
    if pa.types.is_integer(arrow_type):
        return sa.BigInteger()
    if pa.types.is_floating(arrow_type):
        return sa.Double()
    if pa.types.is_timestamp(arrow_type):
        return sa.DateTime()
    return sa.String()


def events_with_ingested(
    layout: Layout, columns: Sequence[str], ingested: IngestedTable
) -> sa.Subquery:
    """The store's events table and the ingested events as one relation ``e``."""
    store = table_of(layout.events, columns)
    temp = ingested.table.c
    return sa.union_all(
        sa.select(*(store.c[name] for name in columns)),
        sa.select(*((temp[name] if name in temp else sa.null()).label(name) for name in columns)),
    ).subquery("e")


@contextmanager
def loaded(
    connection: Connection, dialect: SqlDialect, ingested: IngestedTable | None
) -> Iterator[None]:
    """Create and fill the temporary table on ``connection``; drop it when done (committed
    after a rollback, as :func:`.state.filled` explains: only the temporary table changes)."""
    if ingested is None:
        yield
        return
    if dialect.temp_views:
        from .state import viewed

        with viewed(connection, dialect, [(ingested.table, ingested.rows)]):
            yield
        return
    try:
        _drop(connection, ingested.table)  # one an interrupted run left on a pooled connection
        ingested.table.create(connection)
        dialect.load_rows(connection, ingested.table, ingested.rows)
        yield
    finally:
        connection.rollback()
        _drop(connection, ingested.table)
        connection.commit()


def _drop(connection: Connection, table: sa.Table) -> None:
    # Always schema-qualified (temp / pg_temp): this can never drop a table of the store.
    connection.execute(sa.schema.DropTable(table, if_exists=True))
