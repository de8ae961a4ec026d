"""What differs between databases, declared per dialect (SQLite, DuckDB, PostgreSQL).

Each dialect says how it stores and compares timestamps, divides, compares and cases text,
gathers ids and isolates a subquery. A construct a dialect can't express exactly is named in
its ``unsupported`` set (or found missing by :meth:`SqlDialect.prepare`) and raises
:class:`~winlang.backends.base.PushdownError` before anything runs: never a wrong answer.

>>> dialect_named("sqlite").text_times, dialect_named("duckdb").text_times
(True, False)
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Callable, Iterable, Sequence

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import UnaryExpression

from ...errors import wrong_value
from ..base import DataError, PushdownError
from .binds import Binder, Instant, literal

Expr = ColumnElement
DAY_US = 86_400_000_000

# Comparison results when the left side is known to be before / after the right side.
_IF_BEFORE = {"<": True, "<=": True, "!=": True, "=": False, ">": False, ">=": False}
_IF_AFTER = {"<": False, "<=": False, "!=": True, "=": False, ">": True, ">=": True}
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


class SqlDialect:
    """The PostgreSQL-like defaults; each database overrides what it does differently."""

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
        return (sa.func.upper if upper else sa.func.lower)(sa.collate(expr, "und-x-icu"))

    def length(self, expr: Expr) -> Expr:
        return sa.func.char_length(expr)

    def text_match(self, op: str, text: Expr, pattern: Expr) -> Expr:
        """Literal matching: ``%`` and ``_`` are ordinary characters."""
        if op == "contains":
            return sa.func.strpos(text, pattern) > const("0")
        if op == "starts_with":
            return sa.func.starts_with(text, pattern)
        return sa.func.right(text, sa.func.char_length(pattern)) == pattern

    # ---- time ----------------------------------------------------------------------------------

    def time_column(self, column: Expr, source_kind: str) -> Expr:
        """A timestamp column's value; a date is midnight UTC."""
        return sa.cast(column, sa.DateTime()) if source_kind == "date" else column

    def time_value(self, instant: Instant, binder: Binder) -> Expr:
        return binder.instant(instant, "value", sa.DateTime())

    def compare_times(self, op: str, left: Expr, right: Expr) -> Expr:
        return compare(op, left, right)

    def compare_to_instant(self, op: str, value: Expr, instant: Instant, binder: Binder) -> Expr:
        return compare(op, value, self.time_value(instant, binder))

    def days_since(self, value: Expr, binder: Binder) -> Expr:
        """floor((now - t) / 24 h); exact: the epoch difference is a numeric in PostgreSQL."""
        seconds = sa.extract("epoch", self.time_value(Instant(), binder) - value)
        return sa.func.floor(binary("/", seconds, const("86400")))

    def month_day(self, value: Expr) -> Expr:
        """``MM-DD`` of a timestamp."""
        return sa.func.to_char(value, literal("MM-DD", sa.String()))

    # ---- statement shape -----------------------------------------------------------------------

    def group_key(self, column: Expr) -> Expr:
        return column

    def fence(self, select: sa.Select) -> sa.Select:
        """Keep the planner from inlining the subquery (it would evaluate the decision CASE
        once per use instead of once per customer)."""
        return select.offset(const("0"))

    def gather_ids(self, ids: Expr, where: Expr) -> Expr:
        """All ``ids`` of the rows where ``where`` holds, as one value."""
        return sa.func.array_agg(ids).filter(where)

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

    def gathered_rows(self, values: Sequence[object], kinds: Sequence[str]) -> list:
        """The columns of one :meth:`gather_rows` result (lists, or Arrow arrays); ``kinds``
        are the carried values' kinds (None for the id and the rule)."""
        return [self.gathered(value) for value in values]

    def id_rows(self, ids: Expr) -> sa.Select:
        """Rows of one column ``id`` from the bound list ``ids``."""
        return sa.select(sa.func.unnest(ids).label("id"))

    def id_list(self, ids: Sequence) -> object:
        """``ids`` in the form :meth:`id_rows` binds."""
        return list(ids)

    def load_rows(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        """Insert ``rows`` (Arrow columns named as ``table``'s) into the temporary ``table``:
        one ``executemany``, here; the databases below have faster ways."""
        connection.execute(table.insert(), rows.select([c.name for c in table.columns]).to_pylist())


class PostgresDialect(SqlDialect):
    """PostgreSQL 12+: ICU collations give Unicode case mapping; "C" gives code-point order."""

    name = "postgresql"
    temp_schema = "pg_temp"

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        # timestamptz columns and binds meet in UTC, whatever the server's setting.
        connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
        if constructs & {"Function:lower", "Function:upper"}:
            found = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_collation WHERE collname = 'und-x-icu'"
            ).scalar()
            if not found:
                raise PushdownError(
                    "lower()/upper() need Unicode case mapping, and this PostgreSQL server has "
                    'no ICU collation "und-x-icu" (built without ICU); use the numpy backend'
                )

    def load_rows(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        """One ``INSERT ... SELECT FROM unnest(array, array, ...)``: each column travels as
        one array parameter instead of a statement per row."""
        names = [c.name for c in table.columns]
        arrays = ", ".join(f"%s::{_PG_ARRAYS[type(c.type)]}[]" for c in table.columns)
        target = connection.dialect.identifier_preparer.format_table(table)
        connection.exec_driver_sql(
            f"INSERT INTO {target} SELECT * FROM unnest({arrays})",
            tuple(rows.column(n).to_pylist() for n in names),
        )


_PG_ARRAYS = {
    sa.BigInteger: "bigint",
    sa.Double: "float8",
    sa.String: "text",
    sa.DateTime: "timestamp",
}


class DuckDBDialect(SqlDialect):
    """DuckDB: native timestamps, binary text order, a CSE-capable planner."""

    name = "duckdb"
    temp_schema = "temp"

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        if constructs & {"Function:lower", "Function:upper"}:
            # First, before any statement opens the transaction that the run rolls back.
            register_duckdb_recase(connection)
        ((collation,),) = connection.exec_driver_sql(
            "SELECT current_setting('default_collation')"
        ).fetchall()
        if collation not in ("", "binary", None):
            raise PushdownError(
                f"this DuckDB database compares text with collation {collation!r}; the "
                "language compares by code point (set default_collation to binary)"
            )

    def text_order(self, expr: Expr, op: str) -> Expr:
        return expr  # binary (code point) order unless default_collation says otherwise

    def recase(self, expr: Expr, upper: bool) -> Expr:
        # DuckDB's own lower/upper use simple case mapping ("ß" → "ẞ"); ASCII-only text
        # (byte length = character length) is the same either way and stays in C++.
        builtin = (sa.func.upper if upper else sa.func.lower)(expr)
        python = (sa.func.winlang_upper if upper else sa.func.winlang_lower)(expr)
        return sa.case((sa.func.strlen(expr) == sa.func.length(expr), builtin), else_=python)

    def length(self, expr: Expr) -> Expr:
        return sa.func.length(expr)  # code points (strlen is bytes)

    def text_match(self, op: str, text: Expr, pattern: Expr) -> Expr:
        # contains, starts_with, ends_with: DuckDB has each, literal (no pattern characters)
        return getattr(sa.func, op)(text, pattern)

    def days_since(self, value: Expr, binder: Binder) -> Expr:
        now = binder.instant(Instant(), "us", sa.BigInteger())
        elapsed = now - sa.func.epoch_us(sa.cast(value, sa.DateTime()))
        return floor_div(elapsed, DAY_US)

    def month_day(self, value: Expr) -> Expr:
        return sa.func.strftime(sa.cast(value, sa.DateTime()), literal("%m-%d", sa.String()))

    def fence(self, select: sa.Select) -> sa.Select:
        return select  # DuckDB computes a projection once however often it is used

    def gather_ids(self, ids: Expr, where: Expr) -> Expr:
        return sa.func.list(ids).filter(where)

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

    def gathered_rows(self, values: Sequence[object], kinds: Sequence[str]) -> list:
        (rows,) = values
        return rows.flatten()

    def load_rows(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        """DuckDB reads the Arrow table in place."""
        driver = connection.connection.driver_connection
        view = f"{table.name}_rows"
        driver.register(view, rows.select([c.name for c in table.columns]))
        try:
            target = connection.dialect.identifier_preparer.format_table(table)
            connection.exec_driver_sql(f"INSERT INTO {target} SELECT * FROM {view}")
        finally:
            driver.unregister(view)


TIME_SAMPLE = 1000
_ISO_UTC = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:?00)?)?")


