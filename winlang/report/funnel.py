"""``winlang report``: the funnel per rule and variant, reactivation and lift against the
holdout, computed from ledger rows and events (pure: no I/O; ``winlang/cli/report.py`` reads
them).

Every count is of *distinct customers* within its group (a rule, a variant of a split rule,
or the whole campaign):

- ``sent``, ``failed``, ``planned``, ``held_out``: customers with a firing of that status;
  ``channels``: customers sent a message on each channel;
- ``delivered``, ``opened``, ``clicked``: customers sent a message who have a ``delivered``,
  ``open`` or ``click`` event of this campaign for that message's template at or after its
  ``sent_at`` (and at or before ``now``);
- ``reactivation``: customers sent a message, and those of them with a ``purchase`` event (of
  any campaign) with ``sent_at <= occurred_at <= min(sent_at + window, now)``;
- ``control``: the same for held-out customers, measured from their firing's ``planned_at``
  (a variant is compared with its rule's whole control group: the variant drawn for a
  held-out customer is random, so all variants share it);
- ``lift``: the reactivation rate minus the control's, in percentage points, with its 95%
  interval, their ratio and a two-sided two-proportion z-test p-value; ``None`` with a
  ``note`` when either group has fewer than ``MIN_GROUP`` customers;
- ``revenue``: the ``amount`` of the purchases that reactivate (each purchase once per
  group), for the messaged customers and the control, and per customer of each;
- ``sms_parts`` and ``cost``: the SMS parts of the messages sent, and their price at
  ``[channels.NAME] price_per_part``;
- ``ab``: for a split rule, each pair of variants compared (:mod:`winlang.report.stats`);
- ``daily``: per UTC day, the messages sent, the clicks, the customers reactivated (on the
  day of their first purchase that counts) and their revenue.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from ..state.records import FiringRecord as Firing
from .stats import difference_interval, proportion_interval, z_test

MIN_GROUP = 30  # fewer customers than this on either side: no lift is printed
FUNNEL = (("delivered", "delivered"), ("opened", "open"), ("clicked", "click"))
FUNNEL_TYPES = tuple(event for _, event in FUNNEL)
PURCHASE = "purchase"


@dataclass(frozen=True, kw_only=True)
class Event:
    """One event of the store or of ``winlang ingest`` (times naive UTC)."""

    customer_id: str
    type: str
    occurred_at: datetime
    campaign: str | None = None
    template: str | None = None
    amount: float | None = None  # a purchase's value (the events' ``amount`` column)


class EventIndex:
    """The events a report needs, indexed: the last funnel event of this campaign per
    (customer, template, type), the times of its clicks, and each customer's purchases
    (time, amount) in order. Events after ``now`` are left out."""

    def __init__(self, events: Iterable[Event], campaign: str, now: datetime) -> None:
        self._last: dict[tuple[str, str, str], datetime] = {}
        self.clicks: list[datetime] = []
        purchases: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
        for event in events:
            if event.occurred_at > now:
                continue
            if event.type == PURCHASE:
                purchases[event.customer_id].append((event.occurred_at, event.amount or 0.0))
            elif event.type in FUNNEL_TYPES and event.campaign == campaign and event.template:
                key = (event.customer_id, event.template, event.type)
                if key not in self._last or self._last[key] < event.occurred_at:
                    self._last[key] = event.occurred_at
                if event.type == "click":
                    self.clicks.append(event.occurred_at)
        ordered = {customer: sorted(found) for customer, found in purchases.items()}
        self._purchases = {customer: [t for t, _ in found] for customer, found in ordered.items()}
        self._amounts = {customer: [a for _, a in found] for customer, found in ordered.items()}

    def reacted(self, firing: Firing, event_type: str) -> bool:
        """Whether the customer had ``event_type`` for the firing's template after it was sent."""
        if firing.sent_at is None or firing.template is None:
            return False
        last = self._last.get((firing.customer_id, firing.template, event_type))
        return last is not None and last >= firing.sent_at

    def purchased(self, customer: str, start: datetime, end: datetime) -> bool:
        """Whether ``customer`` has a purchase with ``start <= occurred_at <= end``."""
        times = self._purchases.get(customer, ())
        at = bisect_left(times, start)
        return at < len(times) and times[at] <= end

    def purchases(self, customer: str, start: datetime, end: datetime) -> range:
        """The positions of ``customer``'s purchases with ``start <= occurred_at <= end``:
        with the customer, a purchase's identity (one purchase counts once per group)."""
        times = self._purchases.get(customer, [])
        return range(bisect_left(times, start), bisect_right(times, end))

    def purchase(self, customer: str, position: int) -> tuple[datetime, float]:
        """The time and amount of ``customer``'s purchase at ``position``."""
        return self._purchases[customer][position], self._amounts[customer][position]


