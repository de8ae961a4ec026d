"""The campaign AST: frozen dataclasses, every node carrying the span of its source text.

Built by :mod:`winlang.parse` and read by :mod:`winlang.check` and :mod:`winlang.plan`.
Nothing here knows about types or the schema; names are resolved by the checker.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, Literal

from .frozen import frozen

# ---- positions --------------------------------------------------------------------------


@frozen(slots=True)
class Span:
    """A half-open range of source text; lines and columns are 1-based, columns count characters.

    ``end_column`` is exclusive, so a one-character token at column 5 has ``end_column == 6``.
    """

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def cover(self, other: Span) -> Span:
        """The smallest span holding both ``self`` and ``other``."""
        first, last = (self, other) if self.start <= other.start else (other, self)
        tail = last if last.end >= first.end else first
        return Span(first.start, tail.end, first.line, first.column, tail.end_line, tail.end_column)


NO_SPAN = Span(0, 0, 1, 1, 1, 1)


@frozen(slots=True)
class Ident:
    """A name as written, with its own span (declared names, channels, templates)."""

    name: str
    span: Span


# ---- durations --------------------------------------------------------------------------

SECONDS_PER_UNIT: dict[str, int] = {
    "minute": 60,
    "hour": 3600,
    "day": 86_400,
    "week": 7 * 86_400,
    "month": 30 * 86_400,  # fixed by the language: a month is 30 days
    "year": 365 * 86_400,  # and a year 365 days
}


@frozen(slots=True, kw_only=True)
class Duration:
    """``30 days``: an amount of a fixed-length unit."""

    amount: float
    unit: str  # singular: minute, hour, day, week, month, year
    span: Span

    @property
    def seconds(self) -> float:
        return self.amount * SECONDS_PER_UNIT[self.unit]

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount} {self.unit}{'' if amount == 1 else 's'}"


# ---- expressions ------------------------------------------------------------------------


@frozen(slots=True, kw_only=True)
class Expr:
    """An expression; every kind below is one."""

    span: Span


@frozen(slots=True, kw_only=True)
class Number(Expr):
    """``42``, ``2.5``."""

    value: int | float


@frozen(slots=True, kw_only=True)
class Text(Expr):
    """``"gold"``: a string literal, quotes and escapes removed."""

    value: str


@frozen(slots=True, kw_only=True)
class Bool(Expr):
    """``true`` or ``false``."""

    value: bool


@frozen(slots=True, kw_only=True)
class Null(Expr):
    """``null``."""


@frozen(slots=True, kw_only=True)
class DurationLit(Expr):
    """``30 days`` written as a value (``days_since(x) > 30 days``)."""

    duration: Duration


@frozen(slots=True, kw_only=True)
class ListLit(Expr):
    """``("a", "b")``: a list, the value of a ``let``."""

    items: tuple[Expr, ...]


@frozen(slots=True, kw_only=True)
class Name(Expr):
    """A field, derived field, segment or let: which one is the checker's to say."""

    name: str


@frozen(slots=True, kw_only=True)
class Call(Expr):
    """``days_since(last_purchase_at)``: a function of the standard library."""

    function: Ident
    args: tuple[Expr, ...]


ArithOp = Literal["+", "-", "*", "/"]
CompareOp = Literal["=", "!=", "<", "<=", ">", ">="]


@frozen(slots=True, kw_only=True)
class Negate(Expr):
    """``-x``."""

    operand: Expr


@frozen(slots=True, kw_only=True)
class Arith(Expr):
    """``a + b``, ``a - b``, ``a * b``, ``a / b``."""

    op: ArithOp
    left: Expr
    right: Expr
    op_span: Span


@frozen(slots=True, kw_only=True)
class Compare(Expr):
    """``a > b`` and the other comparisons."""

    op: CompareOp  # `==` is normalised to `=`
    left: Expr
    right: Expr
    op_span: Span


@frozen(slots=True, kw_only=True)
class And(Expr):
    """``a and b``."""

    left: Expr
    right: Expr


@frozen(slots=True, kw_only=True)
class Or(Expr):
    """``a or b``."""

    left: Expr
    right: Expr


@frozen(slots=True, kw_only=True)
class Not(Expr):
    """``not a``."""

    operand: Expr


@frozen(slots=True, kw_only=True)
class Between(Expr):
    """``x between low and high``, or ``x not between low and high``."""

    operand: Expr
    low: Expr
    high: Expr
    negated: bool


