"""DuckDB: native timestamps, binary text order, a CSE-capable planner.

DuckDB's own upper uses simple case mapping ("ß" → "ẞ"), so text that isn't ASCII is
upper-cased by a Python function registered on the connection (:mod:`.setup`); its lower is
Python's but for "İ" and a final "Σ", which alone go to the Python function.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
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

    def gather_rows(self, columns: Sequence[Expr], where: Expr) -> list[Expr]:
        # One list of rows: the columns stay side by side whatever the threads do.
        return [sa.func.list(sa.func.row(*columns)).filter(where).label("g")]

    def fetch_row(self, result: sa.CursorResult) -> Sequence:
        """As Arrow (no Python object per value): scalars, and lists as their values."""
        with warnings.catch_warnings():  # "an extra copy": of the one row, which is fine
            warnings.simplefilter("ignore")
            table = result.cursor.to_arrow_table()
        columns = [table.column(i).combine_chunks() for i in range(table.num_columns)]
        return [c.flatten() if pa.types.is_list(c.type) else c[0].as_py() for c in columns]

    def gathered_rows(self, values: Sequence[object], kinds: Sequence[str | None]) -> list:
        (rows,) = values
        return rows.flatten()
