"""The one statement per campaign, and the statement behind ``values``.

``decide`` sends one SELECT and gets back one row::

    WITH events_agg AS (... every event aggregate, one grouped scan ...)
    SELECT count(d.r) AS audience,                                    -- audience size
           json_group_array(d.id) FILTER (WHERE d.r = 0) AS rule_0,    -- ids per rule
           json_group_array(d.id) FILTER (WHERE d.r = 1) AS rule_1, ...
    FROM (SELECT c.id AS id,
                 CASE WHEN <audience> THEN
                   CASE WHEN <rule 0> AND NOT <fired 0> THEN 0
                        WHEN <rule 1> AND NOT <fired 1> THEN 1 ... ELSE -1 END
                 END AS r
          FROM customers AS c LEFT OUTER JOIN events_agg ON events_agg.customer_id = c.id
          LIMIT -1 OFFSET 0) AS d                                      -- computed once a row

``r`` is null outside the audience, -1 for audience members no rule takes, else the first
matching rule. Gathering the ids into one value per rule (``array_agg`` in PostgreSQL,
``list`` in DuckDB) returns only the decisions, in one row, from one pass over the customers:
no per-row transfer for the rest, no second scan for the count, no sort.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ...contracts.source import Layout
from ...plan import ir
from .binds import Binder
from .compile import Compiler, column_value, customers_table
from .dialects import SqlDialect, const
from .events import event_sql
from .ingested import IngestedTable
from .state import StateTable, state_expressions, state_tables


@dataclass
class Statement:
    """A compiled statement, the run-time parameters it needs and the temp tables it reads."""

    select: sa.Select
    binder: Binder
    tables: list[StateTable] = field(default_factory=list)
    reads: dict[str, tuple[str, ...]] = field(default_factory=dict)  # table → its columns
    ingested: IngestedTable | None = None  # ingested events, unioned with the store's

    def sql(self, dialect: sa.engine.Dialect) -> str:
        """The statement's text for ``dialect``, parameters as placeholders (never values)."""
        return str(self.select.compile(dialect=dialect))


def display_dialect(name: str) -> sa.engine.Dialect:
    """The SQLAlchemy dialect ``name`` printing parameters by name (``:now_us``), to read or
    snapshot a statement.

    >>> str(sa.select(sa.bindparam("now_us")).compile(dialect=display_dialect("sqlite")))
    'SELECT :now_us AS anon_1'
    """
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite.pysqlite import dialect
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql.psycopg import dialect
    elif name == "duckdb":
        from duckdb_engine import Dialect as dialect
    elif name == "databricks":  # Spark SQL, as spark:/// and sc:// stores run it
        from databricks.sqlalchemy import DatabricksDialect as dialect
    else:
        raise ValueError(f"no display dialect for {name!r}")
    return dialect(paramstyle="named")


@dataclass
class _Frame:
    """The customers with their events and state joined on, and a compiler over them."""

    compiler: Compiler
    source: sa.FromClause
    id: ColumnElement
    tables: list[StateTable]
    reads: dict[str, tuple[str, ...]]


def statement_aggregates(
    nodes: Sequence[ir.Node], plan: ir.Plan | None
) -> tuple[ir.EventAggregate, ...]:
    """The event aggregates a statement over ``nodes`` computes: the plan's fused list, in its
    order, then any aggregate it lacks."""
    aggregates = tuple(dict.fromkeys(n for n in nodes if isinstance(n, ir.EventAggregate)))
    if plan is not None and plan.fused is not None:
        aggregates = tuple(dict.fromkeys([*plan.fused, *aggregates]))
    return aggregates


def event_columns(layout: Layout, aggregates: Sequence[ir.EventAggregate]) -> tuple[str, ...]:
    """The events columns ``aggregates`` read."""
    return tuple(
        dict.fromkeys(
            [
                layout.customer_id,
                layout.type,
                layout.occurred_at,
                *(c for a in aggregates for c in _filter_columns(layout, a)),
            ]
        )
    )


def _frame(
    roots: Sequence[ir.Node],
    layout: Layout,
    dialect: SqlDialect,
    flags: Mapping[ir.StateFlag, np.ndarray],
    plan: ir.Plan | None,
    ingested: IngestedTable | None = None,
) -> _Frame:
    nodes = list(ir.walk(*roots))
    columns = [n.name for n in nodes if isinstance(n, ir.Column)]
    customers = customers_table(layout.customers, [layout.id, *columns])
    customer_id = customers.c[layout.id]
    binder = Binder()
    aggregates = statement_aggregates(nodes, plan)
    fused = plan is None or plan.fused is not None
    scan = plan.scan if plan is not None else None
    scan = scan if scan is not None and scan.covers(aggregates) else None
    read = event_columns(layout, aggregates)
    events = event_sql(
        dialect, binder, layout, aggregates, fused, scan, customer_id, (read, ingested)
    )
    tables = state_tables({f: ids for f, ids in flags.items() if f in set(nodes)}, dialect)
    compiler = Compiler(
        dialect, binder, customers, events.values, state_expressions(tables, customer_id)
    )
    source: sa.FromClause = customers
    for joined, on in events.joins:
        source = source.outerjoin(joined, on)
    reads = {layout.customers: tuple(dict.fromkeys([layout.id, *columns]))}
    if aggregates:
        reads[layout.events] = read
    return _Frame(compiler, source, customer_id, list(tables.values()), reads)


