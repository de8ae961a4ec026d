"""Lower a checked campaign into the IR.

Sugar disappears here: ``between`` becomes two comparisons, ``within`` a window against the
run's clock, verbs become event aggregates (``more than D ago``: two counts compared),
segments and lets are lowered once and shared, derived fields are inlined. ``lowered`` maps
every AST expression (by ``id``) to its IR node, so ``winlang explain`` can show the value of
each condition as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import ast as A
from ..check import CheckedCampaign
from ..check.expressions import Symbol
from ..times import parse_instant
from ..types import Type
from . import ir


def _kind(t: Type) -> ir.Kind:
    if t.is_time:
        return "timestamp"
    return t.kind if t.kind in ("number", "text", "bool") else "null"


@dataclass
class Lowering:
    checked: CheckedCampaign
    lowered: dict[int, ir.Node] = field(default_factory=dict)
    _names: dict[str, ir.Node] = field(default_factory=dict)

    @property
    def campaign_name(self) -> str:
        return self.checked.campaign.name or ""

    def plan(self) -> ir.Plan:
        campaign = self.checked.campaign
        audience_setting = campaign.setting("audience")
        audience = self.lower(audience_setting.value) if audience_setting else ir.TRUE
        rules = tuple(self._rule(rule) for rule in campaign.rules)
        return ir.Plan(campaign=self.campaign_name, audience=audience, rules=rules)

    def _rule(self, rule: A.Rule) -> ir.RulePlan:
        repeat = rule.repeat.seconds if rule.repeat else None
        return ir.RulePlan(
            name=rule.name.name,
            condition=self.lower(rule.condition),
            already_fired=ir.StateFlag("fired", rule.name.name, repeat),
        )

    # ---- expressions ----------------------------------------------------------------

    def lower(self, expr: A.Expr) -> ir.Node:
        node = self._lower(expr)
        self.lowered[id(expr)] = node
        return node

    def _lower(self, expr: A.Expr) -> ir.Node:
        match expr:
            case A.Number(value=v):
                return ir.Literal(v, "number")
            case A.Text(value=v):
                return ir.Literal(v, "text")
            case A.Bool(value=v):
                return ir.Literal(v, "bool")
            case A.Null():
                return ir.Literal(None, "null")
            case A.Name(name=name):
                return self._name(name)
            case A.Call(function=function, args=args):
                lowered = tuple(self.lower(a) for a in args)
                if function.name == "days_since":
                    return ir.DaysSince(lowered[0])
                return ir.Function(function.name, lowered)
            case A.Negate(operand=o):
                return ir.Negate(self.lower(o))
            case A.Arith(op=op, left=left, right=right):
                return ir.Arith(op, self.lower(left), self.lower(right))
            case A.Compare(op=op, left=left, right=right):
                return ir.Compare(op, self._operand(left, right), self._operand(right, left))
            case A.And(left=left, right=right):
                return ir.And((self.lower(left), self.lower(right)))
            case A.Or(left=left, right=right):
                return ir.Or((self.lower(left), self.lower(right)))
            case A.Not(operand=o):
                return ir.Not(self.lower(o))
            case A.Between(operand=o, low=low, high=high, negated=negated):
                value = self.lower(o)
                both = ir.And(
                    (
                        ir.Compare(">=", value, self._operand(low, o)),
                        ir.Compare("<=", value, self._operand(high, o)),
                    )
                )
                return ir.Not(both) if negated else both
            case A.In(operand=o, items=items, negated=negated):
                found = self._in(o, items)
                return ir.Not(found) if negated else found
            case A.IsNull(operand=o, negated=negated):
                found = ir.IsNull(self.lower(o))
                return ir.Not(found) if negated else found
            case A.IsToday(operand=o):
                return ir.IsAnniversary(self.lower(o))
            case A.TextTest(op=op, operand=o, pattern=p):
                return ir.TextMatch(op, self.lower(o), self.lower(p))
            case A.Within(operand=o, window=window):
                value = self.lower(o)
                return ir.And(
                    (
                        ir.Compare(">=", value, ir.NowMinus(window.seconds)),
                        ir.Compare("<=", value, ir.NowMinus(0.0)),
                    )
                )
            case A.Ago(operand=o, direction=direction, window=window):
                op = "<" if direction == "before" else ">"
                return ir.Compare(op, self.lower(o), ir.NowMinus(window.seconds))
            case A.EventPredicate():
                return self._event_predicate(expr)
            case A.Aggregate():
                return self._aggregate(expr)
            case A.InList(list_name=name):
                return ir.StateFlag("in_list", name)
        raise AssertionError(f"cannot lower {type(expr).__name__}")

    def name(self, name: str) -> ir.Node:
        """The IR of a field, derived field, segment or ``let`` by name."""
        return self._name(name)

    def _name(self, name: str) -> ir.Node:
        if name in self._names:
            return self._names[name]
        symbol: Symbol = self.checked.symbols[name]
        if symbol.kind == "field":
            column_type = symbol.type
            node: ir.Node = ir.Column(name, _kind(column_type), column_type.kind)
        else:
            node = self.lower(symbol.expr)
        self._names[name] = node
        return node

    def _operand(self, expr: A.Expr, other: A.Expr) -> ir.Node:
        """An ISO text literal compared with a time is a timestamp."""
        if isinstance(expr, A.Text) and self.checked.type_of(other).is_time:
            return ir.Literal(parse_instant(expr.value), "timestamp")
        return self.lower(expr)

    def _in(self, operand: A.Expr, items: tuple[A.Expr, ...] | A.Name) -> ir.Node:
        """A set test for literal items; an OR of equalities (same null rules) otherwise."""
        if isinstance(items, A.Name):
            value = self.checked.symbols[items.name].expr
            items = value.items if isinstance(value, A.ListLit) else (value,)
        value = self.lower(operand)
        nodes = tuple(self._operand(item, operand) for item in items)
        if all(isinstance(n, ir.Literal) for n in nodes):
            return ir.InSet(value, nodes)
        return ir.Or(tuple(ir.Compare("=", value, n) for n in nodes))

    def _filter(
        self, event_type: str, target: A.Ident | None, window: A.Duration | None
    ) -> tuple[ir.EventFilter, bool]:
        """The event filter; the bool says whether the target named a channel."""
        seconds = window.seconds if window else None
        if target is None or target.name == "any":
            return ir.EventFilter(event_type, window=seconds), False
        if target.name in {t.name.name for t in self.checked.campaign.templates}:
            return ir.EventFilter(
                event_type, campaign=self.campaign_name, template=target.name, window=seconds
            ), False
        return ir.EventFilter(event_type, channel=target.name, window=seconds), True

    def _event_predicate(self, expr: A.EventPredicate) -> ir.Node:
        found, by_channel = self._filter(expr.event_type, expr.target, expr.window)
        older_than = expr.older_than.seconds if expr.older_than else None
        if expr.verb == "received":
            key = expr.target.name if expr.target and expr.target.name != "any" else ""
            return ir.StateFlag("received", key, found.window, by_channel, older_than)
        if older_than is not None:
            return _older_than(found, older_than)
        return ir.EventAggregate("exists", found)

    def _aggregate(self, expr: A.Aggregate) -> ir.Node:
        selector = expr.selector
        found, _ = self._filter(selector.event_type.name, selector.target, selector.window)
        prop = expr.prop or selector.prop
        prop_kind = _kind(self.checked.type_of(expr)) if prop else "number"
        if expr.function == "last":
            if prop is None:
                return ir.EventAggregate("last", found)
            return ir.EventAggregate("last_value", found, prop.name, prop_kind)
        return ir.EventAggregate(expr.function, found, prop.name if prop else None)


def _older_than(found: ir.EventFilter, seconds: float) -> ir.Node:
    """``opened x more than D ago``: one such event with ``time < now - D``.

    Events up to now split into those within D (``now - D <= time <= now``) and those
    before ``now - D``, so there is an older one exactly where all of them outnumber those
    within D; both counts are never null, so neither is the answer.
    """
    within = replace(found, window=seconds)
    return ir.Compare(">", ir.EventAggregate("count", found), ir.EventAggregate("count", within))


def lower_campaign(checked: CheckedCampaign) -> tuple[ir.Plan, dict[int, ir.Node]]:
    """The unoptimized plan, and the IR node of each AST expression (keyed by ``id``)."""
    lowering = Lowering(checked)
    return lowering.plan(), lowering.lowered
