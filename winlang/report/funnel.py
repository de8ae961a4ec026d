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
- ``lift``: the reactivation rate minus the control's, in percentage points, their ratio and
  a two-sided two-proportion z-test p-value; ``None`` with a ``note`` when either group has
  fewer than ``MIN_GROUP`` customers.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MIN_GROUP = 30  # fewer customers than this on either side: no lift is printed
FUNNEL = (("delivered", "delivered"), ("opened", "open"), ("clicked", "click"))
FUNNEL_TYPES = tuple(event for _, event in FUNNEL)
PURCHASE = "purchase"


@dataclass(frozen=True, kw_only=True)
class Firing:
    """One row of the ledger's ``messages`` table (times naive UTC)."""

    rule: str
    customer_id: str
    status: str  # planned sent failed held_out done
    planned_at: datetime
    sent_at: datetime | None = None
    channel: str | None = None
    template: str | None = None
    variant: str | None = None


@dataclass(frozen=True, kw_only=True)
class Event:
    """One event of the store or of ``winlang ingest`` (times naive UTC)."""

    customer_id: str
    type: str
    occurred_at: datetime
    campaign: str | None = None
    template: str | None = None


class EventIndex:
    """The events a report needs, indexed: the last funnel event of this campaign per
    (customer, template, type), and each customer's purchase times in order. Events after
    ``now`` are left out."""

    def __init__(self, events: Iterable[Event], campaign: str, now: datetime) -> None:
        self._last: dict[tuple[str, str, str], datetime] = {}
        purchases: dict[str, list[datetime]] = defaultdict(list)
        for event in events:
            if event.occurred_at > now:
                continue
            if event.type == PURCHASE:
                purchases[event.customer_id].append(event.occurred_at)
            elif event.type in FUNNEL_TYPES and event.campaign == campaign and event.template:
                key = (event.customer_id, event.template, event.type)
                if key not in self._last or self._last[key] < event.occurred_at:
                    self._last[key] = event.occurred_at
        self._purchases = {customer: sorted(times) for customer, times in purchases.items()}

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


@dataclass(frozen=True)
class Rate:
    """``purchased`` of ``customers`` reactivated."""

    customers: int
    purchased: int

    @property
    def rate(self) -> float | None:
        return self.purchased / self.customers if self.customers else None

    def as_json(self) -> dict[str, object]:
        rate = self.rate
        return {
            "customers": self.customers,
            "purchased": self.purchased,
            "rate": None if rate is None else round(rate, 4),
        }


