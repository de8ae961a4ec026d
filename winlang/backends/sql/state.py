"""State flags (``received``, ``in_list``, ``fired``) as temporary tables of customer ids.

The ids come from winlang's own state database, which is not the store, so they travel to the
store's connection: a flag true for nobody is the constant FALSE (never null); otherwise a
TEMPORARY table is created and filled in the statement's connection just before it runs, and
the flag is ``c.id IN (SELECT id FROM temp table)``. Tables are dropped afterwards, and
before, in case an interrupted run left one on a pooled connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ...plan import ir
from .dialects import SqlDialect

PREFIX = "winlang_state_"


@dataclass(frozen=True)
class StateTable:
    """One flag's ids and the temporary table that holds them."""

    table: sa.Table
    ids: np.ndarray


def state_tables(
    flags: Mapping[ir.StateFlag, np.ndarray], dialect: SqlDialect
) -> dict[ir.StateFlag, StateTable]:
    """A temporary table for each flag that is true for someone (numbered in flag order)."""
    tables = {}
    for flag, ids in flags.items():
        if len(ids) == 0:
            continue
        tables[flag] = id_table(f"{PREFIX}{len(tables)}", ids, dialect)
    return tables


def id_table(name: str, ids: np.ndarray, dialect: SqlDialect) -> StateTable:
    """A temporary table ``name`` to hold ``ids`` (each once)."""
    unique = np.unique(np.asarray(ids))
    kind = sa.BigInteger() if unique.dtype.kind in "iu" else sa.String()
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", kind, primary_key=True, autoincrement=False),
        schema=dialect.temp_schema,
        prefixes=["TEMPORARY"],
    )
    return StateTable(table, unique)


def state_expressions(
    tables: Mapping[ir.StateFlag, StateTable], customer_id: ColumnElement
) -> dict[ir.StateFlag, ColumnElement]:
    """``c.id IN (SELECT id FROM <table>)`` per flag with ids; other flags compile to FALSE."""
    return {flag: customer_id.in_(sa.select(t.table.c.id)) for flag, t in tables.items()}


@contextmanager
def filled(
    connection: Connection, dialect: SqlDialect, tables: Sequence[StateTable]
) -> Iterator[None]:
    """Create and fill ``tables`` on ``connection``; drop them when done.

    The drops are committed after a rollback: SQLite's driver runs CREATE outside the
    transaction that a rollback undoes, so a rolled-back DROP would leave the table behind.
    Nothing else is written, so the commit changes nothing of the store.
    """
    if not tables:
        yield
        return
    if dialect.temp_views:
        with viewed(connection, dialect, [(s.table, pa.table({"id": s.ids})) for s in tables]):
            yield
        return
    try:
        for state in tables:
            _drop(connection, state.table)
            state.table.create(connection)
            ids = sa.bindparam("ids", type_=dialect.id_list_type(state.table.c.id.type))
            rows = dialect.id_rows(ids)
            connection.execute(
                state.table.insert().from_select(["id"], rows),
                {"ids": dialect.id_list(state.ids.tolist())},
            )
        yield
    finally:
        connection.rollback()
        for state in tables:
            _drop(connection, state.table)
        connection.commit()


@contextmanager
def viewed(
    connection: Connection, dialect: SqlDialect, views: Sequence[tuple[sa.Table, pa.Table]]
) -> Iterator[None]:
    """Each (table, rows) as a temporary view on ``connection`` (:attr:`SqlDialect.temp_views`),
    dropped when done."""
    try:
        for table, rows in views:
            dialect.create_view(connection, table, rows)
        yield
    finally:
        for table, _rows in views:
            dialect.drop_view(connection, table)


def _drop(connection: Connection, table: sa.Table) -> None:
    # Always schema-qualified (temp / pg_temp): this can never drop a table of the store.
    connection.execute(sa.schema.DropTable(table, if_exists=True))
