"""The IR: a typed DAG of column expressions, evaluated per customer.

Nodes are frozen and compare by structure, so equal subexpressions are equal nodes; the
``share_subexpressions`` pass also makes them the *same* object so backends can cache results
by identity. Nodes carry no source positions: the planner keeps a map back to the AST for
``winlang explain``.

Every node has a ``kind``: ``number``, ``text``, ``bool``, ``timestamp`` (a ``date`` column is
read as a timestamp at midnight UTC). Logic is three-valued: any node may be null except
where noted.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal as TypingLiteral

from ..contracts.state import StateKind

Kind = TypingLiteral["number", "text", "bool", "timestamp", "null"]


@dataclass(frozen=True, slots=True)
class Node:
    @property
    def kind(self) -> Kind:
        raise NotImplementedError

    @property
    def inputs(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Column(Node):
    """A customer column. ``source_kind`` is ``date`` for date columns (read as midnight UTC)."""

    name: str
    column_kind: Kind
    source_kind: str = ""

    @property
    def kind(self) -> Kind:
        return self.column_kind


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A constant; ``value`` is None for a typed null. Timestamps are UTC ``datetime``s."""

    value: object
    literal_kind: Kind

    @property
    def kind(self) -> Kind:
        return self.literal_kind


@dataclass(frozen=True, slots=True)
class NowMinus(Node):
    """The run's clock minus ``seconds``: bound when the plan runs, so a plan is reusable."""

    seconds: float = 0.0

    @property
    def kind(self) -> Kind:
        return "timestamp"


@dataclass(frozen=True, slots=True)
class Arith(Node):
    """``+ - * /`` on numbers; ``/`` is true division and a zero divisor gives null."""

    op: str
    left: Node
    right: Node

    @property
    def kind(self) -> Kind:
        return "number"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node

    @property
    def kind(self) -> Kind:
        return "number"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.operand,)


# The comparison operators, each once: what ``a op b`` means on two plain values, and the
# operator with its sides swapped (``a op b`` is ``b FLIPPED[op] a``), so a backend can keep
# the column (or the bound moment) on the side it wants.
COMPARISONS: dict[str, Callable[[object, object], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
FLIPPED: dict[str, str] = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """``= != < <= > >=``; text compares by code point; null on either side gives null."""

    op: str
    left: Node
    right: Node

    @property
    def kind(self) -> Kind:
        return "bool"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True, slots=True)
class And(Node):
    """Kleene AND over any number of operands: false wins, then null, then true."""

    operands: tuple[Node, ...]

    @property
    def kind(self) -> Kind:
        return "bool"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class Or(Node):
    """Kleene OR: true wins, then null, then false."""

    operands: tuple[Node, ...]

    @property
    def kind(self) -> Kind:
        return "bool"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True, slots=True)
class Not(Node):
    """Kleene NOT: null stays null."""

    operand: Node

    @property
    def kind(self) -> Kind:
        return "bool"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    """True where the operand is null; never null itself."""

    operand: Node

    @property
    def kind(self) -> Kind:
        return "bool"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class InSet(Node):
    """``operand in (values)``: null when the operand is null; values are literals."""

    operand: Node
    values: tuple[Literal, ...]

    @property
    def kind(self) -> Kind:
        return "bool"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.operand, *self.values)


@dataclass(frozen=True, slots=True)
class TextMatch(Node):
    """``starts_with``, ``ends_with``, ``contains``: literal, case-sensitive matching."""

    op: str
    operand: Node
    pattern: Node

    @property
    def kind(self) -> Kind:
        return "bool"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.operand, self.pattern)


FUNCTION_KINDS: dict[str, Kind] = {
    "lower": "text",
    "upper": "text",
    "length": "number",
    "abs": "number",
}


@dataclass(frozen=True, slots=True)
class Function(Node):
    """``lower``, ``upper`` (Unicode), ``length`` (code points), ``abs``, ``coalesce``."""

    name: str
    args: tuple[Node, ...]

    @property
    def kind(self) -> Kind:
        if self.name == "coalesce":
            return next((a.kind for a in self.args if a.kind != "null"), "null")
        return FUNCTION_KINDS[self.name]

    @property
    def inputs(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True, slots=True)
class DaysSince(Node):
    """Whole days from the operand to now: floor((now - t) / 24 h); negative in the future."""

    operand: Node

    @property
    def kind(self) -> Kind:
        return "number"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True, slots=True)
class IsAnniversary(Node):
    """Month and day of the operand equal now's UTC date; 29 Feb counts on 28 Feb in other
    years."""

    operand: Node

    @property
    def kind(self) -> Kind:
        return "bool"

    @property
    def inputs(self) -> tuple[Node, ...]:
        return (self.operand,)


AggregateFunction = TypingLiteral["exists", "count", "sum", "last", "last_value"]