@dataclass(frozen=True)
class Rate:
    """``purchased`` of ``customers`` reactivated."""

    customers: int
    purchased: int

    @property
    def rate(self) -> float | None:
        return self.purchased / self.customers if self.customers else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The rate's 95% (Wilson) interval; None for an empty group."""
        return proportion_interval(self.purchased, self.customers)

    def as_json(self) -> dict[str, object]:
        rate, interval = self.rate, self.interval
        return {
            "customers": self.customers,
            "purchased": self.purchased,
            "rate": None if rate is None else round(rate, 4),
            "interval": None if interval is None else [round(x, 4) for x in interval],
        }


@dataclass(frozen=True)
class Lift:
    """Messaged against held out: percentage points, ratio, p-value; or why not (``note``)."""

    points: float | None = None
    interval: tuple[float, float] | None = None  # of ``points``, 95%
    ratio: float | None = None
    p_value: float | None = None
    note: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "points": self.points,
            "interval": None if self.interval is None else list(self.interval),
            "ratio": self.ratio,
            "p_value": self.p_value,
            "note": self.note,
        }


def p_value(a: Rate, b: Rate) -> float:
    """Two-sided p-value of the pooled two-proportion z-test of ``a.rate == b.rate``.

    >>> round(p_value(Rate(100, 30), Rate(100, 15)), 4)
    0.0111
    >>> p_value(Rate(50, 0), Rate(40, 0))
    1.0
    """
    return z_test(a.purchased, a.customers, b.purchased, b.customers).p_value


def points_interval(a: Rate, b: Rate) -> tuple[float, float] | None:
    """The 95% interval of ``a.rate - b.rate`` in percentage points (Newcombe's).

    >>> points_interval(Rate(70, 56), Rate(80, 48))
    (5.24, 33.39)
    """
    found = difference_interval(a.purchased, a.customers, b.purchased, b.customers)
    return None if found is None else (round(100 * found[0], 2), round(100 * found[1], 2))


def lift(messaged: Rate, control: Rate, minimum: int = MIN_GROUP) -> Lift:
    """The lift of ``messaged`` over ``control``, or a note when a group is too small.

    >>> lift(Rate(100, 30), Rate(100, 15))
    Lift(points=15.0, interval=(3.41, 26.15), ratio=2.0, p_value=0.0111, note=None)
    >>> lift(Rate(100, 30), Rate(12, 1)).note
    'too few to compare: 100 messaged, 12 held out (at least 30 each)'
    """
    if messaged.customers < minimum or control.customers < minimum:
        return Lift(
            note=f"too few to compare: {messaged.customers} messaged, {control.customers} "
            f"held out (at least {minimum} each)"
        )
    ours, theirs = messaged.purchased / messaged.customers, control.purchased / control.customers
    return Lift(
        points=round(100 * (ours - theirs), 2),
        interval=points_interval(messaged, control),
        ratio=round(ours / theirs, 3) if theirs else None,
        p_value=round(p_value(messaged, control), 4),
    )