def _iso_utc(value: object) -> bool:
    """``"2026-11-22"``, ``"2026-11-22 10:00:00.5"``, ``"2026-11-22T10:00:00Z"``: yes."""
    return isinstance(value, str) and _ISO_UTC.fullmatch(value) is not None


class SqliteDialect(SqlDialect):
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

    name = "sqlite"
    text_times = True
    temp_schema = "temp"
    minimum_version = (3, 38, 0)  # unixepoch()
    lookup_aggregates = True

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        version = connection.dialect.dbapi.sqlite_version_info
        if version < self.minimum_version:
            raise PushdownError(
                f"SQLite {'.'.join(map(str, version))} lacks unixepoch(); the SQL backend "
                f"needs SQLite {'.'.join(map(str, self.minimum_version))} or later"
            )
        if constructs & {"Function:lower", "Function:upper"}:
            register_sqlite_recase(connection)
        register_sqlite_refusal(connection)

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
        wrong = sa.func.winlang_wrong_value(*names, literal(kind, sa.String()), column)
        return sa.case((fits, column), else_=wrong)

    def refused(self, connection: Connection) -> DataError | None:
        return connection.info.pop(_REFUSED, None)

    def number(self, expr: Expr) -> Expr:
        return expr  # SQLite numbers are already int64 or float64

    def text_order(self, expr: Expr, op: str) -> Expr:
        # BINARY (memcmp of UTF-8) is code-point order; say so in case a column is NOCASE.
        return sa.collate(expr, "BINARY")

    def recase(self, expr: Expr, upper: bool) -> Expr:
        # SQLite's lower/upper only know ASCII: Python (str.lower, registered on the
        # connection) cases the rest; pure-ASCII text (bytes = characters) stays in C.
        builtin = (sa.func.upper if upper else sa.func.lower)(expr)
        python = (sa.func.winlang_upper if upper else sa.func.winlang_lower)(expr)
        ascii_only = sa.func.length(sa.cast(expr, sa.LargeBinary())) == sa.func.length(expr)
        return sa.case((ascii_only, builtin), else_=python)

    def length(self, expr: Expr) -> Expr:
        return sa.func.length(expr)  # characters for text

    def text_match(self, op: str, text: Expr, pattern: Expr) -> Expr:
        if op == "contains":
            return sa.func.instr(text, pattern) > const("0")
        if op == "starts_with":
            return sa.func.substr(text, const("1"), sa.func.length(pattern)) == pattern
        start = sa.func.length(text) - sa.func.length(pattern) + const("1")
        return sa.func.substr(text, start) == pattern

    def time_column(self, column: Expr, source_kind: str) -> Expr:
        return column  # dates are "YYYY-MM-DD": already midnight to every formula below

    def verify_times(self, connection: Connection, columns: dict[str, list[str]]) -> None:
        """The formulas above read ISO text in UTC. A column written another way (epoch
        numbers, a +02:00 offset, 11/22/2026) would be misread silently, and a full check costs
        as much as the query itself (15 s on 10M events), so the first and last stored values
        of each column are checked: a writer uses one format for a whole column."""
        for table, names in columns.items():
            quote = connection.dialect.identifier_preparer.quote
            for name in names:
                for order in ("", " ORDER BY rowid DESC"):
                    query = (
                        f"SELECT {quote(name)} FROM {quote(table)} WHERE {quote(name)} "
                        f"IS NOT NULL{order} LIMIT {TIME_SAMPLE}"
                    )
                    try:
                        values = [v for (v,) in connection.exec_driver_sql(query)]
                    except sa.exc.DBAPIError:  # a table without rowid: the head must do
                        connection.rollback()
                        continue
                    odd = next((v for v in values if not _iso_utc(v)), None)
                    if odd is not None:
                        raise DataError(
                            f"`{table}`.`{name}` holds {odd!r}, which is not an ISO time in "
                            "UTC; SQLite stores must keep times as text like "
                            "'2026-11-22 10:00:00' (or use --engine numpy, which parses them)"
                        )

    def time_value(self, instant: Instant, binder: Binder) -> Expr:
        return binder.instant(instant, "text", sa.String())

    def exact_us(self, value: Expr) -> Expr:
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
            else_=compare(op, self.exact_us(left), self.exact_us(right)),
        )

    def compare_to_instant(self, op: str, value: Expr, instant: Instant, binder: Binder) -> Expr:
        """``value op B`` where only a value on B's own day is converted: before that day
        (text below "YYYY-MM-DD" of B) or after it (at or above the next day's date) the
        answer is known. Plain ANDs and ORs, so null stays null and SQLite stops early."""
        day = binder.instant(instant, "day", sa.String())
        next_day = binder.instant(instant, "next_day", sa.String())
        exact = compare(op, self.exact_us(value), binder.instant(instant, "us", sa.BigInteger()))
        if op in ("<", "<="):
            return sa.or_(value < day, sa.and_(value < next_day, exact))
        if op in (">", ">="):
            return sa.or_(value >= next_day, sa.and_(value >= day, exact))
        if op == "=":
            return sa.and_(value >= day, value < next_day, exact)
        return sa.or_(value < day, value >= next_day, exact)

    def days_since(self, value: Expr, binder: Binder) -> Expr:
        now = binder.instant(Instant(), "us", sa.BigInteger())
        return floor_div(now - self.exact_us(value), DAY_US)

    def month_day(self, value: Expr) -> Expr:
        return sa.func.substr(value, const("6"), const("5"))

    def group_key(self, column: Expr) -> Expr:
        # A unary plus hides events(customer_id) from the planner, which would otherwise walk
        # that index to avoid sorting and fetch every event row out of order (measured 35%
        # slower on 10M events).
        return UnaryExpression(column, operator=operators.custom_op("+"))

    def fence(self, select: sa.Select) -> sa.Select:
        # A subquery with OFFSET is never flattened into an aggregate query.
        return select.limit(const("-1")).offset(const("0"))

    def gather_ids(self, ids: Expr, where: Expr) -> Expr:
        return sa.func.json_group_array(ids).filter(where)

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

    def gathered_rows(self, values: Sequence[object], kinds: Sequence[str]) -> list:
        found = [self.gathered(value) for value in values]
        return [
            pa.array(column, pa.string()).cast(pa.float64()) if kind == "number" else column
            for column, kind in zip(found, kinds, strict=True)
        ]

    def id_rows(self, ids: Expr) -> sa.Select:
        return sa.select(const("value").label("id")).select_from(sa.func.json_each(ids))

    def id_list(self, ids: Sequence) -> object:
        return orjson.dumps(list(ids)).decode()

    def load_rows(self, connection: Connection, table: sa.Table, rows: pa.Table) -> None:
        """The driver's own ``executemany``, times written as the ISO text the formulas
        above read (``YYYY-MM-DD HH:MM:SS.ffffff``)."""
        columns = [_sqlite_values(rows.column(c.name)) for c in table.columns]
        target = connection.dialect.identifier_preparer.format_table(table)
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(
            f"INSERT INTO {target} VALUES ({marks})", list(zip(*columns, strict=True))
        )


