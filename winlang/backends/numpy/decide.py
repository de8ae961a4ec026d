"""Decisions (first matching rule per customer) and node values, batch by batch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ...plan import ir
from ..base import Decisions, RunContext, Source
from .columns import to_arrow, true_mask
from .evaluate import Evaluator
from .run import Options, batches, prepare


def decide(plan: ir.Plan, source: Source, context: RunContext) -> Decisions:
    """Audience size, and each matched customer's first matching, not-yet-fired rule."""
    roots = [plan.audience]
    for rule in plan.rules:
        roots += [rule.condition, rule.already_fired]
    run, columns = prepare(roots, source, context, plan.campaign or "", Options.of(plan))
    audience = 0
    ids: list[np.ndarray] = []
    rules: list[np.ndarray] = []
    for batch in batches(run, source, columns, context.batch_size):
        evaluate = Evaluator(batch)
        members = true_mask(evaluate(plan.audience), batch.size)
        audience += int(np.count_nonzero(members))
        chosen = first_match(evaluate, plan.rules, members)
        matched = np.flatnonzero(chosen >= 0)
        ids.append(batch.ids()[matched])
        rules.append(chosen[matched])
    return Decisions(
        audience=audience,
        ids=np.concatenate(ids) if ids else np.empty(0, np.int64),
        rules=np.concatenate(rules) if rules else np.empty(0, np.int32),
    )


def first_match(
    evaluate: Evaluator, rules: Sequence[ir.RulePlan], members: np.ndarray
) -> np.ndarray:
    """Per row, the index of the first rule whose condition is TRUE and whose
    ``already_fired`` is not TRUE, among ``members``; -1 for none.

    A rule's nodes are evaluated only while some member is still unassigned.
    """
    chosen = np.full(len(members), -1, np.int32)
    open_rows = members.copy()
    for number, rule in enumerate(rules):
        if not open_rows.any():
            break
        hit = open_rows & true_mask(evaluate(rule.condition), len(members))
        if hit.any():
            hit &= ~true_mask(evaluate(rule.already_fired), len(members))
            chosen[hit] = number
            open_rows &= ~hit
    return chosen


def values(
    nodes: Sequence[ir.Node], source: Source, context: RunContext, plan: ir.Plan | None = None
) -> tuple[np.ndarray, list[pa.Array]]:
    """Every customer's id and each node's value, as Arrow arrays."""
    campaign = plan.campaign if plan is not None else ""
    run, columns = prepare(nodes, source, context, campaign or "", Options.of(plan))
    ids: list[np.ndarray] = []
    parts: list[list[pa.Array]] = [[] for _ in nodes]
    for batch in batches(run, source, columns, context.batch_size):
        evaluate = Evaluator(batch)
        ids.append(batch.ids())
        for found, node in zip(parts, nodes, strict=True):
            found.append(to_arrow(evaluate(node), batch.size))
    arrays = [
        pa.concat_arrays(found) if found else pa.array([], _ARROW_TYPES.get(node.kind, pa.null()))
        for found, node in zip(parts, nodes, strict=True)
    ]
    return (np.concatenate(ids) if ids else np.empty(0, np.int64)), arrays


_ARROW_TYPES = {
    "number": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "text": pa.string(),
}
