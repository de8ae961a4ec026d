"""Optimizer passes: each a small pure function from plan to plan, applied in ``PASSES`` order.

Any pass can be switched off (``optimize(plan, skip={"fold_constants"})``); the differential
tests check that optimized and unoptimized plans give the same decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from . import ir

Rewrite = Callable[[ir.Node], ir.Node]


def rewrite_plan(plan: ir.Plan, rewrite: Rewrite) -> ir.Plan:
    """Apply a bottom-up node rewrite to every root of the plan, sharing results."""
    done: dict[int, ir.Node] = {}

    def visit(root: ir.Node) -> ir.Node:
        for node in ir.walk(root):
            if id(node) in done:
                continue
            rebuilt = _with_inputs(node, [done[id(child)] for child in node.inputs])
            done[id(node)] = rewrite(rebuilt)
        return done[id(root)]

    rules = tuple(
        replace(
            rule,
            condition=visit(rule.condition),
            already_fired=visit(rule.already_fired),
        )
        for rule in plan.rules
    )
    return replace(plan, audience=visit(plan.audience), rules=rules)


def _with_inputs(node: ir.Node, inputs: list[ir.Node]) -> ir.Node:
    """``node`` with its inputs replaced, in the order of ``node.inputs``."""
    if list(node.inputs) == inputs and all(
        a is b for a, b in zip(node.inputs, inputs, strict=True)
    ):
        return node
    match node:
        case ir.Arith() | ir.Compare():
            return replace(node, left=inputs[0], right=inputs[1])
        case ir.Negate() | ir.Not() | ir.IsNull() | ir.DaysSince() | ir.IsAnniversary():
            return replace(node, operand=inputs[0])
        case ir.And() | ir.Or():
            return replace(node, operands=tuple(inputs))
        case ir.InSet():
            return replace(node, operand=inputs[0], values=tuple(inputs[1:]))
        case ir.TextMatch():
            return replace(node, operand=inputs[0], pattern=inputs[1])
        case ir.Function():
            return replace(node, args=tuple(inputs))
    return node


# ---- constant folding --------------------------------------------------------------------


def _is(node: ir.Node, value: object) -> bool:
    return isinstance(node, ir.Literal) and node.value is value


def fold_node(node: ir.Node) -> ir.Node:
    """Fold one node whose inputs are already folded.

    >>> fold_node(ir.And((ir.TRUE, ir.Column("x", "bool"))))
    Column(name='x', column_kind='bool', source_kind='')
    >>> fold_node(ir.Arith("/", ir.Literal(1, "number"), ir.Literal(0, "number")))
    Literal(value=None, literal_kind='number')
    """
    match node:
        case ir.And(operands=ops) | ir.Or(operands=ops):
            absorbing, neutral = (False, True) if isinstance(node, ir.And) else (True, False)
            flat: list[ir.Node] = []
            for op in ops:  # flatten nested ANDs/ORs so predicates can be reordered freely
                flat.extend(op.operands if type(op) is type(node) else (op,))
            if any(_is(op, absorbing) for op in flat):
                return ir.Literal(absorbing, "bool")
            kept = tuple(dict.fromkeys(op for op in flat if not _is(op, neutral)))
            if not kept:
                return ir.Literal(neutral, "bool")
            return kept[0] if len(kept) == 1 else type(node)(kept)
        case ir.Not(operand=ir.Literal(value=v)):
            return ir.Literal(None if v is None else not v, "bool")
        case ir.Not(operand=ir.Not(operand=inner)) if inner.kind == "bool":
            return inner  # not not x == x in Kleene logic, null included
        case ir.Negate(operand=ir.Literal(value=v)) if v is None or isinstance(v, int | float):
            return ir.Literal(None if v is None else -v, "number")
        case ir.Arith(op=op, left=ir.Literal(value=a), right=ir.Literal(value=b)):
            return ir.Literal(_arith(op, a, b), "number")
        case ir.Compare(op=op, left=ir.Literal(value=a), right=ir.Literal(value=b)):
            if a is None or b is None:
                return ir.Literal(None, "bool")
            return ir.Literal(_compare(op, a, b), "bool")
        case ir.IsNull(operand=ir.Literal(value=v)):
            return ir.Literal(v is None, "bool")
    return node


def _arith(op: str, a, b):
    if a is None or b is None or (op == "/" and b == 0):
        return None
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if op == "/" else None}[op]


def _compare(op: str, a, b) -> bool:
    return bool(ir.COMPARISONS[op](a, b))


def fold_constants(plan: ir.Plan) -> ir.Plan:
    return rewrite_plan(plan, fold_node)


# ---- common subexpressions ---------------------------------------------------------------


def share_subexpressions(plan: ir.Plan) -> ir.Plan:
    """Make equal subexpressions one object across audience, segments and rules, so a backend
    computes each once per batch (it caches by identity)."""
    canonical: dict[ir.Node, ir.Node] = {}
    return rewrite_plan(plan, lambda node: canonical.setdefault(node, node))


# ---- predicate ordering -------------------------------------------------------------------

_COST = {
    ir.Literal: 0,
    ir.Column: 1,
    ir.NowMinus: 0,
    ir.IsNull: 1,
    ir.Compare: 2,
    ir.Arith: 2,
    ir.Negate: 1,
    ir.InSet: 3,
    ir.DaysSince: 3,
    ir.IsAnniversary: 4,
    ir.Function: 6,
    ir.TextMatch: 8,
    ir.StateFlag: 4,
    ir.EventAggregate: 5,
}


def cost(node: ir.Node) -> int:
    """A rough relative cost of evaluating ``node`` once per customer (text is dearest)."""
    own = _COST.get(type(node), 1)
    return own + sum(cost(child) for child in node.inputs)


def order_predicates(plan: ir.Plan) -> ir.Plan:
    """Cheapest operands first in AND/OR, so a backend can stop once a batch is decided."""

    def reorder(node: ir.Node) -> ir.Node:
        if isinstance(node, ir.And | ir.Or):
            return type(node)(tuple(sorted(node.operands, key=cost)))
        return node

    return rewrite_plan(plan, reorder)


# ---- events and projection ----------------------------------------------------------------


def fuse_event_aggregates(plan: ir.Plan) -> ir.Plan:
    """List every distinct event aggregate once, so all are computed in one pass over the
    events grouped by customer."""
    return replace(plan, fused=plan.aggregates())


def push_down_projection(plan: ir.Plan) -> ir.Plan:
    """Read only the referenced customer columns, event types, event columns and time span."""
    return replace(plan, scan=ir.Scan.of(ir.walk(*plan.roots())))


PASSES: tuple[Callable[[ir.Plan], ir.Plan], ...] = (
    fold_constants,
    share_subexpressions,
    order_predicates,
    fuse_event_aggregates,
    push_down_projection,
)


def optimize(plan: ir.Plan, skip: Iterable[str] = ()) -> ir.Plan:
    """Run every pass not named in ``skip``, in order."""
    skipped = set(skip)
    unknown = skipped - {p.__name__ for p in PASSES}
    if unknown:
        raise ValueError(f"unknown optimizer pass: {', '.join(sorted(unknown))}")
    for optimizer_pass in PASSES:
        if optimizer_pass.__name__ not in skipped:
            plan = replace(optimizer_pass(plan), passes=(*plan.passes, optimizer_pass.__name__))
    return plan