@frozen(slots=True, kw_only=True)
class In(Expr):
    """``x in ("a", "b")`` (items) or ``x in markets`` (a let holding a list)."""

    operand: Expr
    items: tuple[Expr, ...] | Name
    negated: bool


@frozen(slots=True, kw_only=True)
class IsNull(Expr):
    """``x is null`` or ``x is not null``."""

    operand: Expr
    negated: bool


@frozen(slots=True, kw_only=True)
class IsToday(Expr):
    """``t is today``."""

    operand: Expr


TextOp = Literal["starts_with", "ends_with", "contains"]


@frozen(slots=True, kw_only=True)
class TextTest(Expr):
    """``x starts with "a"``, ``ends with``, ``contains``."""

    op: TextOp
    operand: Expr
    pattern: Expr


@frozen(slots=True, kw_only=True)
class Within(Expr):
    """``t within D``: ``now - D <= t <= now``."""

    operand: Expr
    window: Duration


@frozen(slots=True, kw_only=True)
class Ago(Expr):
    """``t before D ago`` (``t < now - D``) or ``t after D ago`` (``t > now - D``)."""

    operand: Expr
    direction: Literal["before", "after"]
    window: Duration


# Verbs map to event types; `received` reads winlang's own ledger of sent messages.
VERB_EVENT_TYPES: dict[str, str] = {
    "opened": "open",
    "clicked": "click",
    "purchased": "purchase",
    "visited": "visit",
    "viewed": "view",
    "bounced": "bounce",
    "unsubscribed": "unsubscribe",
    "received": "received",
}


@frozen(slots=True, kw_only=True)
class EventPredicate(Expr):
    """``opened survey within 30 days``: the customer has at least one matching event.

    ``target`` is a template of this campaign, a channel, ``any``, or absent; the checker
    decides which. ``verb`` is the word written (``did`` for the generic form). ``window``
    keeps events with ``now - D <= time <= now``; ``older_than`` (``received survey more
    than 7 days ago``) asks for one with ``time < now - D``. At most one of them is set.
    """

    verb: str
    event_type: str
    target: Ident | None
    window: Duration | None
    older_than: Duration | None = None


@frozen(slots=True, kw_only=True)
class EventSelector:
    """The argument of ``count(...)``, ``sum(...)`` and ``last(...)``."""

    event_type: Ident  # `purchase` or `"cart_add"` (quotes removed)
    prop: Ident | None  # `purchase.amount`
    target: Ident | None
    window: Duration | None
    span: Span


@frozen(slots=True, kw_only=True)
class Aggregate(Expr):
    """``count(view within 7 days)``, ``sum(purchase.amount within 1 year)``,
    ``last(purchase)`` (its time) and ``last(view).product_name`` (a column of that event)."""

    function: Literal["count", "sum", "last"]
    selector: EventSelector
    prop: Ident | None = None  # only for last(...).prop


@frozen(slots=True, kw_only=True)
class InList(Expr):
    """``in list "vip"``: the customer is on a named list."""

    list_name: str


# ---- templates ----------------------------------------------------------------------------


@frozen(slots=True, kw_only=True)
class TemplateText:
    """Template text as written in a string literal or loaded from a file.

    ``offsets[i]`` is the source offset of ``value[i]`` so a placeholder can be pointed at
    exactly; text loaded from a file has no offsets and points at the ``file`` string.
    """

    value: str
    span: Span
    offsets: tuple[int, ...] | None = None
    path: str | None = None  # set when the text came from `file "..."`


@frozen(slots=True, kw_only=True)
class Template:
    """``template name channel body ...``, with a subject for e-mail."""

    name: Ident
    channel: Ident
    body: TemplateText
    subject: TemplateText | None
    span: Span


# ---- actions and rules --------------------------------------------------------------------


@frozen(slots=True, kw_only=True)
class Param:
    """``name = value`` given to a template by ``send ... with``."""

    name: Ident
    value: Expr


@frozen(slots=True, kw_only=True)
class Send:
    """``send channel template``, its parameters and its ``else send`` fallback."""

    channel: Ident
    template: Ident
    params: tuple[Param, ...]
    fallback: Send | None  # `else send ...`
    span: Span


@frozen(slots=True, kw_only=True)
class ListAction:
    """``add to list "l"`` or ``remove from list "l"``."""

    op: Literal["add", "remove"]
    list_name: str
    span: Span


@frozen(slots=True, kw_only=True)
class Unsubscribe:
    """``unsubscribe`` (from everything) or ``unsubscribe from channel``."""

    channel: Ident | None  # None: from everything
    span: Span


