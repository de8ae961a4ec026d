"""``winlang explain``: why a customer was or wasn't picked, condition by condition.

The campaign's unoptimized plan is evaluated for one customer with the NumPy backend; each
condition as written in the file is paired with its IR node, so its value (true, false or
unknown) and the field and event values beneath it can be shown. The winner is decided with
the same optimized plan and backend code as ``winlang run``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from . import ast as A
from .backends.base import RunContext
from .check import CheckedCampaign
from .contracts.source import Source
from .contracts.state import StateView
from .plan import ir, lower_campaign, optimize
from .policies.suppressions import Suppression, customer_suppressions
from .sources.memory import MemorySource


class CustomerNotFound(Exception):
    """The customer is not in the store: says which table and id column were searched.

    >>> print(CustomerNotFound(42, "customers", "id").where("sqlite:///shop.db"))
    no customer with id 42 in the `customers` table (column `id`) of the store sqlite:///shop.db
    >>> print(CustomerNotFound("abc", "clients", "client_id", ids_are_numbers=True))
    `abc` is not a customer id: the ids in the `clients` table (column `client_id`) are numbers
    """

    def __init__(
        self, customer: object, table: str, column: str, ids_are_numbers: bool = False
    ) -> None:
        self.customer, self.table, self.column = customer, table, column
        self.ids_are_numbers = ids_are_numbers
        super().__init__(self.where(None))

    def where(self, store: str | None) -> str:
        """The message, naming the store (its URL without password) when given."""
        searched = f"the `{self.table}` table (column `{self.column}`)"
        if store is not None:
            searched += f" of the store {store}"
        if self.ids_are_numbers:
            return f"`{self.customer}` is not a customer id: the ids in {searched} are numbers"
        return f"no customer with id {self.customer} in {searched}"


@dataclass
class Condition:
    """One condition as written, its value for the customer, and the facts behind it."""

    text: str
    value: bool | None
    kind: str = ""  # "segment", "let" or "" for a plain condition
    facts: dict[str, object] = field(default_factory=dict)
    children: list[Condition] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "value": self.value,
            "kind": self.kind or None,
            "facts": self.facts,
            "children": [c.as_json() for c in self.children],
        }


@dataclass
class RuleExplanation:
    name: str
    value: bool | None
    already_fired: bool
    condition: Condition


@dataclass
class Explanation:
    customer: object
    campaign: str
    now: datetime
    audience: Condition | None
    in_audience: bool
    rules: list[RuleExplanation]
    chosen: str | None
    reason: str
    suppressions: list[Suppression] = field(default_factory=list)
    events_table: str = "events"  # the store's, named where a suppression comes from it

    def as_json(self) -> dict[str, object]:
        return {
            "customer": self.customer,
            "campaign": self.campaign,
            "now": self.now.isoformat().replace("+00:00", "Z"),
            "in_audience": self.in_audience,
            "audience": self.audience.as_json() if self.audience else None,
            "rules": [
                {
                    "name": r.name,
                    "value": r.value,
                    "already_fired": r.already_fired,
                    "condition": r.condition.as_json(),
                }
                for r in self.rules
            ],
            "chosen": self.chosen,
            "reason": self.reason,
            "suppressions": [s.as_json() for s in self.suppressions],
        }


# ---- one customer's data ---------------------------------------------------------------------


def one_customer(source: Source, customer_id: object, batch_size: int = 200_000) -> MemorySource:
    """The customer's row and events as an in-memory source; raises CustomerNotFound."""
    layout = source.layout
    rows = []
    for batch in source.customer_batches(None, batch_size):
        ids = batch.column(0)
        found = batch.filter(pc.equal(ids, _as_id(customer_id, ids.type, layout)))
        if found.num_rows:
            rows.append(found)
            break
    if not rows:
        raise CustomerNotFound(customer_id, layout.customers, layout.id)
    customers = pa.Table.from_batches(rows)
    events = []
    far_future = datetime(9999, 1, 1)
    for batch in source.event_batches(None, None, None, far_future):
        keep = batch.filter(
            pc.equal(
                batch.column(layout.customer_id),
                customers.column(0)[0].cast(batch.column(layout.customer_id).type),
            )
        )
        if keep.num_rows:
            events.append(keep)
    event_table = pa.Table.from_batches(events) if events else _empty_events(source)
    return MemorySource(customers, event_table, layout, name=source.name)


