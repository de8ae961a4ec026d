"""SQLite: dynamic types, timestamps as ISO text, ASCII-only built-in case mapping.

Timestamps are the text SQLAlchemy writes (``YYYY-MM-DD HH:MM:SS.ffffff``; a date is
``YYYY-MM-DD``; ``T`` for the space also works). Text order equals time order only between
values written alike, so times are never compared as whole text:

- against a bound instant B, the first ten characters (the date, same in every form)
  decide unless the value falls on B's own day, and only then is it converted to exact
  microseconds (``unixepoch`` of the seconds, plus the fraction digits);
- between two columns, ``julianday`` (millisecond resolution, monotone) decides unless
  both fall within the same millisecond, which is then settled in microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import orjson
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import operators
from sqlalchemy.sql.expression import UnaryExpression

from ....contracts.errors import DataError
from ..binds import Binder, Instant, literal
from . import loading, setup
from .base import Expr, Functions, SqlDialect, TextMatches, binary, compare, const

# Comparison results when the left side is known to be before / after the right side.
_IF_BEFORE = {"<": True, "<=": True, "!=": True, "=": False, ">": False, ">=": False}
_IF_AFTER = {"<": False, "<=": False, "!=": True, "=": False, ">": True, ">=": True}

# The SQLite storage classes (typeof) a column of each kind may hold.
_STORAGE = {
    "number": ("integer", "real", "null"),
    "bool": ("integer", "real", "null"),
    "text": ("text", "null"),
}


def _ends_with(text: Expr, pattern: Expr) -> Expr:
    start = sa.func.length(text) - sa.func.length(pattern) + const("1")
    return sa.func.substr(text, start) == pattern


TEXT_MATCHES: TextMatches = {
    "contains": lambda text, pattern: sa.func.instr(text, pattern) > const("0"),
    "starts_with": lambda text, pattern: (
        sa.func.substr(text, const("1"), sa.func.length(pattern)) == pattern
    ),
    "ends_with": _ends_with,
}


class SqliteDialect(SqlDialect):
    name = "sqlite"
    text_times = True
    temp_schema = "temp"
    minimum_version = (3, 38, 0)  # unixepoch()
    lookup_aggregates = True
    functions = Functions(gather="json_group_array")
    text_matches: ClassVar[TextMatches] = TEXT_MATCHES
    case_collation = None  # built-in lower/upper know ASCII only
    load_rows = staticmethod(loading.insert_iso_text)

    # ---- checks and per-connection setup ---------------------------------------------------

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        setup.require_sqlite(connection, self.minimum_version)
        if setup.uses_recase(constructs):
            setup.register_sqlite_recase(connection)
        setup.register_sqlite_refusal(connection)

    def verify_times(self, connection: Connection, columns: dict[str, list[str]]) -> None:
        setup.verify_iso_times(connection, columns)

    def stored(self, column: Expr, table: str, name: str, kind: str) -> Expr:
        """SQLite keeps any value in any column ('abc' in a REAL column), and the statement
        would decide on it silently: each read checks the value's storage class, in C, and
        a wrong one stops the statement through ``winlang_wrong_value``. (Times are left to
        :meth:`verify_times`: wrapping them would hide their indexes from the planner.)"""
        classes = _STORAGE.get(kind)
        if classes is None:
            return column
        fits = sa.func.typeof(column).in_([const(f"'{c}'") for c in classes])
        names = (literal(table, sa.String()), literal(name, sa.String()))
        wrong = getattr(sa.func, setup.REFUSAL)(*names, literal(kind, sa.String()), column)
        return sa.case((fits, column), else_=wrong)

    def refused(self, connection: Connection) -> DataError | None:
        return setup.refusal_of(connection)

    def exhausted(self, error: BaseException) -> bool:
        return getattr(error, "sqlite_errorname", None) in ("SQLITE_FULL", "SQLITE_NOMEM")

    # ---- numbers and text ----------------------------------------------------------------------

    def number(self, expr: Expr) -> Expr:
        return expr  # SQLite numbers are already int64 or float64

    def text_order(self, expr: Expr, op: str) -> Expr:
        # BINARY (memcmp of UTF-8) is code-point order; say so in case a column is NOCASE.
        return sa.collate(expr, "BINARY")

    def byte_length(self, expr: Expr) -> Expr:
        return sa.func.length(sa.cast(expr, sa.LargeBinary()))

    # ---- time ----------------------------------------------------------------------------------

    def time_column(self, column: Expr, source_kind: str) -> Expr:
        return column  # dates are "YYYY-MM-DD": already midnight to every formula below

    def time_value(self, instant: Instant, binder: Binder) -> Expr:
        return binder.instant(instant, "text", sa.String())

    def epoch_us(self, value: Expr) -> Expr:
        """Microseconds since 1970 of ISO text, exactly (SQLite's date functions round to
        milliseconds): whole seconds from ``unixepoch`` plus the fraction's digits."""
        seconds = sa.func.unixepoch(sa.func.substr(value, const("1"), const("19")))
        digits = binary("||", sa.func.substr(value, const("21")), literal("000000", sa.String()))
        fraction = sa.func.substr(digits, const("1"), const("6"))
        return binary("+", binary("*", seconds, const("1000000")), sa.cast(fraction, sa.Integer()))

    def compare_times(self, op: str, left: Expr, right: Expr) -> Expr:
        order = sa.func.sign(sa.func.julianday(left) - sa.func.julianday(right))
        return sa.case(  # CASE order WHEN ...: the order is computed once
            {
                1: sa.true() if _IF_AFTER[op] else sa.false(),
                -1: sa.true() if _IF_BEFORE[op] else sa.false(),
            },
            value=order,
            else_=compare(op, self.epoch_us(left), self.epoch_us(right)),
        )

    def compare_to_instant(self, op: str, value: Expr, instant: Instant, binder: Binder) -> Expr:
        """``value op B`` where only a value on B's own day is converted: before that day
        (text below "YYYY-MM-DD" of B) or after it (at or above the next day's date) the
        answer is known. Plain ANDs and ORs, so null stays null and SQLite stops early."""
        day = binder.instant(instant, "day", sa.String())
        next_day = binder.instant(instant, "next_day", sa.String())
        exact = compare(op, self.epoch_us(value), binder.instant(instant, "us", sa.BigInteger()))
        if op in ("<", "<="):
            return sa.or_(value < day, sa.and_(value < next_day, exact))
        if op in (">", ">="):
            return sa.or_(value >= next_day, sa.and_(value >= day, exact))
        if op == "=":
            return sa.and_(value >= day, value < next_day, exact)
        return sa.or_(value < day, value >= next_day, exact)

    def month_day(self, value: Expr) -> Expr:
        return sa.func.substr(value, const("6"), const("5"))  # "YYYY-MM-DD...": no formatting

    # ---- statement shape -----------------------------------------------------------------------

    def group_key(self, column: Expr) -> Expr:
        # A unary plus hides events(customer_id) from the planner, which would otherwise walk
        # that index to avoid sorting and fetch every event row out of order (measured 35%
        # slower on 10M events).
        return UnaryExpression(column, operator=operators.custom_op("+"))

    def fence(self, select: sa.Select) -> sa.Select:
        # A subquery with OFFSET is never flattened into an aggregate query.
        return select.limit(const("-1")).offset(const("0"))

    def gathered(self, value: object) -> list:
        return orjson.loads(value) if value is not None else []

    def gather_rows(self, columns: Sequence[Expr], where: Expr) -> list[Expr]:
        # An aggregate query steps every aggregate on each row in turn: the arrays align.
        return [self.gather_ids(column, where).label(f"g{i}") for i, column in enumerate(columns)]

    def carried(self, expr: Expr, kind: str) -> Expr:
        # JSON keeps 15 digits of a REAL (and has no Inf): numbers travel as exact text.
        if kind != "number":
            return expr
        text = sa.func.printf(const("'%!.17g'"), expr)
        return sa.case((expr.is_(None), sa.null()), else_=text)

    def gathered_rows(self, values: Sequence[object], kinds: Sequence[str | None]) -> list:
        found = [self.gathered(value) for value in values]
        return [
            pa.array(column, pa.string()).cast(pa.float64()) if kind == "number" else column
            for column, kind in zip(found, kinds, strict=True)
        ]

    def id_rows(self, ids: Expr) -> sa.Select:
        return sa.select(const("value").label("id")).select_from(sa.func.json_each(ids))

    def id_list(self, ids: Sequence) -> object:
        return orjson.dumps(list(ids)).decode()