Action = Send | ListAction | Unsubscribe


@frozen(slots=True, kw_only=True)
class SplitArm:
    """``50% send ...``: one arm of a split."""

    percent: float
    actions: tuple[Action, ...]
    span: Span


@frozen(slots=True, kw_only=True)
class Split:
    """``split 50% ... 50% ...``: an A/B test's arms."""

    arms: tuple[SplitArm, ...]
    span: Span


@frozen(slots=True, kw_only=True)
class Rule:
    """One `when ... then ...`; an unnamed rule is called ``rule_<n>`` by its position."""

    name: Ident
    named: bool  # False when the name was given by position
    condition: Expr
    actions: tuple[Action, ...] | Split
    repeat: Duration | None
    span: Span


# ---- declarations and settings ------------------------------------------------------------


@frozen(slots=True, kw_only=True)
class Segment:
    """``segment name = condition``."""

    name: Ident
    condition: Expr
    span: Span


@frozen(slots=True, kw_only=True)
class Let:
    """``let name = value``."""

    name: Ident
    value: Expr
    span: Span


@frozen(slots=True, kw_only=True)
class TimeOfDay:
    """``21:00``."""

    hour: int
    minute: int
    span: Span

    def __str__(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


@frozen(slots=True, kw_only=True)
class Setting:
    """A campaign setting: ``description``, ``audience``, ``cap``, ``quiet hours``,
    ``holdout``, ``link``, ``timezone`` or ``locale``. ``value`` depends on ``key``."""

    key: str
    value: object
    span: Span
    value_span: Span


@frozen(slots=True, kw_only=True)
class Cap:
    """``cap 2 per 7 days``."""

    count: float
    per: Duration


@frozen(slots=True, kw_only=True)
class QuietHours:
    """``quiet hours 21:00 to 09:00``."""

    start: TimeOfDay
    end: TimeOfDay


@frozen(slots=True, kw_only=True)
class CampaignHeader:
    """``campaign "name"``."""

    name: str
    span: Span


Item = CampaignHeader | Setting | Segment | Let | Template | Rule


@frozen(slots=True, kw_only=True)
class CampaignFile:
    """One parsed ``.win`` file: its items in source order."""

    path: str
    items: tuple[Item, ...]

    @property
    def headers(self) -> tuple[CampaignHeader, ...]:
        return tuple(i for i in self.items if isinstance(i, CampaignHeader))

    @property
    def settings(self) -> tuple[Setting, ...]:
        return tuple(i for i in self.items if isinstance(i, Setting))

    @property
    def segments(self) -> tuple[Segment, ...]:
        return tuple(i for i in self.items if isinstance(i, Segment))

    @property
    def lets(self) -> tuple[Let, ...]:
        return tuple(i for i in self.items if isinstance(i, Let))

    @property
    def templates(self) -> tuple[Template, ...]:
        return tuple(i for i in self.items if isinstance(i, Template))

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(i for i in self.items if isinstance(i, Rule))

    @property
    def name(self) -> str | None:
        headers = self.headers
        return headers[0].name if headers else None

    def setting(self, key: str) -> Setting | None:
        """The first setting called ``key`` (the checker reports repeats)."""
        return next((s for s in self.settings if s.key == key), None)


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, in source order.

    >>> inner = Name(name="x", span=NO_SPAN)
    >>> children(Not(operand=inner, span=NO_SPAN)) == (inner,)
    True
    """
    # A table by exact type: most nodes are leaves, which a chain of class patterns tried
    # one by one before giving up (the checker walks every expression several times).
    found = _CHILDREN.get(type(node))
    return () if found is None else found(node)


def _in_children(node: In) -> tuple[Expr, ...]:
    items = node.items
    return (node.operand, *items) if isinstance(items, tuple) else (node.operand, items)


_CHILDREN: dict[type, Callable[[Any], tuple[Expr, ...]]] = {
    **{kind: lambda node: (node.operand,) for kind in (Negate, Not, IsNull, IsToday, Within, Ago)},
    **{kind: attrgetter("left", "right") for kind in (Arith, Compare, And, Or)},
    Between: attrgetter("operand", "low", "high"),
    In: _in_children,
    TextTest: attrgetter("operand", "pattern"),
    Call: attrgetter("args"),
    ListLit: attrgetter("items"),
}


def walk(node: Expr):
    """Every expression in ``node``, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
