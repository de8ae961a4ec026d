"""Compile IR nodes into SQLAlchemy Core expressions, one handler per node type.

The handlers are small functions in :data:`HANDLERS`, keyed by node type; what differs
between databases is asked of the :class:`~.dialects.SqlDialect`. SQL's own three-valued logic
is the language's (Kleene): ``AND``, ``OR``, ``NOT``, comparisons, ``IN`` and arithmetic all
give null for a null operand exactly where the language does, so they map one to one.

>>> from sqlalchemy.dialects import sqlite
>>> from winlang.backends.sql.dialects import dialect_named
>>> compiler = Compiler(dialect_named("sqlite"), Binder(), customers_table("customers", ["x"]))
>>> node = ir.Compare(">", ir.Column("x", "number"), ir.Literal(2, "number"))
>>> sql = str(compiler(node).compile(dialect=sqlite.dialect(paramstyle="named")))
>>> print(sql.replace(" ELSE", "\\nELSE"))  # SQLite keeps any value in any column: checked
CASE WHEN (typeof(c."x") IN ('integer', 'real', 'null')) THEN c."x"
ELSE winlang_wrong_value(:param_1, :param_2, :param_3, c."x") END > :param_4
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, quoted_name
from sqlalchemy.sql.expression import TableClause

from ...plan import ir
from .binds import Binder, Instant, anniversary_days, literal
from .dialects import SqlDialect, binary, compare

Expr = ColumnElement
DAY_SECONDS = 86_400
_MAX_DAYS = 4_000_000  # beyond ~10,000 years a day count is no longer a usable bound
SQL_TYPES: dict[str, Callable[[], sa.types.TypeEngine]] = {
    "number": sa.Double,
    "text": sa.String,
    "bool": sa.Boolean,
    "timestamp": sa.DateTime,
    "null": sa.types.NullType,
}


def split_name(name: str) -> tuple[str | None, str]:
    """``"schema.table"`` → ``("schema", "table")``; a plain name has no schema."""
    schema, _, table = name.rpartition(".")
    return schema or None, table


def quoted(name: str) -> quoted_name:
    """A store's identifier, always quoted: a dialect's reserved-word list can miss one
    (duckdb-engine writes a column named ``at`` bare, which DuckDB rejects)."""
    return quoted_name(name, quote=True)


def table_of(name: str, columns: Iterable[str]) -> TableClause:
    """A store table (``schema.table`` allowed) declaring only ``columns``."""
    schema, table = split_name(name)
    return sa.table(
        quoted(table),
        *(sa.column(quoted(n)) for n in dict.fromkeys(columns)),
        schema=quoted(schema) if schema else None,
    )


def customers_table(name: str, columns: Iterable[str]) -> TableClause:
    """The customers table under the alias ``c``; only the named columns are declared."""
    return table_of(name, columns).alias("c")


@dataclass
class Compiler:
    """Turns IR nodes into SQL expressions over the customers alias ``c``.

    ``aggregates`` and ``states`` give the finished expressions of event aggregates (from the
    events CTE) and state flags (temporary tables), built before the conditions are.
    """

    dialect: SqlDialect
    binder: Binder
    customers: Any  # the aliased customers table
    aggregates: Mapping[ir.EventAggregate, Expr] = field(default_factory=dict)
    states: Mapping[ir.StateFlag, Expr] = field(default_factory=dict)
    _done: dict[int, Expr] = field(default_factory=dict)

    def __call__(self, node: ir.Node) -> Expr:
        """The expression of ``node``; a shared node is compiled once."""
        key = id(node)
        if key not in self._done:
            self._done[key] = HANDLERS[type(node)](self, node)
        return self._done[key]


# ---- leaves -------------------------------------------------------------------------------


def _column(compiler: Compiler, node: ir.Column) -> Expr:
    customers = compiler.customers
    return column_value(compiler.dialect, customers.c[node.name], str(customers.element.name), node)


def column_value(dialect: SqlDialect, column: Expr, table: str, node: ir.Column) -> Expr:
    """The value of ``node`` read from ``column`` of ``table`` (checked where the database
    keeps any value in any column, numbers as float64, dates as midnight)."""
    column = dialect.stored(column, table, node.name, node.kind)
    if node.kind == "number":
        return dialect.number(column)
    if node.kind == "timestamp":
        return dialect.time_column(column, node.source_kind)
    return column


def typed_null(kind: str) -> Expr:
    return sa.null() if kind == "null" else sa.cast(sa.null(), SQL_TYPES[kind]())


def _literal(compiler: Compiler, node: ir.Literal) -> Expr:
    if node.value is None:
        return typed_null(node.kind)
    if node.kind == "timestamp":
        return compiler.dialect.time_value(Instant(fixed=node.value), compiler.binder)
    return literal(node.value, SQL_TYPES[node.kind]())


def _now_minus(compiler: Compiler, node: ir.NowMinus) -> Expr:
    return compiler.dialect.time_value(Instant(node.seconds), compiler.binder)


def _aggregate(compiler: Compiler, node: ir.EventAggregate) -> Expr:
    return compiler.aggregates[node]


def _state(compiler: Compiler, node: ir.StateFlag) -> Expr:
    return compiler.states.get(node, sa.false())  # no ids at all: false, never null


# ---- numbers --------------------------------------------------------------------------------


def _arith(compiler: Compiler, node: ir.Arith) -> Expr:
    left, right = compiler(node.left), compiler(node.right)
    if node.op == "/":
        return compiler.dialect.divide(left, right, literal(0, sa.Double()))
    return binary(node.op, left, right)


def _negate(compiler: Compiler, node: ir.Negate) -> Expr:
    return -compiler(node.operand)


def _function(compiler: Compiler, node: ir.Function) -> Expr:
    args = [compiler(a) for a in node.args]
    if node.name in ("lower", "upper"):
        return compiler.dialect.recase(args[0], upper=node.name == "upper")
    if node.name == "length":
        return compiler.dialect.length(args[0])
    if node.name == "abs":
        return sa.func.abs(args[0])
    if node.name == "coalesce":
        return sa.func.coalesce(*args)
    raise AssertionError(f"unknown function {node.name}")


# ---- comparisons ----------------------------------------------------------------------------


def _is_null_literal(node: ir.Node) -> bool:
    return isinstance(node, ir.Literal) and node.value is None


def instant_of(node: ir.Node) -> Instant | None:
    """The moment a timestamp literal or ``now - d`` stands for; None for anything else."""
    if isinstance(node, ir.NowMinus):
        return Instant(node.seconds)
    if isinstance(node, ir.Literal) and node.kind == "timestamp" and node.value is not None:
        return Instant(fixed=node.value)
    return None


def _compare(compiler: Compiler, node: ir.Compare) -> Expr:
    op, left, right = node.op, node.left, node.right
    if _is_null_literal(left) or _is_null_literal(right):
        return typed_null("bool")
    if isinstance(right, ir.DaysSince) and not isinstance(left, ir.DaysSince):
        op, left, right = ir.FLIPPED[op], right, left
    if isinstance(left, ir.DaysSince) and (bounds := days_since_bounds(op, right)) is not None:
        return compile_days_bounds(compiler, left.operand, bounds)
    kind = left.kind if left.kind != "null" else right.kind
    if kind == "timestamp":
        return compare_times(compiler, op, left, right)
    left_sql, right_sql = compiler(left), compiler(right)
    if kind == "text":
        left_sql = compiler.dialect.text_order(left_sql, op)
    return compare(op, left_sql, right_sql)


def compare_times(compiler: Compiler, op: str, left: ir.Node, right: ir.Node) -> Expr:
    """Timestamps: against a bound moment when one side is one (cheaper, and exact in SQLite
    without converting every value), else value against value."""
    dialect = compiler.dialect
    if _is_null_literal(left) or _is_null_literal(right):
        return typed_null("bool")
    if (instant := instant_of(right)) is not None:
        return dialect.compare_to_instant(op, compiler(left), instant, compiler.binder)
    if (instant := instant_of(left)) is not None:
        return dialect.compare_to_instant(ir.FLIPPED[op], compiler(right), instant, compiler.binder)
    return dialect.compare_times(op, compiler(left), compiler(right))


DaysBound = tuple[str, float]  # (comparison of the timestamp with now - days, days)


def days_since_bounds(op: str, limit: ir.Node) -> list[DaysBound] | None:
    """``days_since(t) op k`` for a number literal ``k`` as comparisons of ``t`` with
    ``now - m days`` (all must hold), or None when it can't be rewritten.

    ``days_since(t) = floor(x)`` with ``x = (now - t) / 1 day``, and ``floor(x) > k`` ⇔
    ``x >= floor(k) + 1`` ⇔ ``t <= now - (floor(k) + 1) days``; the other operators alike.
    Comparing ``t`` with a bound needs no per-customer arithmetic, and an index can serve it.

    >>> days_since_bounds(">", ir.Literal(90, "number"))
    [('<=', 91)]
    >>> days_since_bounds("=", ir.Literal(-1, "number"))
    [('<=', -1), ('>', 0)]
    """
    if not isinstance(limit, ir.Literal) or isinstance(limit.value, bool):
        return None
    k = limit.value
    if not isinstance(k, int | float) or not math.isfinite(k) or abs(k) > _MAX_DAYS:
        return None
    low, high = math.floor(k), math.ceil(k)
    if op == ">":
        return [("<=", low + 1)]
    if op == ">=":
        return [("<=", high)]
    if op == "<":
        return [(">", high)]
    if op == "<=":
        return [(">", low + 1)]
    if low != high:
        return None  # = or != with a fraction: left to the general formula
    if op == "=":
        return [("<=", low), (">", low + 1)]
    return None  # != is the general formula's (its OR would cost a second conversion)


def compile_days_bounds(compiler: Compiler, operand: ir.Node, bounds: list[DaysBound]) -> Expr:
    value = compiler(operand)
    parts = [
        compiler.dialect.compare_to_instant(op, value, Instant(days * DAY_SECONDS), compiler.binder)
        for op, days in bounds
    ]
    return parts[0] if len(parts) == 1 else sa.and_(*parts)


def _in_set(compiler: Compiler, node: ir.InSet) -> Expr:
    if node.operand.kind == "timestamp":  # each value its own exact time comparison
        return sa.or_(*(compare_times(compiler, "=", node.operand, v) for v in node.values))
    operand = compiler(node.operand)
    if not node.values:
        return sa.case((operand.is_(None), typed_null("bool")), else_=sa.false())
    if node.operand.kind == "text":
        operand = compiler.dialect.text_order(operand, "=")
    return operand.in_([compiler(v) for v in node.values])


def _text_match(compiler: Compiler, node: ir.TextMatch) -> Expr:
    return compiler.dialect.text_match(node.op, compiler(node.operand), compiler(node.pattern))


# ---- logic ----------------------------------------------------------------------------------


def _and(compiler: Compiler, node: ir.And) -> Expr:
    return sa.and_(*(compiler(o) for o in node.operands))


def _or(compiler: Compiler, node: ir.Or) -> Expr:
    return sa.or_(*(compiler(o) for o in node.operands))


def _not(compiler: Compiler, node: ir.Not) -> Expr:
    return sa.not_(compiler(node.operand))


def _is_null(compiler: Compiler, node: ir.IsNull) -> Expr:
    return compiler(node.operand).is_(None)


# ---- time -----------------------------------------------------------------------------------


def _days_since(compiler: Compiler, node: ir.DaysSince) -> Expr:
    return compiler.dialect.days_since(compiler(node.operand), compiler.binder)


def _is_anniversary(compiler: Compiler, node: ir.IsAnniversary) -> Expr:
    binder = compiler.binder
    today = binder.computed("today_md", lambda now: anniversary_days(now)[0], sa.String())
    also = binder.computed("today_md_also", lambda now: anniversary_days(now)[1], sa.String())
    return compiler.dialect.month_day(compiler(node.operand)).in_([today, also])


HANDLERS: dict[type, Callable[[Compiler, Any], Expr]] = {
    ir.Column: _column,
    ir.Literal: _literal,
    ir.NowMinus: _now_minus,
    ir.Arith: _arith,
    ir.Negate: _negate,
    ir.Compare: _compare,
    ir.And: _and,
    ir.Or: _or,
    ir.Not: _not,
    ir.IsNull: _is_null,
    ir.InSet: _in_set,
    ir.TextMatch: _text_match,
    ir.Function: _function,
    ir.DaysSince: _days_since,
    ir.IsAnniversary: _is_anniversary,
    ir.EventAggregate: _aggregate,
    ir.StateFlag: _state,
}
