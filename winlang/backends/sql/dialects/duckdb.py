"""DuckDB: native timestamps, binary text order, a CSE-capable planner.

DuckDB's own upper uses simple case mapping ("ß" → "ẞ"), so text that isn't ASCII is
upper-cased by a Python function registered on the connection (:mod:`.setup`); its lower is
Python's but for "İ" and a final "Σ", which alone go to the Python function.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
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

    def decision_batches(self, result: sa.CursorResult, rows: int) -> Iterator[pa.RecordBatch]:
        """DuckDB's own Arrow stream of the result, a batch at a time: no Python object per
        value (DuckDB holds the result, the matched rows only, while it is read)."""
        with warnings.catch_warnings():  # "an extra copy": of those rows, a batch at a time
            warnings.simplefilter("ignore")
            return iter(result.cursor.to_arrow_reader(rows))