@dataclass(frozen=True)
class Revenue:
    """The amounts of the purchases that reactivate: the messaged customers' and the
    control's, and how many customers each side has."""

    messaged: float = 0.0
    control: float = 0.0
    messaged_customers: int = 0
    control_customers: int = 0

    def per_customer(self) -> tuple[float | None, float | None]:
        """Revenue per messaged customer and per held-out customer (None for an empty side)."""
        mine = self.messaged / self.messaged_customers if self.messaged_customers else None
        theirs = self.control / self.control_customers if self.control_customers else None
        return mine, theirs

    def incremental(self, minimum: int = MIN_GROUP) -> float | None:
        """What the messages brought beyond what the control bought on its own: the
        difference per customer times the messaged customers; None with too few on a side."""
        if self.messaged_customers < minimum or self.control_customers < minimum:
            return None
        mine, theirs = self.per_customer()
        return (mine or 0.0) * self.messaged_customers - (theirs or 0.0) * self.messaged_customers

    def as_json(self) -> dict[str, object]:
        mine, theirs = self.per_customer()
        incremental = self.incremental()
        return {
            "messaged": round(self.messaged, 2),
            "control": round(self.control, 2),
            "per_messaged": None if mine is None else round(mine, 4),
            "per_control": None if theirs is None else round(theirs, 4),
            "incremental": None if incremental is None else round(incremental, 2),
        }


@dataclass(frozen=True)
class Comparison:
    """Two variants of a split rule compared on one ``metric`` (``clicked``: of the
    customers sent a message; ``reactivation``: bought within the window): ``a``'s rate
    minus ``b``'s in points, its 95% interval and the z-test's p-value, or a ``note``."""

    metric: str
    a: str
    b: str
    a_rate: Rate
    b_rate: Rate
    points: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    note: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "a": self.a,
            "b": self.b,
            "a_rate": _share(self.a_rate),
            "b_rate": _share(self.b_rate),
            "points": self.points,
            "interval": None if self.interval is None else list(self.interval),
            "p_value": self.p_value,
            "note": self.note,
        }


def _share(rate: Rate) -> dict[str, object]:
    """A variant's side of a comparison: ``count`` of ``customers`` (clicked, or bought)."""
    found = rate.as_json()
    return {
        "customers": found["customers"],
        "count": found["purchased"],
        "rate": found["rate"],
        "interval": found["interval"],
    }


def compare(
    metric: str, a: str, a_rate: Rate, b: str, b_rate: Rate, minimum: int = MIN_GROUP
) -> Comparison:
    """Variant ``a`` against variant ``b`` on ``metric``, or why not.

    >>> compare("clicked", "A", Rate(300, 69), "B", Rate(290, 95)).points
    -9.76
    >>> compare("clicked", "A", Rate(12, 3), "B", Rate(40, 9)).note
    'too few to compare: 12 in A, 40 in B (at least 30 each)'
    """
    found = Comparison(metric, a, b, a_rate, b_rate)
    if a_rate.customers < minimum or b_rate.customers < minimum:
        return replace(
            found,
            note=f"too few to compare: {a_rate.customers} in {a}, {b_rate.customers} in {b} "
            f"(at least {minimum} each)",
        )
    difference = a_rate.purchased / a_rate.customers - b_rate.purchased / b_rate.customers
    return replace(
        found,
        points=round(100 * difference, 2),
        interval=points_interval(a_rate, b_rate),
        p_value=round(p_value(a_rate, b_rate), 4),
    )


AB_METRICS = ("clicked", "reactivation")


def ab_tests(variants: Sequence[Funnel]) -> tuple[Comparison, ...]:
    """Every pair of ``variants`` (in order: A-B, A-C, B-C) on each of :data:`AB_METRICS`."""
    found = []
    for i, first in enumerate(variants):
        for second in variants[i + 1 :]:
            found += [
                compare(m, first.name, first.rate_of(m), second.name, second.rate_of(m))
                for m in AB_METRICS
            ]
    return tuple(found)