# The event fields a filter tests by equality; the store's layout names each column by the
# same name (``[store.columns] channel = "..."``).
EventField = TypingLiteral["type", "channel", "campaign", "template"]
FILTER_FIELDS: tuple[EventField, ...] = ("channel", "campaign", "template")


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events count: a type, and optionally a channel, a campaign and a template.

    Events after now never count; ``window`` (seconds) keeps those with
    ``now - window <= occurred_at <= now``. This is the one description of an event filter:
    each backend translates :attr:`tests` and the window (a NumPy mask, a SQL condition,
    the ingested events' query) and none matches events another way.

    >>> EventFilter("open", template="survey", window=86400.0).tests
    (('type', 'open'), ('template', 'survey'))
    """

    event_type: str
    channel: str | None = None
    campaign: str | None = None
    template: str | None = None
    window: float | None = None

    @property
    def tests(self) -> tuple[tuple[EventField, str], ...]:
        """Each (event field, value) a kept event has, ``type`` first, then the other
        fields in :data:`FILTER_FIELDS` order; the window aside."""
        named = zip(FILTER_FIELDS, (self.channel, self.campaign, self.template), strict=True)
        return (("type", self.event_type), *((f, v) for f, v in named if v is not None))

    @property
    def fields(self) -> tuple[EventField, ...]:
        """The fields besides ``type`` it tests (the event columns it reads)."""
        return tuple(f for f, _ in self.tests[1:])


@dataclass(frozen=True, slots=True)
class EventAggregate(Node):
    """A per-customer aggregate over the events table.

    ``exists`` (bool, never null), ``count`` (number, 0 for none), ``sum`` of ``prop``
    (0 for none; null amounts are skipped), ``last`` (the latest ``occurred_at``, null for
    none) and ``last_value`` (``prop`` of the latest event; ties go to the greatest value).
    """

    function: AggregateFunction
    filter: EventFilter
    prop: str | None = None
    prop_kind: Kind = "number"

    @property
    def kind(self) -> Kind:
        return {"exists": "bool", "count": "number", "sum": "number", "last": "timestamp"}.get(
            self.function, self.prop_kind
        )


@dataclass(frozen=True, slots=True)
class StateFlag(Node):
    """A fact from winlang's own state database, per customer; never null.

    - ``received``: this campaign sent ``key`` (a template, or a channel when ``by_channel``)
      within ``window`` seconds (or ever), or, with ``older_than``, at least once more than
      ``older_than`` seconds before now (``sent_at < now - older_than``);
    - ``in_list``: the customer is in list ``key``;
    - ``fired``: rule ``key`` of this campaign fired for the customer, within ``window``
      seconds when the rule repeats (so it may fire again after that).
    """

    state: StateKind
    key: str
    window: float | None = None
    by_channel: bool = False
    older_than: float | None = None

    @property
    def kind(self) -> Kind:
        return "bool"


# ---- the plan ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RulePlan:
    """A rule: it matches where ``condition`` is true and ``already_fired`` is not."""

    name: str
    condition: Node
    already_fired: Node


@dataclass(frozen=True, slots=True)
class Scan:
    """What to read: customer columns, and the event columns, types and time span needed.

    ``event_fields`` are the filter fields some aggregate tests (their columns are read);
    a scan made by hand without them reads all three.
    """

    columns: tuple[str, ...]
    event_types: tuple[str, ...]
    event_props: tuple[str, ...]
    event_window: float | None  # widest window in seconds; None: all time up to now
    event_fields: tuple[EventField, ...] = FILTER_FIELDS

    @classmethod
    def of(cls, nodes: Iterable[Node]) -> Scan:
        """What evaluating ``nodes`` (every node of some roots) reads: the projection.

        >>> scan = Scan.of([EventAggregate("count", EventFilter("open", "sms", window=60.0))])
        >>> scan.event_types, scan.event_fields, scan.event_window
        (('open',), ('channel',), 60.0)
        """
        nodes = list(nodes)
        aggregates = tuple(dict.fromkeys(n for n in nodes if isinstance(n, EventAggregate)))
        windows = [a.filter.window for a in aggregates]
        tested = {f for a in aggregates for f in a.filter.fields}
        return cls(
            columns=tuple(sorted({n.name for n in nodes if isinstance(n, Column)})),
            event_types=tuple(sorted({a.filter.event_type for a in aggregates})),
            event_props=tuple(sorted({a.prop for a in aggregates if a.prop})),
            event_window=None if (not windows or None in windows) else max(windows),
            event_fields=tuple(f for f in FILTER_FIELDS if f in tested),
        )

    def with_columns(self, names: Iterable[str]) -> Scan:
        """This scan, reading the customer columns ``names`` too (values a run carries
        along with the decisions)."""
        columns = tuple(sorted({*self.columns, *names}))
        return self if columns == self.columns else replace(self, columns=columns)

    def covers(self, aggregates: Iterable[EventAggregate]) -> bool:
        """Whether this scan reads every event ``aggregates`` count, by type and time (a
        backend may be asked about nodes of another plan than the one whose scan it holds)."""
        aggregates = list(aggregates)
        if not {a.filter.event_type for a in aggregates} <= set(self.event_types):
            return False
        widest = self.event_window
        return widest is None or all(
            a.filter.window is not None and a.filter.window <= widest for a in aggregates
        )

    def since(self, now: datetime) -> datetime | None:
        """The earliest event time read: ``now`` minus the widest window (None: all)."""
        return None if self.event_window is None else now - timedelta(seconds=self.event_window)


@dataclass(frozen=True, slots=True)
class Plan:
    """A campaign compiled for evaluation: the audience and the rules, in file order."""

    campaign: str
    audience: Node
    rules: tuple[RulePlan, ...]
    scan: Scan | None = None  # None (projection pushdown off): read every column and event
    fused: tuple[EventAggregate, ...] | None = None  # computed in one pass over the events;
    # None (fusion off): a backend computes each aggregate in a pass of its own
    passes: tuple[str, ...] = field(default=())  # optimizer passes applied, in order

    def roots(self) -> Iterator[Node]:
        yield self.audience
        for rule in self.rules:
            yield rule.condition
            yield rule.already_fired

    def aggregates(self) -> tuple[EventAggregate, ...]:
        """Every distinct event aggregate of the plan."""
        return tuple(dict.fromkeys(n for n in walk(*self.roots()) if isinstance(n, EventAggregate)))


def walk(*roots: Node) -> Iterator[Node]:
    """Every node reachable from ``roots``, each once, children before parents."""
    seen: set[int] = set()
    order: list[Node] = []
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.inputs))
    return iter(order)


TRUE = Literal(True, "bool")
FALSE = Literal(False, "bool")
