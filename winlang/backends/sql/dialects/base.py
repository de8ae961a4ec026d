"""The dialect hooks: what the SQL backend asks of a database, with the common answers.

A dialect is a :class:`SqlDialect` subclass in its own module. Where databases differ only in
a function's name, the dialect fills a table (:class:`Functions`, and :data:`TextMatches` for
the literal text matches) and the shared formula here uses it; a method is overridden only
where the formula itself differs. A construct a dialect can't express exactly is named in its
``unsupported`` set (or found missing by :meth:`SqlDialect.prepare`) and raises
:class:`~winlang.backends.base.PushdownError` before anything runs: never a wrong answer.

>>> x = sa.column("x")
>>> str(SqlDialect().gather_ids(x, x > const("0")))
'array_agg(x) FILTER (WHERE x > 0)'
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from ....contracts.errors import DataError, PushdownError
from ..binds import Binder, Instant, literal
from .loading import insert_many

Expr = ColumnElement
DAY_US = 86_400_000_000
ORDERING = frozenset({"<", "<=", ">", ">="})


def const(text: str) -> Expr:
    """A constant of the generated formulas themselves (never user data), written inline."""
    return sa.literal_column(text)


# SQL's own precedences, so SQLAlchemy parenthesizes nested operators correctly (a custom
# operator defaults to the lowest precedence, which would print (a + b) % c as a + b % c).
PRECEDENCE = {"*": 8, "/": 8, "%": 8, "+": 7, "-": 7, "||": 6}


def binary(op: str, left: Expr, right: Expr) -> Expr:
    """``left op right`` for an arithmetic or text operator, written as is (SQLAlchemy's own
    ``/`` would add casts of its choosing).

    >>> x = sa.column("x")
    >>> str(binary("%", binary("+", x, const("1")), const("2")))
    '(x + 1) % 2'
    """
    return left.op(op, precedence=PRECEDENCE[op])(right)


def compare(op: str, left: Expr, right: Expr) -> Expr:
    """``left op right`` with the language's operator names (``!=`` as ``<>``)."""
    return left.op("<>" if op == "!=" else op, is_comparison=True, precedence=5)(right)


def floor_div(numerator: Expr, divisor: int) -> Expr:
    """Integer division rounding toward minus infinity, exactly, from truncating division.

    ``(n - ((n % d) + d) % d) / d``: the numerator is made a multiple of ``d`` first.
    """
    d = const(str(divisor))
    remainder = binary("%", binary("+", binary("%", numerator, d), d), d)
    return binary("/", binary("-", numerator, remainder), d)


def call(name: str, *args: Expr) -> Expr:
    """``name(args...)``: a function the dialect's table names."""
    return getattr(sa.func, name)(*args)


@dataclass(frozen=True)
class Functions:
    """One database's names for the functions the shared formulas call (the defaults are
    PostgreSQL's; ``None``: the database has none, and the dialect overrides the formula)."""

    gather: str = "array_agg"  # aggregate: the ids of a group as one value (with FILTER)
    time_format: str = "to_char"  # f(timestamp, pattern) → text
    month_day: str = "MM-DD"  # the time_format pattern giving "MM-DD"
    byte_length: str = "octet_length"  # UTF-8 bytes of a text (for the ASCII fast path)
    epoch_us: str | None = None  # microseconds since 1970 of a timestamp, exactly


# How each literal text match (``%`` and ``_`` ordinary characters) is written:
# op → (text, pattern) → boolean expression.
TextMatches = Mapping[str, Callable[[Expr, Expr], Expr]]


def named_matches(contains: str, starts_with: str, ends_with: str) -> TextMatches:
    """Text matches for a database with a function for each (``f(text, pattern)``)."""
    names = {"contains": contains, "starts_with": starts_with, "ends_with": ends_with}
    return {op: (lambda t, p, n=name: call(n, t, p)) for op, name in names.items()}