@dataclass(frozen=True)
class Funnel:
    """The counts of one group: a rule, a variant, or the whole campaign."""

    name: str
    sent: int
    channels: dict[str, int]
    failed: int
    planned: int
    held_out: int
    reached: dict[str, int]  # delivered, opened, clicked
    reactivation: Rate
    control: Rate
    lift: Lift
    revenue: Revenue = field(default_factory=Revenue)
    sms_parts: int = 0
    cost: float | None = None  # the parts at their channels' price_per_part
    variants: tuple[Funnel, ...] | None = None  # rules only; empty for a rule without split
    ab: tuple[Comparison, ...] = ()  # rules with two variants or more

    def rate_of(self, metric: str) -> Rate:
        """``clicked`` of ``sent``, or the reactivation rate, as a :class:`Rate`."""
        if metric == "clicked":
            return Rate(self.sent, self.reached["clicked"])
        return self.reactivation

    def as_json(self) -> dict[str, object]:
        shares = {
            key: round(count / self.sent, 4) if self.sent else None
            for key, count in self.reached.items()
        }
        found: dict[str, object] = {
            "name": self.name,
            "sent": self.sent,
            "channels": self.channels,
            "failed": self.failed,
            "planned": self.planned,
            "held_out": self.held_out,
            **self.reached,
            "shares": shares,
            "reactivation": self.reactivation.as_json(),
            "control": self.control.as_json(),
            "lift": self.lift.as_json(),
            "revenue": self.revenue.as_json(),
            "sms_parts": self.sms_parts,
            "cost": None if self.cost is None else round(self.cost, 4),
        }
        if self.variants is not None:
            found["variants"] = [v.as_json() for v in self.variants]
            found["ab"] = [c.as_json() for c in self.ab]
        return found


def _customers(firings: Iterable[Firing], status: str) -> set[str]:
    return {f.customer_id for f in firings if f.status == status}


@dataclass(frozen=True)
class _Window:
    """What the purchases in the windows of some firings come to."""

    rate: Rate
    revenue: float
    first: dict[str, datetime]  # customer -> their first purchase that counts
    purchases: frozenset[tuple[str, int]]  # (customer, position): each purchase once


def _window(
    firings: Sequence[Firing], index: EventIndex, window: timedelta, now: datetime
) -> _Window:
    """Customers of ``firings`` and those who purchased within ``window`` of one of them
    (from ``sent_at``, else ``planned_at``), until ``now`` at the latest; and those
    purchases."""
    customers: set[str] = set()
    bought: set[tuple[str, int]] = set()
    first: dict[str, datetime] = {}
    for firing in firings:
        customers.add(firing.customer_id)
        start = firing.sent_at or firing.planned_at
        for position in index.purchases(firing.customer_id, start, min(start + window, now)):
            bought.add((firing.customer_id, position))
            at, _ = index.purchase(firing.customer_id, position)
            if firing.customer_id not in first or at < first[firing.customer_id]:
                first[firing.customer_id] = at
    revenue = sum(index.purchase(customer, position)[1] for customer, position in bought)
    return _Window(Rate(len(customers), len(first)), revenue, first, frozenset(bought))


def _cost(sent: Sequence[Firing], prices: Mapping[str, float]) -> tuple[int, float | None]:
    """The SMS parts of ``sent`` and their price; None when a channel with parts has none."""
    parts: Counter[str] = Counter()
    for firing in sent:
        parts[firing.channel or "?"] += firing.parts or 0
    billed = {channel: count for channel, count in parts.items() if count}
    if not billed or any(channel not in prices for channel in billed):
        return sum(billed.values()), None
    return sum(billed.values()), sum(count * prices[c] for c, count in billed.items())


