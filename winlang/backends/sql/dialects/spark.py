"""Spark SQL (Spark 3.4+ and 4, Databricks), run through a Spark session: ``spark:///folder``
and ``sc://host:port`` stores (:mod:`winlang.sources.spark`).

What differs from the PostgreSQL-like defaults:

- month-day of a time is ``date_format(t, 'MM-dd')``, its pattern a parameter the statement
  carries (a transpiler that can't see the bound pattern gets ``birthday is today`` wrong);
- text compares by UTF-8 bytes (code-point order); ``upper``/``lower`` are Java's full Unicode
  case mapping (``ß`` → ``SS``, a final sigma lowers to ``ς``), so no Python functions are
  needed; ``char_length`` counts code points; ``contains``/``startswith``/``endswith`` are
  literal;
- days since a time are exact integer microseconds: ``unix_micros`` and ``div`` (Spark's
  ``/`` is floating-point division even between integers);
- times are ``TIMESTAMP_NTZ`` (naive UTC); the session's zone is pinned to UTC, so catalog
  columns of type ``TIMESTAMP`` compare exactly too;
- state flags, ids and ingested events reach the statement as temporary views made from Arrow
  tables (Spark has no temporary tables to insert into);
- decisions stream back as rows, a partition at a time (:attr:`streams_decisions`): the ids
  are never gathered into one array value on one node;
- Spark's optimizer computes the per-customer decision once (a projection under the
  aggregate), so no fence is needed.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ....contracts.errors import PushdownError
from ..binds import Binder, Instant
from .base import DAY_US, Expr, Functions, SqlDialect, TextMatches, binary, const, named_matches

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Z", "+00:00", "GMT", "Etc/GMT"})


def session_of(connection: Connection) -> Any:
    """The Spark session behind a connection of :mod:`winlang.sources.spark_dbapi`."""
    driver = connection.connection.driver_connection
    session = getattr(driver, "session", None)
    if session is None:
        raise PushdownError(
            "the Spark SQL profile runs statements through a Spark session: open the store "
            "as spark:///folder or sc://host:port (a Databricks SQL warehouse URL is not one)"
        )
    return session


class SparkDialect(SqlDialect):
    name = "spark"
    temp_schema = None  # temporary views have no schema
    temp_views = True
    streams_decisions = True
    functions = Functions(
        gather="collect_list",
        time_format="date_format",
        month_day="MM-dd",
        byte_length="octet_length",
        epoch_us="unix_micros",
    )
    text_matches: ClassVar[TextMatches] = named_matches("contains", "startswith", "endswith")
    case_collation = None

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        zone = session_of(connection).conf.get("spark.sql.session.timeZone")
        if zone not in UTC_NAMES:
            raise PushdownError(
                f"this Spark session's time zone is {zone!r}; winlang reads stores in UTC "
                "(set spark.sql.session.timeZone to UTC)"
            )

    # ---- text ----------------------------------------------------------------------------------

    def text_order(self, expr: Expr, op: str) -> Expr:
        return expr  # UTF-8 byte order is code-point order

    def recase(self, expr: Expr, upper: bool) -> Expr:
        return (sa.func.upper if upper else sa.func.lower)(expr)  # full Unicode mapping

    # ---- time ----------------------------------------------------------------------------------

    def as_timestamp(self, value: Expr) -> Expr:
        return sa.cast(value, sa.TIMESTAMP())  # unix_micros takes TIMESTAMP; the zone is UTC

    def time_value(self, instant: Instant, binder: Binder) -> Expr:
        # Bound as an instant; read as the UTC wall-clock time the store's columns hold.
        return sa.cast(binder.instant(instant, "value", sa.DateTime()), sa.DateTime())

    def days_since(self, value: Expr, binder: Binder) -> Expr:
        """``(n - pmod(n, d)) div d``: floor division of whole microseconds, in integers."""
        now = binder.instant(Instant(), "us", sa.BigInteger())
        elapsed = now - self.epoch_us(value)
        day = const(str(DAY_US))
        return binary("-", elapsed, sa.func.pmod(elapsed, day)).op("div", precedence=8)(day)

    # ---- statement shape -----------------------------------------------------------------------

    def fence(self, select: sa.Select) -> sa.Select:
        return select

    # ---- temporary data ------------------------------------------------------------------------

    def create_view(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        """``rows`` as the temporary view ``table``: the Arrow table handed to the session
        (naive times as UTC instants, which the UTC session reads back as they were)."""
        rows = rows.select([c.name for c in table.columns])
        for position, field in enumerate(rows.schema):
            if pa.types.is_timestamp(field.type) and field.type.tz is None:
                utc = rows.column(position).cast(pa.timestamp("us", tz="UTC"))
                rows = rows.set_column(position, field.name, utc)
        session_of(connection).createDataFrame(rows).createOrReplaceTempView(table.name)

    def drop_view(self, connection: Connection, table: sa.Table) -> None:
        session_of(connection).catalog.dropTempView(table.name)
