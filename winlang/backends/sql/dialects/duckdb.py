"""DuckDB: native timestamps, binary text order, a CSE-capable planner.

DuckDB's own upper uses simple case mapping ("ß" → "ẞ"), so text that isn't ASCII is
upper-cased by a Python function registered on the connection (:mod:`.setup`); its lower is
Python's but for "İ" and a final "Σ", which alone go to the Python function.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import loading, setup
from .base import Expr, Functions, SqlDialect, TextMatches, const, named_matches


class DuckDBDialect(SqlDialect):
    name = "duckdb"
    temp_schema = "temp"
    functions = Functions(
        gather="list",
        time_format="strftime",
        month_day="%m-%d",
        byte_length="strlen",
        epoch_us="epoch_us",
    )
    # each literal: no pattern characters
    text_matches: ClassVar[TextMatches] = named_matches("contains", "starts_with", "ends_with")
    case_collation = None
    load_rows = staticmethod(loading.insert_arrow)
    # Decisions come back as rows read as Arrow batches: one list value holding every
    # matched customer can't spill, so a memory limit would fail the statement instead of
    # bounding it (the grouped rows spill like any other aggregate).
    streams_decisions = True

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        if setup.uses_recase(constructs):
            # First, before any statement opens the transaction that the run rolls back.
            setup.register_duckdb_recase(connection)
        setup.require_binary_collation(connection)

    def exhausted(self, error: BaseException) -> bool:
        return type(error).__name__ == "OutOfMemoryException"  # also a full temporary folder

    def recase(self, expr: Expr, upper: bool) -> Expr:
        if upper:  # simple case mapping: "ß" → "ẞ" where Python gives "SS"
            return super().recase(expr, upper)
        # DuckDB's lower is Python's str.lower for every code point but İ (Python: "i̇", two
        # code points) and Σ (Python lowers a word-final one to ς): text without them stays
        # in DuckDB's code (tests/backends/test_duckdb_lower.py checks every code point).
        plain = sa.and_(*(sa.not_(sa.func.contains(expr, const(f"'{c}'"))) for c in "İΣ"))
        return sa.case((plain, sa.func.lower(expr)), else_=sa.func.winlang_lower(expr))

    def text_order(self, expr: Expr, op: str) -> Expr:
        return expr  # binary (code point) order unless default_collation says otherwise

    def as_timestamp(self, value: Expr) -> Expr:
        return sa.cast(value, sa.DateTime())

    def fence(self, select: sa.Select) -> sa.Select:
        return select  # DuckDB computes a projection once however often it is used

    def decision_batches(
        self, connection: Connection, select: sa.Select, params: Mapping[str, object], rows: int
    ) -> Iterator[pa.RecordBatch]:
        """DuckDB runs the statement as a relation read as an Arrow stream, a batch at a time:
        through a cursor (SQLAlchemy's) DuckDB holds the whole result first (every matched
        customer's row with its carried values) and hands over a copy."""
        compiled = select.compile(dialect=connection.dialect)
        values = driver_params(compiled, params, connection.dialect)
        return _streamed(connection.connection.driver_connection, compiled.string, values, rows)


def driver_params(
    compiled: sa.engine.Compiled, params: Mapping[str, object], dialect: sa.engine.Dialect
) -> list:
    """The statement's parameters as the driver takes them: in ``positiontup`` order, each
    through its type's bind processor, as SQLAlchemy's own execution does."""
    values = compiled.construct_params(dict(params))
    found = []
    for name in compiled.positiontup:
        process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        found.append(values[name] if process is None else process(values[name]))
    return found


def _streamed(driver, sql: str, values: list, rows: int) -> Iterator[pa.RecordBatch]:
    import duckdb

    try:
        yield from driver.sql(sql, params=values or None).to_arrow_reader(rows)
    except duckdb.Error as error:  # as SQLAlchemy raises it: the run's handling is the same
        raise sa.exc.DBAPIError.instance(sql, values, error, duckdb.Error) from error
