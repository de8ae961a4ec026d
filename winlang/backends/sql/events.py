"""Event aggregates in SQL: one grouped scan of the events table for all of them (fused), or
one subquery each (the fusion pass switched off).

Fused, every aggregate is a conditional aggregate over the same rows::

    WITH events_agg AS (
      SELECT e.customer_id,
             max(CASE WHEN <filter 0> THEN 1 END) AS a0,          -- exists
             count(CASE WHEN <filter 1> THEN 1 END) AS a1,        -- count
             sum(CASE WHEN <filter 2> THEN e.amount END) AS a2,   -- sum
             max(CASE WHEN <filter 3> THEN e.occurred_at END) AS a3  -- last
      FROM events AS e
      WHERE <occurred_at <= now> [AND e.type IN (...) AND <occurred_at >= now - widest window>]
        AND (<filter 0> OR <filter 1> OR ...)          -- only customers some filter keeps
      GROUP BY e.customer_id)

joined to the customers with a LEFT JOIN, so a customer without events gets exists false,
count and sum 0 and last null. In SQLite, whose joins are per-row b-tree probes, the values
are looked up only where a condition gets that far instead: ``exists`` as
``c.id IN (SELECT customer_id FROM events_agg WHERE a0 IS NOT NULL ...)``, the others as
scalar subqueries. ``last(x).prop`` (the property of the latest event, ties to the greatest
value) takes a second grouped pass, ``events_agg_last``, over the events at each customer's
latest moment.

Unfused, an ``exists`` is ``c.id IN (SELECT customer_id ... WHERE customer_id IS NOT NULL)``
(one scan into a hash or b-tree; the null filter keeps ``IN`` from turning unknown), and any
other aggregate a grouped subquery of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from ...contracts.source import Layout
from ...plan import ir
from .binds import Binder, Instant, literal
from .compile import table_of
from .dialects import SqlDialect, const
from .ingested import IngestedTable, events_with_ingested

Expr = ColumnElement


@dataclass
class EventSql:
    """What the statement needs from the events: tables to LEFT JOIN onto the customers
    (with their ON clauses) and each aggregate's per-customer value."""

    joins: list[tuple[sa.FromClause, Expr]] = field(default_factory=list)
    values: dict[ir.EventAggregate, Expr] = field(default_factory=dict)


@dataclass
class EventScan:
    """The events table and how to read it (shared by every aggregate)."""

    dialect: SqlDialect
    binder: Binder
    layout: Layout
    table: sa.FromClause
    scan: ir.Scan | None

    @classmethod
    def of(
        cls,
        dialect: SqlDialect,
        binder: Binder,
        layout: Layout,
        aggregates: Sequence[ir.EventAggregate],
        scan: ir.Scan | None,
        ingested: tuple[Sequence[str], IngestedTable | None] = ((), None),
    ) -> EventScan:
        """The scan of the events table; with ingested events (``(columns read, their
        table)``), of its union with them (:mod:`.ingested`)."""
        read, extra = ingested
        if extra is not None:
            return cls(dialect, binder, layout, events_with_ingested(layout, read, extra), scan)
        props = sorted({a.prop for a in aggregates if a.prop})
        names = [
            layout.customer_id,
            layout.type,
            layout.channel,
            layout.campaign,
            layout.template,
            layout.occurred_at,
            *props,
        ]
        return cls(dialect, binder, layout, table_of(layout.events, names).alias("e"), scan)

    def col(self, name: str) -> Expr:
        return self.table.c[name]

    @property
    def customer_id(self) -> Expr:
        return self.col(self.layout.customer_id)

    @property
    def occurred_at(self) -> Expr:
        return self.dialect.time_column(self.col(self.layout.occurred_at), "timestamp")

    def since(self, seconds: float) -> Expr:
        """``now - seconds <= occurred_at``."""
        return self.dialect.compare_to_instant(
            ">=", self.occurred_at, Instant(seconds), self.binder
        )

    def until_now(self) -> Expr:
        """Events after now never count."""
        return self.dialect.compare_to_instant("<=", self.occurred_at, Instant(), self.binder)

    def where(self) -> list[Expr]:
        """The conditions of the scan: up to now, and the plan's types and time span."""
        conditions = [self.until_now()]
        if self.scan is not None:
            types = [literal(t, sa.String()) for t in self.scan.event_types]
            conditions.insert(0, self.col(self.layout.type).in_(types))
            if self.scan.event_window is not None:
                conditions.append(self.since(self.scan.event_window))
        return conditions

    def matches(self, found: ir.EventFilter) -> Expr | None:
        """The events ``found`` keeps, leaving out what the scan already ensures (its only
        type, its window); None when the scan keeps exactly those."""
        scan = self.scan
        only_type = scan is not None and tuple(scan.event_types) == (found.event_type,)
        # The layout names each event field's column by the field's own name.
        conditions = [
            self.col(getattr(self.layout, field)) == literal(value, sa.String())
            for field, value in found.tests
            if not (field == "type" and only_type)
        ]
        if found.window is not None and (
            scan is None or scan.event_window is None or found.window < scan.event_window
        ):
            conditions.append(self.since(found.window))
        return sa.and_(*conditions) if conditions else None

    def prop(self, aggregate: ir.EventAggregate) -> Expr:
        """The aggregated property, in a form whose ``max`` is the language's "greatest"."""
        column = self.dialect.stored(
            self.col(aggregate.prop), self.layout.events, aggregate.prop, aggregate.kind
        )
        if aggregate.kind == "number":
            return self.dialect.number(column)
        if aggregate.kind == "text":
            return self.dialect.text_order(column, "<")
        if aggregate.kind == "bool":  # max(boolean) is not everywhere: true > false as 1 > 0
            return sa.case((column, const("1")), (sa.not_(column), const("0")))
        return self.dialect.time_column(column, "timestamp")