@dataclass(frozen=True)
class Lift:
    """Messaged against held out: percentage points, ratio, p-value; or why not (``note``)."""

    points: float | None = None
    ratio: float | None = None
    p_value: float | None = None
    note: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "points": self.points,
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
    pooled = (a.purchased + b.purchased) / (a.customers + b.customers)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a.customers + 1 / b.customers))
    if spread == 0:
        return 1.0
    z = (a.purchased / a.customers - b.purchased / b.customers) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def lift(messaged: Rate, control: Rate, minimum: int = MIN_GROUP) -> Lift:
    """The lift of ``messaged`` over ``control``, or a note when a group is too small.

    >>> lift(Rate(100, 30), Rate(100, 15))
    Lift(points=15.0, ratio=2.0, p_value=0.0111, note=None)
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
        ratio=round(ours / theirs, 3) if theirs else None,
        p_value=round(p_value(messaged, control), 4),
    )


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
    variants: tuple[Funnel, ...] | None = None  # rules only; empty for a rule without split

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
        }
        if self.variants is not None:
            found["variants"] = [v.as_json() for v in self.variants]
        return found


def _customers(firings: Iterable[Firing], status: str) -> set[str]:
    return {f.customer_id for f in firings if f.status == status}


def _rate(firings: Sequence[Firing], index: EventIndex, window: timedelta, now: datetime) -> Rate:
    """Customers of ``firings`` and those who purchased within ``window`` of one of them
    (from ``sent_at``, else ``planned_at``), until ``now`` at the latest."""
    customers, purchased = set(), set()
    for firing in firings:
        customers.add(firing.customer_id)
        start = firing.sent_at or firing.planned_at
        if index.purchased(firing.customer_id, start, min(start + window, now)):
            purchased.add(firing.customer_id)
    return Rate(len(customers), len(purchased))


def measure(
    name: str,
    firings: Sequence[Firing],
    index: EventIndex,
    now: datetime,
    window: timedelta,
    control: Rate | None = None,
) -> Funnel:
    """The funnel of ``firings``; ``control`` (default: their own held-out firings) is what
    their reactivation is compared with."""
    sent = [f for f in firings if f.status == "sent" and f.sent_at is not None]
    channels: dict[str, set[str]] = defaultdict(set)
    for firing in sent:
        channels[firing.channel or "?"].add(firing.customer_id)
    reached = {
        key: len({f.customer_id for f in sent if index.reacted(f, event)}) for key, event in FUNNEL
    }
    reactivation = _rate(sent, index, window, now)
    if control is None:
        control = _rate([f for f in firings if f.status == "held_out"], index, window, now)
    return Funnel(
        name=name,
        sent=len({f.customer_id for f in sent}),
        channels={c: len(ids) for c, ids in sorted(channels.items())},
        failed=len(_customers(firings, "failed")),
        planned=len(_customers(firings, "planned")),
        held_out=len(_customers(firings, "held_out")),
        reached=reached,
        reactivation=reactivation,
        control=control,
        lift=lift(reactivation, control),
    )


@dataclass(frozen=True)
class Report:
    campaign: str
    now: datetime  # naive UTC
    window_days: int
    runs: int
    rules: tuple[Funnel, ...]
    total: Funnel

    def as_json(self) -> dict[str, object]:
        return {
            "campaign": self.campaign,
            "now": self.now.isoformat() + "Z",
            "window_days": self.window_days,
            "min_group": MIN_GROUP,
            "runs": self.runs,
            "rules": [r.as_json() for r in self.rules],
            "total": self.total.as_json(),
        }


def build_report(
    campaign: str,
    rules: Sequence[str],
    firings: Iterable[Firing],
    events: Iterable[Event],
    now: datetime,
    window_days: int = 30,
    runs: int = 0,
) -> Report:
    """The report of ``campaign`` as of ``now`` (naive UTC): ``rules`` in file order (rules
    the ledger knows and the file no longer has come after, by name), each with its variants
    when it has any, and the campaign's total. Firings planned after ``now`` are left out."""
    firings = [f for f in firings if f.planned_at <= now]
    index = EventIndex(events, campaign, now)
    window = timedelta(days=window_days)
    by_rule: dict[str, list[Firing]] = defaultdict(list)
    for firing in firings:
        by_rule[firing.rule].append(firing)
    names = [*rules, *sorted(set(by_rule) - set(rules))]
    funnels = []
    for rule in names:
        funnel = measure(rule, by_rule[rule], index, now, window)
        arms: dict[str, list[Firing]] = defaultdict(list)
        for firing in by_rule[rule]:
            if firing.variant is not None:
                arms[firing.variant].append(firing)
        variants = tuple(
            measure(arm, arms[arm], index, now, window, funnel.control) for arm in sorted(arms)
        )
        funnels.append(replace(funnel, variants=variants))
    total = measure("total", firings, index, now, window)
    return Report(campaign, now, window_days, runs, tuple(funnels), total)


# ---- text ---------------------------------------------------------------------------------

_HEAD = ("sent", "failed", "held out", "delivered", "opened", "clicked", "reactivated", "control")


def render_text(report: dict) -> str:
    """The report (its JSON form) as a table: a row per rule, variant and the total, then the
    lifts; a share is of the row's ``sent``, a rate of its customers.

    >>> zero = {"customers": 0, "purchased": 0, "rate": None}
    >>> row = {"name": "hello", "sent": 0, "channels": {}, "failed": 0, "planned": 0,
    ...        "held_out": 0, "delivered": 0, "opened": 0, "clicked": 0,
    ...        "reactivation": zero, "control": zero,
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
    return "\n".join(lines)


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
    """``+12.5 pts (×1.8, p = 0.0312)`` or the note."""
    if found.get("points") is None:
        return str(found["note"])
    ratio = "" if found["ratio"] is None else f"×{found['ratio']:g}, "
    return f"{found['points']:+.1f} pts ({ratio}p = {found['p_value']:.4f})"