def measure(
    name: str,
    firings: Sequence[Firing],
    index: EventIndex,
    now: datetime,
    window: timedelta,
    control: _Window | None = None,
    prices: Mapping[str, float] | None = None,
) -> Funnel:
    """The funnel of ``firings``; ``control`` (default: their own held-out firings) is what
    their reactivation is compared with; ``prices``: per channel, the price of an SMS part."""
    sent = [f for f in firings if f.status == "sent" and f.sent_at is not None]
    channels: dict[str, set[str]] = defaultdict(set)
    for firing in sent:
        channels[firing.channel or "?"].add(firing.customer_id)
    reached = {
        key: len({f.customer_id for f in sent if index.reacted(f, event)}) for key, event in FUNNEL
    }
    messaged = _window(sent, index, window, now)
    if control is None:
        control = _window([f for f in firings if f.status == "held_out"], index, window, now)
    parts, cost = _cost(sent, prices or {})
    return Funnel(
        name=name,
        sent=len({f.customer_id for f in sent}),
        channels={c: len(ids) for c, ids in sorted(channels.items())},
        failed=len(_customers(firings, "failed")),
        planned=len(_customers(firings, "planned")),
        held_out=len(_customers(firings, "held_out")),
        reached=reached,
        reactivation=messaged.rate,
        control=control.rate,
        lift=lift(messaged.rate, control.rate),
        revenue=Revenue(
            messaged.revenue, control.revenue, messaged.rate.customers, control.rate.customers
        ),
        sms_parts=parts,
        cost=cost,
    )


@dataclass(frozen=True)
class Day:
    """One UTC day of the campaign: messages sent, clicks, customers reactivated (on the
    day of their first purchase that counts) and the revenue of the purchases that count."""

    day: date
    sent: int = 0
    clicked: int = 0
    reactivated: int = 0
    revenue: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "date": self.day.isoformat(),
            "sent": self.sent,
            "clicked": self.clicked,
            "reactivated": self.reactivated,
            "revenue": round(self.revenue, 2),
        }


def daily(
    firings: Sequence[Firing], index: EventIndex, now: datetime, window: timedelta
) -> tuple[Day, ...]:
    """Every day from the first with anything to count to the last, quiet days included."""
    sent = [f for f in firings if f.status == "sent" and f.sent_at is not None]
    messaged = _window(sent, index, window, now)
    sends = Counter(f.sent_at.date() for f in sent if f.sent_at is not None)
    clicks = Counter(at.date() for at in index.clicks)
    reactivated = Counter(at.date() for at in messaged.first.values())
    revenue: dict[date, float] = defaultdict(float)
    for customer, position in messaged.purchases:
        at, amount = index.purchase(customer, position)
        revenue[at.date()] += amount
    days = {*sends, *clicks, *reactivated, *revenue}
    if not days:
        return ()
    first, last = min(days), min(max(days), now.date())
    span = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return tuple(Day(d, sends[d], clicks[d], reactivated[d], revenue[d]) for d in span)


@dataclass(frozen=True)
class Report:
    campaign: str
    now: datetime  # naive UTC
    window_days: int
    runs: int
    rules: tuple[Funnel, ...]
    total: Funnel
    days: tuple[Day, ...] = ()
    firings: int = 0  # rows of the ledger counted: 0 before the first run

    def as_json(self) -> dict[str, object]:
        return {
            "campaign": self.campaign,
            "now": self.now.isoformat() + "Z",
            "window_days": self.window_days,
            "min_group": MIN_GROUP,
            "runs": self.runs,
            "rules": [r.as_json() for r in self.rules],
            "total": self.total.as_json(),
            "daily": [d.as_json() for d in self.days],
        }


def build_report(
    campaign: str,
    rules: Sequence[str],
    firings: Iterable[Firing],
    events: Iterable[Event],
    now: datetime,
    window_days: int = 30,
    runs: int = 0,
    prices: Mapping[str, float] | None = None,
) -> Report:
    """The report of ``campaign`` as of ``now`` (naive UTC): ``rules`` in file order (rules
    the ledger knows and the file no longer has come after, by name), each with its variants
    when it has any, and the campaign's total. Firings planned after ``now`` are left out.
    ``prices``: per channel, the price of one SMS part (``[channels.NAME] price_per_part``)."""
    firings = [f for f in firings if f.planned_at <= now]
    index = EventIndex(events, campaign, now)
    window = timedelta(days=window_days)
    by_rule: dict[str, list[Firing]] = defaultdict(list)
    for firing in firings:
        by_rule[firing.rule].append(firing)
    names = [*rules, *sorted(set(by_rule) - set(rules))]
    funnels = []
    for rule in names:
        held = [f for f in by_rule[rule] if f.status == "held_out"]
        control = _window(held, index, window, now)
        funnel = measure(rule, by_rule[rule], index, now, window, control, prices)
        arms: dict[str, list[Firing]] = defaultdict(list)
        for firing in by_rule[rule]:
            if firing.variant is not None:
                arms[firing.variant].append(firing)
        variants = tuple(
            measure(arm, arms[arm], index, now, window, control, prices) for arm in sorted(arms)
        )
        funnels.append(replace(funnel, variants=variants, ab=ab_tests(variants)))
    total = measure("total", firings, index, now, window, prices=prices)
    days = daily(firings, index, now, window)
    return Report(campaign, now, window_days, runs, tuple(funnels), total, days, len(firings))