def _when(condition: Expr | None, value: Expr) -> Expr:
    """``CASE WHEN condition THEN value END``; just the value when nothing is to be checked."""
    return value if condition is None else sa.case((condition, value))


def _present(condition: Expr | None) -> list[Expr]:
    return [] if condition is None else [condition]


def aggregate_column(scan: EventScan, aggregate: ir.EventAggregate, keep: Expr | None) -> Expr:
    """The conditional aggregate computing ``aggregate`` over the rows ``keep`` holds for
    (``last_value``: the latest moment; the value itself comes from :func:`last_values`)."""
    if aggregate.function == "exists":
        return sa.func.max(_when(keep, const("1")))
    if aggregate.function == "count":
        return sa.func.count(_when(keep, const("1")))
    if aggregate.function == "sum":
        return sa.func.sum(_when(keep, scan.prop(aggregate)))
    return sa.func.max(_when(keep, scan.occurred_at))  # last, and last_value's moment


def finished(aggregate: ir.EventAggregate, column: Expr) -> Expr:
    """The language's value from the joined aggregate (null where a customer has no row)."""
    if aggregate.function == "exists":
        return column.is_not(None)
    if aggregate.function in ("count", "sum"):
        return sa.func.coalesce(column, const("0"))
    if aggregate.function == "last_value" and aggregate.kind == "bool":
        return column == const("1")
    return column


def last_values(
    scan: EventScan, moments: sa.FromClause, wanted: Sequence[tuple[ir.EventAggregate, str, str]]
) -> sa.CTE:
    """``prop`` of the latest matching event per customer; ties go to the greatest value.

    ``wanted`` holds (aggregate, column of its latest moment in ``moments``, output name).
    """
    customer_id = scan.customer_id
    at = scan.occurred_at
    columns = [
        sa.func.max(
            _when(sa.and_(*_present(scan.matches(a.filter)), at == moments.c[moment]), scan.prop(a))
        ).label(name)
        for a, moment, name in wanted
    ]
    joined = scan.table.join(moments, moments.c.customer_id == customer_id)
    latest = sa.or_(*(at == moments.c[moment] for _, moment, _ in wanted))
    return (
        sa.select(customer_id.label("customer_id"), *columns)
        .select_from(joined)
        .where(*scan.where(), latest)
        .group_by(scan.dialect.group_key(customer_id))
        .cte(f"{moments.name}_last")
    )


