"""Spark SQL (Spark 3.4+ and 4, Databricks): the dialect profile of the SQL backend.

What differs from the PostgreSQL-like defaults:

- month-day of a time is ``date_format(t, 'MM-dd')``, written in the statement (a transpiler
  that can't see the bound format gets ``birthday is today`` wrong);
- text compares by UTF-8 bytes (code-point order), ``upper``/``lower`` are Java's full Unicode
  case mapping (``ß`` → ``SS``, a final sigma lowers to ``ς``), ``char_length`` counts code
  points, and ``contains``/``startswith``/``endswith`` are literal;
- days since a time are exact integer microseconds: ``unix_micros`` and ``div`` (``/`` is
  floating-point in Spark);
- times are ``TIMESTAMP_NTZ`` (naive UTC); the session's zone is UTC, so ``TIMESTAMP`` columns
  of a catalog compare exactly too;
- state flags, ids and ingested events reach the statement as temporary views made from Arrow
  tables (Spark has no temporary tables to insert into);
- decisions stream back as rows, a partition at a time (:attr:`streams_decisions`): the
  customers' ids are never gathered into one array value.

Spark's optimizer computes the per-customer decision once (a projection below the aggregate),
so no fence is needed.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..base import PushdownError
from .binds import Binder, Instant, literal
from .dialects import DAY_US, Expr, SqlDialect, binary, const


def _session(connection: Connection) -> Any:
    """The Spark session behind a connection of :mod:`winlang.sources.spark_dbapi`."""
    return connection.connection.driver_connection.session


class SparkDialect(SqlDialect):
    """Spark SQL, run through a Spark session (``spark:///folder`` or ``sc://host:port``)."""

    name = "spark"
    temp_schema = None  # temporary views have no schema
    temp_views = True
    streams_decisions = True

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        zone = _session(connection).conf.get("spark.sql.session.timeZone")
        if zone not in ("UTC", "Etc/UTC", "Z", "+00:00"):
            raise PushdownError(
                f"this Spark session's time zone is {zone!r}; winlang reads stores in UTC "
                "(set spark.sql.session.timeZone to UTC)"
            )

    # ---- text ----------------------------------------------------------------------------------

    def text_order(self, expr: Expr, op: str) -> Expr:
        return expr  # UTF-8 byte order is code-point order

    def recase(self, expr: Expr, upper: bool) -> Expr:
        return (sa.func.upper if upper else sa.func.lower)(expr)

    def length(self, expr: Expr) -> Expr:
        return sa.func.char_length(expr)

    def text_match(self, op: str, text: Expr, pattern: Expr) -> Expr:
        name = {"contains": "contains", "starts_with": "startswith", "ends_with": "endswith"}[op]
        return getattr(sa.func, name)(text, pattern)

    # ---- time ----------------------------------------------------------------------------------

    def time_value(self, instant: Instant, binder: Binder) -> Expr:
        # Bound as an instant, read as the UTC wall-clock time the store's columns hold.
        return sa.cast(binder.instant(instant, "value", sa.DateTime()), sa.DateTime())

    def days_since(self, value: Expr, binder: Binder) -> Expr:
        now = binder.instant(Instant(), "us", sa.BigInteger())
        elapsed = now - sa.func.unix_micros(sa.cast(value, sa.TIMESTAMP()))
        day = const(str(DAY_US))
        # (n - pmod(n, d)) div d: floor division, exact in integers
        return binary("-", elapsed, sa.func.pmod(elapsed, day)).op("div", precedence=8)(day)

    def month_day(self, value: Expr) -> Expr:
        return sa.func.date_format(value, literal("MM-dd", sa.String()))

    # ---- statement shape -----------------------------------------------------------------------

    def fence(self, select: sa.Select) -> sa.Select:
        return select  # the decision is one projection below the aggregate: computed once

    def gather_ids(self, ids: Expr, where: Expr) -> Expr:
        return sa.func.collect_list(ids).filter(where)

    def create_view(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        """``rows`` as the temporary view ``table``: an Arrow table handed to the session
        (times as UTC instants, which the UTC session reads back as they were)."""
        session = _session(connection)
        columns = [c.name for c in table.columns]
        rows = rows.select(columns)
        for position, field in enumerate(rows.schema):
            if pa.types.is_timestamp(field.type) and field.type.tz is None:
                utc = rows.column(position).cast(pa.timestamp("us", tz="UTC"))
                rows = rows.set_column(position, field.name, utc)
        session.createDataFrame(rows).createOrReplaceTempView(table.name)

    def drop_view(self, connection: Connection, table: sa.Table) -> None:
        _session(connection).catalog.dropTempView(table.name)