def _filter_columns(layout: Layout, aggregate: ir.EventAggregate) -> list[str]:
    """The events columns one aggregate reads (the layout names each field's column)."""
    tested = [getattr(layout, field) for field in aggregate.filter.fields]
    return tested + ([aggregate.prop] if aggregate.prop else [])


def _is_true(node: ir.Node) -> bool:
    return isinstance(node, ir.Literal) and node.value is True


def decision(plan: ir.Plan, compiler: Compiler) -> ColumnElement:
    """The per-customer decision ``r`` (see the module docstring)."""
    whens = [
        (sa.and_(compiler(rule.condition), sa.not_(compiler(rule.already_fired))), const(str(i)))
        for i, rule in enumerate(plan.rules)
    ]
    chosen = sa.case(*whens, else_=const("-1")) if whens else const("-1")
    if _is_true(plan.audience):
        return chosen
    return sa.case((compiler(plan.audience), chosen))


def decide_statement(
    plan: ir.Plan,
    layout: Layout,
    dialect: SqlDialect,
    flags: Mapping[ir.StateFlag, np.ndarray],
    ingested: IngestedTable | None = None,
    carry: Sequence[ir.Column] = (),
) -> Statement:
    """One row: the audience size, then the ids each rule takes (``rule_0``, ``rule_1``, ...).

    With ``carry``, the row holds instead the matched customers' ids, rules and carried
    columns, gathered side by side (:meth:`SqlDialect.gather_rows`): what a run reads of
    them comes from this one pass. Each carried value is read (and checked) only for the
    matched customers, in the gathering's filter, as a second read of only them would."""
    frame = _frame([*plan.roots(), *carry], layout, dialect, flags, plan, ingested)
    raw = [frame.compiler.customers.c[node.name].label(f"k{i}") for i, node in enumerate(carry)]
    per_customer = sa.select(
        frame.id.label("id"), decision(plan, frame.compiler).label("r"), *raw
    ).select_from(frame.source)
    d = dialect.fence(per_customer).subquery("d")
    table = layout.customers
    values = [
        dialect.carried(column_value(dialect, d.c[f"k{i}"], table, node), node.kind)
        for i, node in enumerate(carry)
    ]
    if dialect.streams_decisions:
        select = streamed_decisions(d, values)
        return Statement(select, frame.compiler.binder, frame.tables, frame.reads, ingested)
    if carry:
        gathered = dialect.gather_rows([d.c.id, d.c.r, *values], d.c.r >= const("0"))
    else:
        gathered = [
            dialect.gather_ids(d.c.id, d.c.r == const(str(i))).label(f"rule_{i}")
            for i in range(len(plan.rules))
        ]
    select = sa.select(sa.func.count(d.c.r).label("audience"), *gathered)
    return Statement(select, frame.compiler.binder, frame.tables, frame.reads, ingested)


def streamed_decisions(d: sa.Subquery, carried: Sequence[ColumnElement] = ()) -> sa.Select:
    """Rows ``(r, id, n, carried...)`` instead of one row: a row per matched customer (``n``
    = 1, or how often the id occurs) with its carried values, and one row ``(-1, NULL, n)``
    for the audience members no rule takes; customers outside the audience (``r`` null) are
    left out. Read in chunks, so no node and no process ever holds every id in one value."""
    matched = d.c.r >= const("0")
    keys = [sa.case((matched, value)) for value in (d.c.id, *carried)]
    return (
        sa.select(
            d.c.r.label("r"),
            keys[0].label("id"),
            sa.func.count().label("n"),
            *(key.label(f"k{i}") for i, key in enumerate(keys[1:])),
        )
        .where(d.c.r.is_not(None))
        .group_by(d.c.r, *keys)
    )


def values_statement(
    nodes: Sequence[ir.Node],
    layout: Layout,
    dialect: SqlDialect,
    flags: Mapping[ir.StateFlag, np.ndarray],
    plan: ir.Plan | None = None,
    ingested: IngestedTable | None = None,
    only: StateTable | None = None,
) -> Statement:
    """Every customer's id and the value of each node (``v0``, ``v1``, ...), by id; with
    ``only``, just the customers whose ids it holds."""
    frame = _frame(nodes, layout, dialect, flags, plan, ingested)
    outputs = [
        output(dialect, node, frame.compiler(node)).label(f"v{i}") for i, node in enumerate(nodes)
    ]
    select = sa.select(frame.id.label("id"), *outputs).select_from(frame.source).order_by(frame.id)
    tables = frame.tables
    if only is not None:
        select = select.where(frame.id.in_(sa.select(only.table.c.id)))
        tables = [*tables, only]
    return Statement(select, frame.compiler.binder, tables, frame.reads, ingested)


def output(dialect: SqlDialect, node: ir.Node, expr: ColumnElement) -> ColumnElement:
    """A value as it leaves the database: numbers as float64 (counts, numerics)."""
    if node.kind == "number":
        return dialect.number(expr)
    return expr
