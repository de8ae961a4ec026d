"""A DB-API 2.0 connection over a Spark session, so SQLAlchemy (and the SQL backend) can run
statements on Spark exactly as on any database.

Statements are compiled by :class:`SparkSqlDialect`, the Spark SQL dialect of the maintained
``databricks-sqlalchemy`` package (Databricks SQL is Spark SQL: backquoted identifiers, named
parameter markers ``:`name```, ``TIMESTAMP_NTZ`` for naive times), and run with
``spark.sql(text, args=params)``: values stay bound parameters, never pasted into the text.

Rows come back through ``toLocalIterator``: one partition at a time, so ``fetchmany`` holds a
chunk on the driver and in this process, never the whole result.

Times: stores hold naive UTC. Naive datetimes are bound as UTC instants (PySpark would read a
naive one in the machine's zone), and ``TIMESTAMP`` values, which PySpark hands out in the
machine's zone, come back as naive UTC; ``TIMESTAMP_NTZ`` values are wall-clock already.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from databricks.sqlalchemy import DatabricksDialect
from sqlalchemy.dialects import registry
from sqlalchemy.pool import NullPool

from .spark import first_line

apilevel = "2.0"
threadsafety = 1
paramstyle = "named"

CHUNK_ROWS = 100_000  # rows a fetchall gathers per step (each partition still streams)


class Warning(Exception):  # the DB-API names these exceptions
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


class Connection:
    """One DB-API connection: the session and a hook run as it opens (the source registers
    its folder's tables as temporary views there). Spark has no transactions: commit and
    rollback do nothing."""

    def __init__(self, session: Any, on_open: Callable[[Any], None] | None = None) -> None:
        self.session = session
        if on_open is not None:
            on_open(session)

    def cursor(self) -> Cursor:
        return Cursor(self.session)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


class Cursor:
    """Runs one statement at a time with ``spark.sql(text, args=params)``."""

    arraysize = CHUNK_ROWS
    rowcount = -1
    lastrowid = None

    def __init__(self, session: Any) -> None:
        self.session = session
        self.description: list[tuple] | None = None
        self._rows: Iterator[tuple] | None = None
        self._ahead: list[tuple] = []

    def execute(self, operation: str, parameters: Mapping[str, object] | None = None) -> None:
        args = {name: bound(value) for name, value in (parameters or {}).items()}
        try:
            frame = self.session.sql(operation, args=args or None)
            fields = frame.schema.fields
        except Exception as error:  # Spark's analysis and parse errors, any client
            raise DatabaseError(first_line(error)) from error
        if not fields:  # DDL, SET: nothing to fetch
            self.description, self._rows, self._ahead = None, None, []
            return
        self.description = [(f.name, f.dataType.simpleString(), None, None, None, None, True)
                            for f in fields]  # fmt: skip
        local = [f.dataType.typeName() == "timestamp" for f in fields]
        self._rows = _rows(frame, local)
        self._ahead = self._next(1)  # start the job now: its errors belong to execute

    def executemany(self, operation: str, seq_of_parameters) -> None:
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)

    def _next(self, count: int) -> list[tuple]:
        if self._rows is None:
            return []
        found = []
        try:
            for row in self._rows:
                found.append(row)
                if len(found) >= count:
                    break
        except Exception as error:
            raise DatabaseError(first_line(error)) from error
        return found

    def fetchone(self) -> tuple | None:
        rows = self.fetchmany(1)
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        size = size or self.arraysize
        rows, self._ahead = self._ahead[:size], self._ahead[size:]
        if len(rows) < size:
            rows += self._next(size - len(rows))
        return rows

    def fetchall(self) -> list[tuple]:
        rows = []
        while chunk := self.fetchmany(CHUNK_ROWS):
            rows += chunk
        return rows

    def close(self) -> None:
        self._rows, self._ahead = None, []

    def setinputsizes(self, sizes) -> None:
        pass

    def setoutputsize(self, size, column=None) -> None:
        pass


def _rows(frame: Any, local: list[bool]) -> Iterator[tuple]:
    """The frame's rows as tuples, a partition at a time; local-zone times made UTC."""
    any_local = any(local)
    for row in frame.toLocalIterator():
        values = tuple(row)
        if any_local:
            values = tuple(
                _utc(v) if is_local else v for v, is_local in zip(values, local, strict=True)
            )
        yield values


def _utc(value: object) -> object:
    """A TIMESTAMP value PySpark made naive in this machine's zone, as naive UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def bound(value: object) -> object:
    """A parameter value as ``spark.sql`` takes it: naive datetimes are UTC instants."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | str | int | float | bool) or value is None:
        return value
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    return value


class SparkSqlDialect(DatabricksDialect):
    """Spark SQL through a session of this process: Databricks' compiler, this module as the
    driver (no Databricks connection, no transactions)."""

    # The name picks Databricks' type compilation (TIMESTAMP_NTZ, STRING...), registered
    # under it, and the SQL backend's Spark profile.
    name = "databricks"
    driver = "pyspark"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls):
        import sys

        return sys.modules[__name__]

    def initialize(self, connection) -> None:
        # No server version or schema queries: the session is known, and the default
        # dialect's probes would each start a Spark job.
        self.default_schema_name = None
        self.default_isolation_level = None

    def do_rollback(self, dbapi_connection) -> None:
        pass

    def do_commit(self, dbapi_connection) -> None:
        pass

    def _check_unicode_returns(self, connection, additional_tests=None) -> bool:
        return True


def spark_engine(session: Any, on_open: Callable[[Any], None] | None = None) -> sa.Engine:
    """A SQLAlchemy engine whose connections run on ``session``; every connection runs
    ``on_open`` first (no pool: opening one costs nothing but that hook)."""
    return sa.create_engine(
        f"{URL_NAME}://",
        creator=lambda: Connection(session, on_open),
        poolclass=NullPool,
        paramstyle="named",
    )


# Registered under a name no store URL uses: `spark://` URLs are the data source's, and the
# SQL source must never take one for a SQLAlchemy URL.
URL_NAME = "winlang_spark"
registry.register(URL_NAME, __name__, "SparkSqlDialect")