def _sqlite_values(column: pa.ChunkedArray) -> list:
    if pa.types.is_timestamp(column.type):  # Arrow's %S has the microseconds of a µs unit
        column = pc.strftime(column.cast(pa.timestamp("us")), "%Y-%m-%d %H:%M:%S")
    return column.to_pylist()


# ---- Python case mapping registered on connections ------------------------------------------


def _lower(text: object) -> object:
    return text.lower() if isinstance(text, str) else text


def _upper(text: object) -> object:
    return text.upper() if isinstance(text, str) else text


# The SQLite storage classes (typeof) a column of each kind may hold.
_STORAGE = {
    "number": ("integer", "real", "null"),
    "bool": ("integer", "real", "null"),
    "text": ("text", "null"),
}
_REFUSED = "winlang_refused"  # connection.info key: the error winlang_wrong_value raised


def register_sqlite_refusal(connection: Connection) -> None:
    """``winlang_wrong_value(table, column, kind, value)``: stops the statement, leaving the
    error (the message every engine gives) for :meth:`SqliteDialect.refused`."""
    info = connection.info

    def refuse(table: str, name: str, kind: str, value: object) -> None:
        info[_REFUSED] = wrong_value(table, name, kind, value)
        raise ValueError("wrong-typed value")

    connection.connection.driver_connection.create_function(
        "winlang_wrong_value", 4, refuse, deterministic=True
    )


