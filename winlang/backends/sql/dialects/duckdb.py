"""DuckDB: native timestamps, binary text order, a CSE-capable planner.

DuckDB's own lower/upper use simple case mapping ("ß" → "ẞ"), so text that isn't ASCII is
cased by Python functions registered on the connection (:mod:`.setup`).
"""

from __future__ import annotations

from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import loading, setup
from .base import Expr, Functions, SqlDialect, TextMatches, named_matches


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

    def text_order(self, expr: Expr, op: str) -> Expr:
        return expr  # binary (code point) order unless default_collation says otherwise

    def as_timestamp(self, value: Expr) -> Expr:
        return sa.cast(value, sa.DateTime())

    def fence(self, select: sa.Select) -> sa.Select:
        return select  # DuckDB computes a projection once however often it is used
