"""Write generated data as a customer store: SQLite, DuckDB, Parquet or CSV.

Every writer replaces what is already at its destination and returns the path(s) it wrote.
The SQL stores get tables ``customers`` and ``events`` made from SQLAlchemy Core definitions
(:func:`demo_tables`), so reflection sees Integer, String, Float, Boolean, DateTime and Date.

>>> from winlang.demo import generate
>>> write_sqlite(generate(1_000), "shop.db")  # doctest: +SKIP
PosixPath('shop.db')
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import TypeEngine

from winlang.demo.generate import CUSTOMERS_SCHEMA, EVENTS_SCHEMA, DemoData

_SQLITE_BATCH = 50_000  # rows per executemany: bounds the Python objects alive at once


def demo_tables(metadata: MetaData | None = None) -> tuple[Table, Table]:
    """SQLAlchemy definitions of ``customers`` and ``events``, derived from the Arrow schemas.

    >>> customers, events = demo_tables()
    >>> [index.name for index in sorted(events.indexes, key=lambda i: i.name)]
    ['ix_events_customer_id', 'ix_events_type']
    """
    metadata = metadata if metadata is not None else MetaData()
    customers = Table(
        "customers",
        metadata,
        *(_column(field, primary_key=field.name == "id") for field in CUSTOMERS_SCHEMA),
    )
    events = Table("events", metadata, *(_column(field) for field in EVENTS_SCHEMA))
    Index("ix_events_customer_id", events.c.customer_id)
    Index("ix_events_type", events.c.type)
    return customers, events


def write_sqlite(data: DemoData, path: str | Path) -> Path:
    """Write a SQLite store, loading through the stdlib driver (SQLAlchemy would be 5x slower).

    Values are stored the way SQLAlchemy's SQLite types read them back: timestamps as
    ``YYYY-MM-DD HH:MM:SS.ffffff`` text, dates as ``YYYY-MM-DD``, booleans as 0/1.
    """
    path = Path(path)
    _remove(path, *(path.with_name(path.name + suffix) for suffix in ("-journal", "-wal", "-shm")))
    dialect = sqlite_dialect.dialect()
    with closing(sqlite3.connect(path)) as db:
        # Safe only because a failed load leaves a file we would rebuild anyway.
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        for table, arrow in zip(demo_tables(), (data.customers, data.events), strict=True):
            db.execute(_ddl(CreateTable(table), dialect))
            _sqlite_load(db, table, arrow)
            # Indexes after the rows: one sorted build instead of a B-tree update per row.
            for index in sorted(table.indexes, key=lambda i: i.name):
                db.execute(_ddl(CreateIndex(index), dialect))
        db.commit()
    return path


def write_duckdb(data: DemoData, path: str | Path) -> Path:
    """Write a DuckDB store by inserting straight from the Arrow tables (zero-copy scan)."""
    import duckdb  # optional dependency: only this writer needs it
    from duckdb_engine import Dialect as DuckDBDialect

    path = Path(path)
    _remove(path, path.with_name(path.name + ".wal"))
    dialect = DuckDBDialect()
    with closing(duckdb.connect(str(path))) as db:
        # No progress bar: it would draw on the terminal of whoever runs `winlang demo`.
        db.execute("SET enable_progress_bar = false")
        for table, arrow in zip(demo_tables(), (data.customers, data.events), strict=True):
            db.execute(_ddl(CreateTable(table), dialect))
            columns = ", ".join(f'"{name}"' for name in arrow.column_names)
            db.register("demo_source", arrow)
            db.execute(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM demo_source')
            db.unregister("demo_source")
            for index in sorted(table.indexes, key=lambda i: i.name):
                db.execute(_ddl(CreateIndex(index), dialect))
    return path


def write_parquet(data: DemoData, folder: str | Path) -> tuple[Path, Path]:
    """Write ``folder/customers.parquet`` and ``folder/events.parquet``."""
    return _write_files(data, Path(folder), "parquet", pq.write_table)


def write_csv(data: DemoData, folder: str | Path) -> tuple[Path, Path]:
    """Write ``folder/customers.csv`` and ``folder/events.csv`` (empty field = null)."""
    return _write_files(data, Path(folder), "csv", pa_csv.write_csv)


WRITERS: dict[str, Callable[[DemoData, str | Path], object]] = {
    "sqlite": write_sqlite,
    "duckdb": write_duckdb,
    "parquet": write_parquet,
    "csv": write_csv,
}


def _column(field: pa.Field, primary_key: bool = False) -> Column:
    """A SQLAlchemy column for an Arrow field."""
    return Column(
        field.name,
        _sql_type(field.type),
        primary_key=primary_key,
        autoincrement=False,  # ids come from the data; DuckDB also rejects Identity()
        nullable=not primary_key,
    )


def _sql_type(arrow_type: pa.DataType) -> TypeEngine:
    """The SQLAlchemy type that stores and reflects an Arrow type faithfully."""
    if pa.types.is_int64(arrow_type):
        # INTEGER (not BIGINT) on SQLite, so a primary key is the rowid: SQLite ints are 64-bit.
        return BigInteger().with_variant(Integer(), "sqlite")
    if pa.types.is_float64(arrow_type):
        # On DuckDB plain FLOAT is 32-bit.
        return Float().with_variant(Double(), "duckdb")
    if pa.types.is_string(arrow_type):
        return String()
    if pa.types.is_boolean(arrow_type):
        return Boolean()
    if pa.types.is_timestamp(arrow_type):
        return DateTime()
    if pa.types.is_date32(arrow_type):
        return Date()
    raise TypeError(f"no SQL type for Arrow type {arrow_type}")


def _ddl(statement: CreateTable | CreateIndex, dialect: Dialect) -> str:
    return str(statement.compile(dialect=dialect))


def _sqlite_load(db: sqlite3.Connection, table: Table, arrow: pa.Table) -> None:
    """Insert every row of ``arrow``: executemany of multi-row INSERTs, batch by batch."""
    columns = ", ".join(f'"{name}"' for name in arrow.column_names)
    row = f"({', '.join('?' * arrow.num_columns)})"
    # Many rows per statement saves a step/reset per row (~30% faster); 999 is the lowest
    # parameter limit any SQLite build has.
    per_statement = max(1, min(100, 999 // arrow.num_columns))
    insert = f'INSERT INTO "{table.name}" ({columns}) VALUES '
    many, one = insert + ", ".join([row] * per_statement), insert + row
    for batch in arrow.to_batches(max_chunksize=_SQLITE_BATCH):
        rows = list(zip(*(_sqlite_values(column) for column in batch.columns), strict=True))
        whole = len(rows) - len(rows) % per_statement
        groups = zip(*[iter(rows[:whole])] * per_statement, strict=True)
        db.executemany(many, (tuple(chain.from_iterable(group)) for group in groups))
        db.executemany(one, rows[whole:])


def _sqlite_values(column: pa.Array) -> list:
    """One column as Python values (None for null), converted column-wise for speed.

    >>> _sqlite_values(pa.array([1, None]))
    [1, None]
    """
    kind = column.type
    if pa.types.is_timestamp(kind) or pa.types.is_date32(kind):
        storage = pa.int32() if pa.types.is_date32(kind) else pa.int64()
        numbers = column.cast(storage).fill_null(0).to_numpy().astype(np.int64)
        text = _iso_text(numbers, kind)
        column = pc.if_else(column.is_null(), pa.scalar(None, pa.string()), text)
    if column.null_count == 0 or pa.types.is_string(column.type) or pa.types.is_boolean(kind):
        # Strings and booleans come out as objects with None for null already.
        return column.to_numpy(zero_copy_only=False).tolist()
    values = column.fill_null(0).to_numpy().astype(object)  # to_numpy would turn ints to floats
    values[column.is_null().to_numpy(zero_copy_only=False)] = None
    return values.tolist()


def _iso_text(values: np.ndarray, kind: pa.DataType) -> pa.StringArray:
    """Dates as ``YYYY-MM-DD``, timestamps[us] as ``YYYY-MM-DD HH:MM:SS.ffffff``.

    Digit arithmetic on whole columns: 20x faster than ``pc.strftime`` or NumPy's
    ``datetime_as_string``, which made formatting the slowest part of the SQLite load.

    >>> _iso_text(np.array([0, 60_001_000]), pa.timestamp("us")).to_pylist()
    ['1970-01-01 00:00:00.000000', '1970-01-01 00:01:00.001000']
    """
    if pa.types.is_date32(kind):
        days, rest = values, np.zeros_like(values)
    else:
        days, rest = np.divmod(values, 86_400 * 10**6)
    year, month, day = _civil_from_days(days)
    if len(year) and (year.min() < 1 or year.max() > 9999):
        raise ValueError("years must be within 1..9999, as Python's datetime requires")
    seconds, micros = np.divmod(rest, 10**6)
    hours, minutes, seconds = seconds // 3600, seconds // 60 % 60, seconds % 60
    parts = [(year, 4), "-", (month, 2), "-", (day, 2)]
    if not pa.types.is_date32(kind):
        parts += [" ", (hours, 2), ":", (minutes, 2), ":", (seconds, 2), ".", (micros, 6)]
    return _fixed_width_text(parts, len(values))


def _civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 (H. Hinnant's civil_from_days)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _fixed_width_text(parts: list, size: int) -> pa.StringArray:
    """Strings of one width from (numbers, digits) and literal parts, in a single buffer."""
    width = sum(len(part) if isinstance(part, str) else part[1] for part in parts)
    text = np.empty((size, width), dtype=np.uint8)
    position = 0
    for part in parts:  # one pass per character position, never per row
        if isinstance(part, str):
            text[:, position] = ord(part)
            position += 1
            continue
        numbers, digits = part
        for place in range(digits):
            text[:, position + digits - 1 - place] = 48 + numbers // 10**place % 10
        position += digits
    offsets = np.arange(0, size * width + 1, width, dtype=np.int32)
    return pa.StringArray.from_buffers(size, pa.py_buffer(offsets), pa.py_buffer(text))


def _write_files(
    data: DemoData, folder: Path, extension: str, write: Callable[[pa.Table, Path], None]
) -> tuple[Path, Path]:
    """Write both tables into ``folder`` with ``write``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"customers.{extension}", folder / f"events.{extension}")
    for table, path in zip((data.customers, data.events), paths, strict=True):
        write(table, path)
    return paths


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


__all__ = ["WRITERS", "demo_tables", "write_csv", "write_duckdb", "write_parquet", "write_sqlite"]