def fused_events(
    scan: EventScan, aggregates: Sequence[ir.EventAggregate], customer_id: Expr
) -> EventSql:
    """All aggregates from one grouped scan (``events_agg``), plus ``events_agg_last`` when
    some need the property of the latest event."""
    result = EventSql()
    if not aggregates:
        return result
    filters = {a.filter: scan.matches(a.filter) for a in aggregates}
    # Only events some aggregate counts: customers with none get no group, so the join onto
    # the customers stays small (712k groups → 29k for the ladder on the demo store). With
    # one filter, that condition is all each aggregate needs to check.
    everything = any(f is None for f in filters.values())
    relevant = [] if everything else [sa.or_(*filters.values())]
    single = len(filters) == 1
    columns = [
        aggregate_column(scan, a, None if single else filters[a.filter]).label(f"a{i}")
        for i, a in enumerate(aggregates)
    ]
    key = scan.customer_id
    agg = (
        sa.select(key.label("customer_id"), *columns)
        .select_from(scan.table)
        .where(*scan.where(), *relevant)
        .group_by(scan.dialect.group_key(key))
        .cte("events_agg")
    )
    lookup = scan.dialect.lookup_aggregates
    plain = [(a, f"a{i}") for i, a in enumerate(aggregates) if a.function != "last_value"]
    attach(result, agg, plain, customer_id, lookup)
    wanted = [(a, f"a{i}", f"v{i}") for i, a in enumerate(aggregates) if a.function == "last_value"]
    if wanted:
        last = last_values(scan, agg, wanted)
        attach(result, last, [(a, name) for a, _, name in wanted], customer_id, lookup)
    return result


def attach(
    result: EventSql,
    table: sa.FromClause,
    columns: Sequence[tuple[ir.EventAggregate, str]],
    customer_id: Expr,
    lookup: bool,
) -> None:
    """Make ``table``'s aggregate ``columns`` each customer's values: by a LEFT JOIN, or
    (``lookup``) looked up only where a condition asks, ``exists`` as an ``IN`` list."""
    if not lookup:
        result.joins.append((table, table.c.customer_id == customer_id))
        for a, name in columns:
            result.values[a] = finished(a, table.c[name])
        return
    key = table.c.customer_id
    for a, name in columns:
        if a.function == "exists":  # no null ids in the list: IN must not turn unknown
            ids = sa.select(key).where(table.c[name].is_not(None), key.is_not(None))
            result.values[a] = customer_id.in_(ids)
        else:
            value = sa.select(table.c[name]).where(key == customer_id).scalar_subquery()
            result.values[a] = finished(a, value)


def separate_events(
    scan: EventScan, aggregates: Sequence[ir.EventAggregate], customer_id: Expr
) -> EventSql:
    """Each aggregate in a pass of its own (the fusion pass off)."""
    result = EventSql()
    for i, a in enumerate(aggregates):
        found = scan.matches(a.filter)
        keep = [*scan.where(), *([] if found is None else [found])]
        key = scan.customer_id
        if a.function == "exists":
            ids = sa.select(key).select_from(scan.table).where(*keep, key.is_not(None))
            result.values[a] = customer_id.in_(ids)
            continue
        one = (
            sa.select(key.label("customer_id"), aggregate_column(scan, a, None).label("a"))
            .select_from(scan.table)
            .where(*keep)
            .group_by(scan.dialect.group_key(key))
            .cte(f"events_{i}")
        )
        result.joins.append((one, one.c.customer_id == customer_id))
        column = one.c.a
        if a.function == "last_value":
            last = last_values(scan, one, [(a, "a", "v")])
            result.joins.append((last, last.c.customer_id == customer_id))
            column = last.c.v
        result.values[a] = finished(a, column)
    return result


def event_sql(
    dialect: SqlDialect,
    binder: Binder,
    layout: Layout,
    aggregates: Sequence[ir.EventAggregate],
    fused: bool,
    scan: ir.Scan | None,
    customer_id: Expr,
    ingested: tuple[Sequence[str], IngestedTable | None] = ((), None),
) -> EventSql:
    """The joins and values of ``aggregates`` for a statement over the customers."""
    events = EventScan.of(dialect, binder, layout, aggregates, scan, ingested)
    build = fused_events if fused else separate_events
    return build(events, aggregates, customer_id)