class SqlDialect:
    """The hooks, with the answers most databases share; each dialect module overrides the
    rest. The defaults here are standard SQL and PostgreSQL's functions."""

    name = "generic"
    text_times = False  # timestamps stored as ISO text (SQLite) rather than a native type
    temp_schema: str | None = None  # where TEMPORARY tables live, to drop ours and only ours
    # Constructs this dialect can't express: IR node type names, "Function:<name>",
    # "EventAggregate:<function>", "TextMatch:<op>".
    unsupported: frozenset[str] = frozenset()
    # Event aggregates reach the customers by a LEFT JOIN (a hash join: every customer at
    # once), or by lookups made only when a condition gets that far (SQLite: per-row b-tree
    # probes, so the fewer the better).
    lookup_aggregates = False
    # Temporary data (state flags, ids, ingested events) as views made by create_view, not
    # TEMPORARY tables filled by INSERT (Spark has no temporary tables).
    temp_views = False
    # Decisions come back as rows (rule, id) read in chunks instead of one row holding an id
    # array per rule (a distributed engine would gather every id on one node).
    streams_decisions = False
    functions = Functions()
    text_matches: ClassVar[TextMatches] = {
        "contains": lambda text, pattern: sa.func.strpos(text, pattern) > const("0"),
        "starts_with": lambda text, pattern: sa.func.starts_with(text, pattern),
        "ends_with": lambda text, pattern: (
            sa.func.right(text, sa.func.char_length(pattern)) == pattern
        ),
    }
    # Full Unicode case mapping: lower/upper under this collation (PostgreSQL's ICU), or,
    # when None, built-in lower/upper for ASCII text and winlang_lower/winlang_upper
    # (Python's str.lower/str.upper registered on the connection) for the rest.
    case_collation: str | None = "und-x-icu"

    # ---- checks and per-connection setup ---------------------------------------------------

    def check(self, construct: str) -> None:
        """Raise PushdownError when ``construct`` is one this dialect can't express."""
        if construct in self.unsupported:
            raise PushdownError(
                f"the {self.name} SQL backend can't express {construct} exactly; "
                "evaluate this campaign with the numpy backend instead"
            )

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        """Ready ``connection`` for a statement using ``constructs`` (before it runs)."""

    def verify_times(self, connection: Connection, columns: dict[str, list[str]]) -> None:
        """Refuse time columns whose stored form the statement would misread (typed
        databases store real timestamps: nothing to do)."""

    def stored(self, column: Expr, table: str, name: str, kind: str) -> Expr:
        """Column ``name`` of ``table``, holding values of ``kind``, as the statement reads
        it. Typed databases hold only values of the column's type: the column itself."""
        return column

    def refused(self, connection: Connection) -> DataError | None:
        """The wrong-typed value that stopped the last statement on ``connection``, if any."""
        return None

    def exhausted(self, error: BaseException) -> bool:
        """Whether the driver's ``error`` says the database ran out of memory or disk (the
        store's limits, not a mistake in the statement). SQLSTATE class 53, "insufficient
        resources", where the driver gives one (PostgreSQL)."""
        return str(getattr(error, "sqlstate", None) or "").startswith("53")

    # ---- numbers -------------------------------------------------------------------------------

    def number(self, expr: Expr) -> Expr:
        """A number column as float64, the language's number (decimals would round apart)."""
        return sa.cast(expr, sa.Double())

    def divide(self, left: Expr, right: Expr, zero: Expr) -> Expr:
        """True division; a zero divisor gives null."""
        divisor = sa.cast(sa.func.nullif(right, zero), sa.Double())
        return binary("/", sa.cast(left, sa.Double()), divisor)

    # ---- text ----------------------------------------------------------------------------------

    def text_order(self, expr: Expr, op: str) -> Expr:
        """``expr`` ready to compare by code point with ``op``."""
        return sa.collate(expr, "C") if op in ORDERING else expr

    def recase(self, expr: Expr, upper: bool) -> Expr:
        """Unicode lower/upper case, as Python's ``str.lower``/``str.upper``."""
        builtin = sa.func.upper if upper else sa.func.lower
        if self.case_collation is not None:
            return builtin(sa.collate(expr, self.case_collation))
        # The built-in functions use simple (or ASCII-only) case mapping; ASCII-only text
        # (bytes = characters) is the same either way and stays in the database's own code.
        python = sa.func.winlang_upper if upper else sa.func.winlang_lower
        # (__eq__ called directly: `==` would let char_length, a subclass, go first)
        ascii_only = self.byte_length(expr).__eq__(self.length(expr))
        return sa.case((ascii_only, builtin(expr)), else_=python(expr))

    def byte_length(self, expr: Expr) -> Expr:
        """The UTF-8 bytes of a text."""
        return call(self.functions.byte_length, expr)

    def length(self, expr: Expr) -> Expr:
        """Characters (code points) of a text: SQLAlchemy writes each database's name."""
        return sa.func.char_length(expr)

    def text_match(self, op: str, text: Expr, pattern: Expr) -> Expr:
        """Literal matching (``contains``, ``starts_with``, ``ends_with``): ``%`` and ``_``
        are ordinary characters."""
        return self.text_matches[op](text, pattern)

    # ---- time ----------------------------------------------------------------------------------

    def time_column(self, column: Expr, source_kind: str) -> Expr:
        """A timestamp column's value; a date is midnight UTC."""
        return sa.cast(column, sa.DateTime()) if source_kind == "date" else column

    def as_timestamp(self, value: Expr) -> Expr:
        """A time value as the type the time functions take (a no-op where it already is)."""
        return value

    def time_value(self, instant: Instant, binder: Binder) -> Expr:
        return binder.instant(instant, "value", sa.DateTime())

    def compare_times(self, op: str, left: Expr, right: Expr) -> Expr:
        return compare(op, left, right)

    def compare_to_instant(self, op: str, value: Expr, instant: Instant, binder: Binder) -> Expr:
        return compare(op, value, self.time_value(instant, binder))

    def epoch_us(self, value: Expr) -> Expr:
        """Whole microseconds since 1970 of a time value, exactly."""
        if self.functions.epoch_us is None:
            raise NotImplementedError(f"{self.name}: no epoch_us function (override days_since)")
        return call(self.functions.epoch_us, self.as_timestamp(value))

    def days_since(self, value: Expr, binder: Binder) -> Expr:
        """floor((now - t) / 24 h), in whole microseconds (exact)."""
        now = binder.instant(Instant(), "us", sa.BigInteger())
        return floor_div(now - self.epoch_us(value), DAY_US)

    def month_day(self, value: Expr) -> Expr:
        """``MM-DD`` of a time value."""
        pattern = literal(self.functions.month_day, sa.String())
        return call(self.functions.time_format, self.as_timestamp(value), pattern)

    # ---- statement shape -----------------------------------------------------------------------

    def group_key(self, column: Expr) -> Expr:
        return column

    def fence(self, select: sa.Select) -> sa.Select:
        """Keep the planner from inlining the subquery (it would evaluate the decision CASE
        once per use instead of once per customer)."""
        return select.offset(const("0"))

    def gather_ids(self, ids: Expr, where: Expr) -> Expr:
        """All ``ids`` of the rows where ``where`` holds, as one value."""
        return call(self.functions.gather, ids).filter(where)

    def gathered(self, value: object) -> list:
        """The ids of one :meth:`gather_ids` value."""
        return list(value) if value is not None else []

    def gather_rows(self, columns: Sequence[Expr], where: Expr) -> list[Expr]:
        """Aggregates holding the values of ``columns`` in the rows where ``where`` holds,
        side by side: here one array per column, each in id order (``columns[0]``)."""
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        order = columns[0]
        return [
            sa.func.array_agg(aggregate_order_by(column, order)).filter(where).label(f"g{i}")
            for i, column in enumerate(columns)
        ]

    def carried(self, expr: Expr, kind: str) -> Expr:
        """A value as :meth:`gather_rows` holds it exactly."""
        return expr

    def fetch_row(self, result: sa.CursorResult) -> Sequence:
        """The one row of a statement."""
        return result.one()

    def decision_batches(
        self, connection: Connection, select: sa.Select, params: Mapping[str, object], rows: int
    ) -> Iterator[pa.RecordBatch] | None:
        """With :attr:`streams_decisions`: run ``select`` and hand its rows back as Arrow
        record batches of at most ``rows`` rows, where the driver streams them so (no Python
        object per value, no whole result held); None: SQLAlchemy runs it, its rows read as
        Python rows. Driver errors come out as SQLAlchemy's ``DBAPIError``."""
        return None

    def gathered_rows(self, values: Sequence[object], kinds: Sequence[str | None]) -> list:
        """The columns of one :meth:`gather_rows` result (lists, or Arrow arrays); ``kinds``
        are the carried values' kinds (None for the id and the rule)."""
        return [self.gathered(value) for value in values]

    def id_rows(self, ids: Expr) -> sa.Select:
        """Rows of one column ``id`` from the bound list ``ids``."""
        return sa.select(sa.func.unnest(ids).label("id"))

    def id_list(self, ids: Sequence) -> object:
        """``ids`` in the form :meth:`id_rows` binds."""
        return list(ids)

    def id_list_type(self, id_type: sa.types.TypeEngine) -> sa.types.TypeEngine | None:
        """The bound type of an :meth:`id_list` of ids of ``id_type`` (None: the driver's)."""
        return None

    # ---- bulk loading --------------------------------------------------------------------------

    def load_rows(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        """Insert ``rows`` (Arrow columns named as ``table``'s) into the temporary ``table``."""
        insert_many(connection, table, rows)

    def create_view(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        """With :attr:`temp_views`: ``rows`` as a temporary view named as ``table``."""
        raise NotImplementedError(f"{self.name}: no temporary views")

    def drop_view(self, connection: Connection, table: sa.Table) -> None:
        """With :attr:`temp_views`: drop the view :meth:`create_view` made, if any."""
        raise NotImplementedError(f"{self.name}: no temporary views")
