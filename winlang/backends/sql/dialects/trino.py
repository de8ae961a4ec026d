"""Trino, compiled by the ``trino`` client's SQLAlchemy dialect (``trino://`` engines).

Compiled, not executed in CI: ``tests/golden/sql/trino/`` holds the statements, and nothing
in the suite runs them on a Trino server. What differs from the PostgreSQL-like defaults:

- ``lower``/``upper`` map case one code point at a time (no ``ß`` → ``SS``, no final sigma,
  ``İ`` → ``i``; Trino's documentation says so), so campaigns that change case are refused
  (:class:`~winlang.contracts.errors.PushdownError`): the numpy backend evaluates them;
- text compares by its UTF-8 bytes (code-point order) with no collation to choose;
  ``length`` counts code points; ``strpos``/``starts_with`` are literal and ``ends_with`` is
  the last ``length(pattern)`` characters (``substr`` with a negative start);
- month-day is ``date_format(t, '%m-%d')`` (MySQL-style patterns);
- days since a time: Trino has no exact epoch microseconds (``to_unixtime`` is a double),
  so ``date_diff('day', t, now)``, which can be a day off (it counts on milliseconds and
  truncates toward zero), is corrected by comparing ``date_add('day', d, t)`` with now,
  exact to the microsecond;
- decisions stream back as rows (:attr:`streams_decisions`), as on Spark;
- Trino's planner inlines a projection only where it is used once, so no fence is needed;
- Trino has no temporary tables: campaigns that need state flags, id lists or ingested
  events in the statement are refused when they would be loaded.
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ....contracts.errors import PushdownError
from ..binds import Binder, Instant
from .base import Expr, Functions, SqlDialect, TextMatches, binary, const
from .setup import RECASE


def _ends_with(text: Expr, pattern: Expr) -> Expr:
    """The last ``length(pattern)`` characters are ``pattern`` (``substr(t, 0)`` is ``''``,
    so the empty pattern matches, and a pattern longer than the text gives ``''``)."""
    return sa.func.substr(text, -sa.func.length(pattern)) == pattern


class TrinoDialect(SqlDialect):
    name = "trino"
    temp_views = True  # no temporary tables: create_view refuses (see the module docstring)
    streams_decisions = True
    unsupported = RECASE  # lower/upper: simple, per-code-point case mapping
    functions = Functions(
        gather="array_agg",
        time_format="date_format",
        month_day="%m-%d",
        byte_length="length",  # unused: case mapping is refused
    )
    text_matches: ClassVar[TextMatches] = {
        "contains": lambda text, pattern: sa.func.strpos(text, pattern) > const("0"),
        "starts_with": lambda text, pattern: sa.func.starts_with(text, pattern),
        "ends_with": _ends_with,
    }
    case_collation = None

    # ---- text ----------------------------------------------------------------------------------

    def text_order(self, expr: Expr, op: str) -> Expr:
        return expr  # varchar compares by UTF-8 bytes: code-point order

    def recase(self, expr: Expr, upper: bool) -> Expr:
        raise PushdownError(  # check() refuses first; this keeps a wrong mapping unwritable
            "the trino SQL backend can't change case exactly (Trino maps one code point at a "
            "time); evaluate this campaign with the numpy backend instead"
        )

    def length(self, expr: Expr) -> Expr:
        return sa.func.length(expr)  # code points

    # ---- time ----------------------------------------------------------------------------------

    def days_since(self, value: Expr, binder: Binder) -> Expr:
        """floor((now - t) / 24 h), exact: ``date_diff``'s day count, within one of the
        answer, corrected by comparing ``t`` plus that many days with now (a day is 24 h
        in a timestamp without a zone)."""
        now = self.time_value(Instant(), binder)
        days = sa.func.date_diff(sa.literal_column("'day'"), value, now)
        plus = binary("+", days, const("1"))
        step = sa.case(
            (sa.func.date_add(sa.literal_column("'day'"), days, value) > now, const("-1")),
            (sa.func.date_add(sa.literal_column("'day'"), plus, value) <= now, const("1")),
            else_=const("0"),
        )
        return binary("+", days, step)

    # ---- statement shape -----------------------------------------------------------------------

    def fence(self, select: sa.Select) -> sa.Select:
        return select  # Trino inlines a projection only where it is used once

    # ---- temporary data ------------------------------------------------------------------------

    def create_view(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        raise PushdownError(
            "Trino has no temporary tables to hold state flags, id lists or ingested events; "
            "evaluate this campaign with the numpy backend instead"
        )

    def drop_view(self, connection: Connection, table: sa.Table) -> None:
        """Nothing to drop: :meth:`create_view` never made a view."""