# ---- text ---------------------------------------------------------------------------------

_HEAD = ("sent", "failed", "held out", "delivered", "opened", "clicked", "reactivated", "control")


def render_text(report: dict) -> str:
    """The report (its JSON form) as a table: a row per rule, variant and the total, then the
    lifts; a share is of the row's ``sent``, a rate of its customers.

    >>> zero = {"customers": 0, "purchased": 0, "rate": None}
    >>> row = {"name": "hello", "sent": 0, "channels": {}, "failed": 0, "planned": 0,
    ...        "held_out": 0, "delivered": 0, "opened": 0, "clicked": 0,
    ...        "reactivation": zero, "control": zero, "sms_parts": 0,
    ...        "revenue": {"messaged": 0.0, "control": 0.0},
    ...        "lift": {"note": "too few to compare: 0 messaged, 0 held out (at least 30 each)"}}
    >>> print(render_text({"campaign": "c", "now": "2026-11-22T13:00:00Z", "runs": 0,
    ...     "window_days": 30, "rules": [dict(row, variants=[])], "total": row}))
    campaign c — report at 2026-11-22T13:00:00Z · 0 runs · reactivated: a purchase within 30 days
                sent  failed  held out  delivered     opened    clicked  reactivated     control
    rule hello     0       0         0          0          0          0    0/0     -   0/0     -
    total          0       0         0          0          0          0    0/0     -   0/0     -
    lift (reactivated minus control, in points)
      rule hello  too few to compare: 0 messaged, 0 held out (at least 30 each)
      total       too few to compare: 0 messaged, 0 held out (at least 30 each)
    """
    rows: list[tuple[str, dict]] = []
    for rule in report["rules"]:
        rows.append((f"rule {rule['name']}", rule))
        rows += [(f"  variant {v['name']}", v) for v in rule.get("variants", ())]
    rows.append(("total", report["total"]))
    width = max(len(label) for label, _ in rows)
    cells = [_cells(funnel) for _, funnel in rows]
    widths = _column_widths(cells)
    runs = report["runs"]
    lines = [
        f"campaign {report['campaign']} — report at {report['now']} · {runs} "
        f"run{'' if runs == 1 else 's'} · reactivated: a purchase within "
        f"{report['window_days']} days",
        " " * width + _row(_HEAD, widths),
    ]
    for (label, funnel), row in zip(rows, cells, strict=True):
        lines.append(f"{label:<{width}}{_row(row, widths)}".rstrip())
        if funnel["channels"] and not label.startswith(" "):
            shown = ", ".join(f"{c} {n}" for c, n in funnel["channels"].items())
            lines.append(f"{'':<{width}}  channels: {shown}")
    lines.append("lift (reactivated minus control, in points)")
    lines += [f"  {label.strip():<{width}}  {_lift(f['lift'])}" for label, f in rows]
    lines += _ab_lines(report["rules"])
    lines += _money_lines(report["total"])
    return "\n".join(lines)


def _ab_lines(rules: Sequence[dict]) -> list[str]:
    """The A/B section: each pair of variants of each split rule, per metric, aligned."""
    rows = [
        (f"rule {rule['name']}", f"{c['a']} vs {c['b']}", _METRIC[c["metric"]], _versus(c))
        for rule in rules
        for c in rule.get("ab", ())
    ]
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return ["A/B (first variant minus second, in points)"] + [
        "  "
        + "  ".join(f"{cell:<{w}}" for cell, w in zip(row[:3], widths, strict=True))
        + f"  {row[3]}"
        for row in rows
    ]