def register_sqlite_recase(connection: Connection) -> None:
    """``winlang_lower``/``winlang_upper``: Python's full Unicode case mapping, as the numpy
    backend does it (``"ß".upper()`` is ``"SS"``, a final sigma lowers to ``ς``)."""
    raw = connection.connection.driver_connection
    raw.create_function("winlang_lower", 1, _lower, deterministic=True)
    raw.create_function("winlang_upper", 1, _upper, deterministic=True)


def _arrow_case(case: Callable[[object], object]) -> Callable[[pa.Array], pa.Array]:
    """``case`` over an Arrow array, each distinct value once (DuckDB calls it per vector)."""

    def apply(values: pa.Array | pa.ChunkedArray) -> pa.Array:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = values.dictionary_encode()
        mapped = pa.array([case(v) for v in encoded.dictionary.to_pylist()], pa.string())
        return mapped.take(encoded.indices)

    return apply


def register_duckdb_recase(connection: Connection) -> None:
    """The same functions on DuckDB, vectorized over Arrow."""
    import duckdb
    from duckdb import sqltypes

    raw = connection.connection.driver_connection
    for name, case in (("winlang_lower", _lower), ("winlang_upper", _upper)):
        # Replace rather than trust what an earlier run left: a function created inside a
        # transaction that was rolled back is gone from the catalog but not from the driver.
        with contextlib.suppress(duckdb.Error):
            raw.remove_function(name)
        try:
            raw.create_function(
                name,
                _arrow_case(case),
                [sqltypes.VARCHAR],
                sqltypes.VARCHAR,
                type="arrow",
                side_effects=False,
            )
        except duckdb.CatalogException as error:
            # Another connection to the same database registered it: the catalog is shared
            # by the database's connections, so it is there for this one too.
            if "already exists" not in str(error):
                raise


# ---- the registry ---------------------------------------------------------------------------

DIALECTS: dict[str, SqlDialect] = {
    "sqlite": SqliteDialect(),
    "duckdb": DuckDBDialect(),
    "postgresql": PostgresDialect(),
}


def dialect_named(name: str) -> SqlDialect:
    """The dialect profile for a SQLAlchemy dialect name; PushdownError for one without."""
    try:
        return DIALECTS[name]
    except KeyError:
        known = ", ".join(sorted(DIALECTS))
        raise PushdownError(
            f"no SQL push-down profile for the {name!r} database (known: {known}); "
            "evaluate with the numpy backend"
        ) from None


def constructs_of(nodes: Iterable[object]) -> frozenset[str]:
    """The construct names of ``nodes`` that dialects may lack (see ``unsupported``)."""
    from ...plan import ir

    found = set()
    for node in nodes:
        kind = type(node).__name__
        found.add(kind)
        if isinstance(node, ir.Function):
            found.add(f"Function:{node.name}")
        elif isinstance(node, ir.EventAggregate):
            found.add(f"EventAggregate:{node.function}")
        elif isinstance(node, ir.TextMatch):
            found.add(f"TextMatch:{node.op}")
    return frozenset(found)
