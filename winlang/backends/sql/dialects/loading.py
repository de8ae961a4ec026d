"""Bulk loading: Arrow rows into a temporary table, the fastest way each database has.

Each loader takes ``(connection, table, rows)``, ``rows`` an Arrow table with a column named
as each of ``table``'s; a dialect picks one as its ``load_rows``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection


def _target(connection: Connection, table: sa.Table) -> str:
    return connection.dialect.identifier_preparer.format_table(table)


def _names(table: sa.Table) -> list[str]:
    return [c.name for c in table.columns]


def insert_many(connection: Connection, table: sa.Table, rows: pa.Table) -> None:
    """One ``executemany`` through SQLAlchemy: works everywhere, the slowest way."""
    connection.execute(table.insert(), rows.select(_names(table)).to_pylist())


_PG_ARRAYS = {
    sa.BigInteger: "bigint",
    sa.Double: "float8",
    sa.String: "text",
    sa.DateTime: "timestamp",
}


def insert_unnest(connection: Connection, table: sa.Table, rows: pa.Table) -> None:
    """PostgreSQL: one ``INSERT ... SELECT FROM unnest(array, array, ...)``; each column
    travels as one array parameter instead of a statement per row."""
    arrays = ", ".join(f"%s::{_PG_ARRAYS[type(c.type)]}[]" for c in table.columns)
    connection.exec_driver_sql(
        f"INSERT INTO {_target(connection, table)} SELECT * FROM unnest({arrays})",
        tuple(rows.column(n).to_pylist() for n in _names(table)),
    )


def insert_arrow(connection: Connection, table: sa.Table, rows: pa.Table) -> None:
    """DuckDB: reads the Arrow table in place."""
    driver = connection.connection.driver_connection
    view = f"{table.name}_rows"
    driver.register(view, rows.select(_names(table)))
    try:
        connection.exec_driver_sql(f"INSERT INTO {_target(connection, table)} SELECT * FROM {view}")
    finally:
        driver.unregister(view)


def _iso_values(column: pa.ChunkedArray) -> list:
    if pa.types.is_timestamp(column.type):  # Arrow's %S has the microseconds of a µs unit
        column = pc.strftime(column.cast(pa.timestamp("us")), "%Y-%m-%d %H:%M:%S")
    return column.to_pylist()


def insert_iso_text(connection: Connection, table: sa.Table, rows: pa.Table) -> None:
    """SQLite: the driver's own ``executemany``, times written as the ISO text the SQLite
    formulas read (``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    columns = [_iso_values(rows.column(c.name)) for c in table.columns]
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {_target(connection, table)} VALUES ({marks})",
        list(zip(*columns, strict=True)),
    )