def _as_id(customer_id: object, id_type: pa.DataType, layout) -> pa.Scalar:
    """The id asked for (text from the command line, or a number) as the store types its ids:
    "007" is the text "007" in a text column (not 7), and 7 in a number column."""
    if not pa.types.is_integer(id_type):
        return pa.scalar(str(customer_id)).cast(id_type)
    if isinstance(customer_id, int) or re.fullmatch(r"-?[0-9]{1,18}", str(customer_id)):
        return pa.scalar(int(str(customer_id)), id_type)
    raise CustomerNotFound(customer_id, layout.customers, layout.id, ids_are_numbers=True)


def _empty_events(source: Source) -> pa.Table:
    for batch in source.event_batches(None, None, None, datetime(9999, 1, 1)):
        return pa.Table.from_batches([batch]).slice(0, 0)
    layout = source.layout
    return pa.table(
        {
            layout.customer_id: pa.array([], pa.int64()),
            layout.type: pa.array([], pa.string()),
            layout.occurred_at: pa.array([], pa.timestamp("us")),
        }
    )


# ---- explaining ---------------------------------------------------------------------------


class _Explainer:
    def __init__(
        self,
        checked: CheckedCampaign,
        text: str,
        values: dict[int, object],
        lowered: dict[int, ir.Node],
    ) -> None:
        self.checked = checked
        self.text = text
        self.values = values
        self.lowered = lowered

    def value(self, expr: A.Expr) -> object:
        return self.values.get(id(self.lowered[id(expr)]))

    def condition(self, expr: A.Expr, kind: str = "") -> Condition:
        node = Condition(self.source(expr), self.value(expr), kind)
        match expr:
            case A.And() | A.Or():
                node.children = [self.condition(e) for e in _chain(expr, type(expr))]
            case A.Not(operand=inner):
                node.children = [self.condition(inner)]
            case A.Name(name=name) if self.checked.symbols[name].kind in ("segment", "let"):
                symbol = self.checked.symbols[name]
                node.kind = symbol.kind
                node.children = [self.condition(symbol.expr)]
            case _:
                node.facts = self.facts(self.lowered[id(expr)])
        return node

    def source(self, expr: A.Expr) -> str:
        return " ".join(self.text[expr.span.start : expr.span.end].split())

    def facts(self, root: ir.Node) -> dict[str, object]:
        """The field values, times and event aggregates a condition was decided on."""
        found: dict[str, object] = {}
        for node in ir.walk(root):
            label = _label(node)
            if label:
                value = self.values.get(id(node))
                if isinstance(node, ir.EventAggregate) and node.function == "exists":
                    value = "some" if value else "none"
                found[label] = value
        return found


def _chain(expr: A.Expr, kind: type) -> Iterator[A.Expr]:
    """The operands of ``a and b and c`` as one flat list."""
    for side in (expr.left, expr.right):
        if isinstance(side, kind):
            yield from _chain(side, kind)
        else:
            yield side


def _label(node: ir.Node) -> str | None:
    match node:
        case ir.Column(name=name):
            return name
        case ir.DaysSince(operand=ir.Column(name=name)):
            return f"days_since({name})"
        case ir.EventAggregate(function=function, filter=f, prop=prop):
            scope = [
                f"template {f.template}" if f.template else "",
                f"channel {f.channel}" if f.channel else "",
                f"within {_days(f.window)}" if f.window else "",
            ]
            where = ", ".join(p for p in scope if p)
            what = {
                "exists": "",
                "count": "count of ",
                "sum": f"sum of {prop} of ",
                "last": "last ",
                "last_value": f"{prop} of last ",
            }[function]
            return f"{what}{f.event_type} events" + (f" ({where})" if where else "")
        case ir.StateFlag(state=state, key=key, older_than=older_than):
            older = f" more than {_days(older_than)} ago" if older_than else ""
            return {
                "received": f"received {key or 'anything'}{older}",
                "in_list": f"in list {key}",
                "fired": None,
            }[state]
    return None