_METRIC = {"clicked": "clicked", "reactivation": "reactivated"}


def _versus(found: dict) -> str:
    """``A 23.1% vs B 32.8%: -9.7 pts (95% CI -17.2 to -2.1, p = 0.0123)`` or the note."""
    if found.get("points") is None:
        return str(found["note"])
    a, b = found["a_rate"]["rate"], found["b_rate"]["rate"]
    return (
        f"{found['a']} {100 * a:.1f}% vs {found['b']} {100 * b:.1f}%: "
        f"{found['points']:+.1f} pts ({_interval(found['interval'])}, "
        f"{_p(found['p_value'])})"
    )


def _interval(bounds: Sequence[float]) -> str:
    return f"95% CI {bounds[0]:+.1f} to {bounds[1]:+.1f}"


def _money_lines(total: dict) -> list[str]:
    """Revenue of the purchases that reactivate, and what the SMS parts cost."""
    revenue = total["revenue"]
    lines = []
    if revenue["messaged"] or revenue["control"]:
        shown = [f"messaged {_money(revenue['messaged'])}"]
        if revenue["per_messaged"] is not None:
            shown[0] += f" ({_money(revenue['per_messaged'])} per customer)"
        if revenue["per_control"] is not None:
            shown.append(
                f"control {_money(revenue['control'])} "
                f"({_money(revenue['per_control'])} per customer)"
            )
        if revenue["incremental"] is not None:
            shown.append(f"incremental {_money(revenue['incremental'])}")
        lines.append("revenue in the window: " + " · ".join(shown))
    if total["sms_parts"]:
        cost = total["cost"]
        priced = "no price_per_part set" if cost is None else f"cost {_money(cost)}"
        lines.append(f"sms: {total['sms_parts']:,} parts sent · {priced}")
    return lines


def _money(amount: float) -> str:
    return f"{amount:,.2f}"


# The narrowest each column is, so tables of small counts line up from report to report; a
# column widens to keep two spaces before its longest cell or heading.
_WIDTHS = (6, 8, 10, 11, 11, 11, 13, 12)
_GAP = 2


def _column_widths(rows: list[list[str]]) -> list[int]:
    """Each column's width: its minimum, or its longest cell or heading and the gap.

    >>> _column_widths([["1234567", "0", "0", "0", "0", "0", "1/2 50.0%", "123456/654321 10.0%"]])
    [9, 8, 10, 11, 11, 11, 13, 21]
    """
    return [
        max(minimum, *(len(text) + _GAP for text in (head, *(row[i] for row in rows))))
        for i, (head, minimum) in enumerate(zip(_HEAD, _WIDTHS, strict=True))
    ]


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))


def _cells(funnel: dict) -> list[str]:
    sent = funnel["sent"]
    cells = [str(sent), str(funnel["failed"]), str(funnel["held_out"])]
    for key in ("delivered", "opened", "clicked"):
        count = funnel[key]
        cells.append(f"{count} {100 * count / sent:3.0f}%" if sent else str(count))
    for key in ("reactivation", "control"):
        rate = funnel[key]
        shown = "-" if rate["rate"] is None else f"{100 * rate['rate']:.1f}%"
        cells.append(f"{rate['purchased']}/{rate['customers']} {shown:>5}")
    return cells


def _lift(found: dict) -> str:
    """``+12.5 pts (95% CI +3.1 to +21.9, ×1.8, p = 0.0312)`` or the note."""
    if found.get("points") is None:
        return str(found["note"])
    ratio = "" if found["ratio"] is None else f"×{found['ratio']:g}, "
    interval = f"{_interval(found['interval'])}, " if found.get("interval") else ""
    return f"{found['points']:+.1f} pts ({interval}{ratio}{_p(found['p_value'])})"


def _p(value: float) -> str:
    """``p = 0.0312``; ``p < 0.0001`` below what four decimals show."""
    return "p < 0.0001" if value < 0.0001 else f"p = {value:.4f}"