def _days(seconds: float) -> str:
    days = seconds / 86_400
    return f"{days:g} days" if days >= 1 else f"{seconds / 3600:g} hours"


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def explain(
    checked: CheckedCampaign,
    text: str,
    source: Source,
    customer_id: object,
    now: datetime,
    state: StateView,
    backend,
    saved_state=None,
) -> Explanation:
    """Why ``customer_id`` gets which rule at ``now``, and the suppressions the contact
    policies will hold against them (from the store's events, the ingested ones and
    ``saved_state``, a :class:`winlang.state.State`)."""
    single = one_customer(source, customer_id)
    plan, lowered = lower_campaign(checked)
    nodes = list(ir.walk(*plan.roots()))
    context = RunContext(now=now, state=state)
    _ids, columns = backend.values(nodes, single, context, plan)
    values = {id(node): column[0].as_py() for node, column in zip(nodes, columns, strict=True)}
    decisions = backend.decide(optimize(plan), single, context)
    explainer = _Explainer(checked, text, values, lowered)

    audience_setting = checked.campaign.setting("audience")
    audience = explainer.condition(audience_setting.value) if audience_setting else None
    in_audience = decisions.audience == 1
    rules = []
    for rule_plan, rule in zip(plan.rules, checked.campaign.rules, strict=True):
        rules.append(
            RuleExplanation(
                rule.name.name,
                explainer.value(rule.condition),
                values.get(id(rule_plan.already_fired)) is True,
                explainer.condition(rule.condition),
            )
        )
    chosen = plan.rules[int(decisions.rules[0])].name if len(decisions.ids) else None
    return Explanation(
        customer_id,
        plan.campaign,
        now,
        audience,
        in_audience,
        rules,
        chosen,
        _reason(in_audience, rules, chosen),
        customer_suppressions(source, saved_state, customer_id, now),
        source.layout.events,
    )


def _reason(in_audience: bool, rules: list[RuleExplanation], chosen: str | None) -> str:
    if not in_audience:
        return "not in the audience, so no rule applies"
    if chosen is not None:
        skipped = [
            r.name
            for r in rules[: [r.name for r in rules].index(chosen)]
            if r.value is True and r.already_fired
        ]
        before = f" (rules {', '.join(skipped)} matched but already fired)" if skipped else ""
        return f"rule {chosen} is the first rule that matches{before}"
    fired = [r.name for r in rules if r.value is True and r.already_fired]
    if fired:
        return f"matching rules already fired: {', '.join(fired)}"
    unknown = [r.name for r in rules if r.value is None]
    if unknown:
        return (
            "no rule matches; unknown (missing data) for: "
            + ", ".join(unknown)
            + " — an unknown condition never fires"
        )
    return "no rule matches"


def render_text(explanation: Explanation) -> str:
    lines = [
        f"customer {explanation.customer} — campaign {explanation.campaign} at "
        f"{explanation.now.isoformat().replace('+00:00', 'Z')}"
    ]
    if explanation.audience is not None:
        lines.append(f"audience: {_word(explanation.audience.value)}")
        lines += _tree(explanation.audience, 1)
    else:
        lines.append("audience: everyone (no audience filter)")
    for rule in explanation.rules:
        mark = "  ← chosen" if rule.name == explanation.chosen else ""
        fired = " (already fired)" if rule.already_fired else ""
        lines.append(f"rule {rule.name}: {_word(rule.value)}{fired}{mark}")
        lines += _tree(rule.condition, 1)
    lines.append(f"result: {explanation.reason}")
    if explanation.suppressions:
        lines.append("suppressed (the contact policies skip these channels):")
        lines += [f"  {s.describe(explanation.events_table)}" for s in explanation.suppressions]
    return "\n".join(lines)


def _word(value: object) -> str:
    return {True: "true", False: "false", None: "unknown"}.get(value, str(value))


def _tree(condition: Condition, depth: int) -> list[str]:
    pad = "  " * depth
    kind = f" ({condition.kind})" if condition.kind else ""
    facts = ", ".join(f"{k} = {_fact(v)}" for k, v in condition.facts.items())
    lines = [
        f"{pad}{condition.text}{kind} → {_word(condition.value)}"
        + (f"    [{facts}]" if facts else "")
    ]
    for child in condition.children:
        lines += _tree(child, depth + 1)
    return lines


def _fact(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, datetime | float):
        return str(_plain(value))
    if isinstance(value, bool):
        return _word(value)
    if isinstance(value, str) and value not in ("some", "none"):
        return f'"{value}"'
    return str(value)
