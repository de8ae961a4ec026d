"""Decisions (first matching rule per customer) and node values, batch by batch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...arrow_types import ARROW_TYPES
from ...contracts.source import Source
from ...plan import ir
from ..base import Decisions, RunContext
from .columns import to_arrow, true_mask
from .evaluate import Evaluator
from .index import plain_ids
from .run import Options, batches, comparable, prepare


def decide(
    plan: ir.Plan, source: Source, context: RunContext, carry: Sequence[ir.Column] = ()
) -> Decisions:
    """Audience size, and each matched customer's first matching, not-yet-fired rule; with
    ``carry``, those columns of the matched customers, read with the batches."""
    carry = list(dict.fromkeys(carry))
    roots = [plan.audience, *carry]
    for rule in plan.rules:
        roots += [rule.condition, rule.already_fired]
    options = Options.of(plan).carrying(carry)
    run, columns = prepare(roots, source, context, plan.campaign or "", options)
    audience = 0
    ids: list[np.ndarray] = []
    rules: list[np.ndarray] = []
    carried: list[list[pa.Array]] = [[] for _ in carry]
    for batch in batches(run, source, columns, context.batch_size):
        evaluate = Evaluator(batch)
        members = true_mask(evaluate(plan.audience), batch.size)
        audience += int(np.count_nonzero(members))
        chosen = first_match(evaluate, plan.rules, members)
        matched = np.flatnonzero(chosen >= 0)
        ids.append(batch.ids()[matched])
        rules.append(chosen[matched])
        for found, node in zip(carried, carry, strict=True):
            found.append(_value(batch, evaluate, node).take(pa.array(matched)))
    return Decisions(
        audience=audience,
        ids=np.concatenate(ids) if ids else np.empty(0, np.int64),
        rules=np.concatenate(rules) if rules else np.empty(0, np.int32),
        values=_joined(carried, carry),
    )


def _joined(carried: list[list[pa.Array]], carry: Sequence[ir.Column]) -> dict:
    """Each carried column's batches as one array, a column at a time, each column's batches
    let go once joined: at most one column is held twice (millions of matched customers'
    texts are hundreds of megabytes)."""
    joined = {}
    for found, node in zip(carried, carry, strict=True):
        joined[node] = _concat(found, node)
        found.clear()
    return joined


def _value(batch, evaluate: Evaluator, node: ir.Node) -> pa.Array:
    """A node's values over a batch, as :func:`values` gives them."""
    plain = _as_read(batch.record, node)
    return plain if plain is not None else to_arrow(evaluate(node), batch.size)


def _concat(parts: list[pa.Array], node: ir.Node) -> pa.Array:
    return pa.concat_arrays(parts) if parts else pa.array([], ARROW_TYPES.get(node.kind, pa.null()))


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
    nodes: Sequence[ir.Node],
    source: Source,
    context: RunContext,
    plan: ir.Plan | None = None,
    ids: np.ndarray | pa.Array | None = None,
) -> tuple[np.ndarray, list[pa.Array]]:
    """Every customer's id and each node's value, as Arrow arrays; with ``ids``, only those
    customers, in the order given (null values for an id that is not a customer)."""
    campaign = plan.campaign if plan is not None else ""
    options = Options.for_nodes(plan, nodes)
    run, columns = prepare(nodes, source, context, campaign or "", options)
    wanted = None if ids is None else _id_array(ids)
    found_ids: list[pa.Array] = []
    parts: list[list[pa.Array]] = [[] for _ in nodes]
    for batch in batches(run, source, columns, context.batch_size, wanted):
        evaluate = Evaluator(batch)
        found_ids.append(batch.id_column)
        for found, node in zip(parts, nodes, strict=True):
            found.append(_value(batch, evaluate, node))
    arrays = [_concat(found, node) for found, node in zip(parts, nodes, strict=True)]
    if wanted is not None:
        got = pa.concat_arrays(found_ids) if found_ids else pa.array([], wanted.type)
        wanted, got = comparable(wanted, got)
        rows = pc.index_in(wanted, value_set=got)
        return np.asarray(ids), [array.take(rows) for array in arrays]
    all_ids = [i.to_numpy(zero_copy_only=False) for i in found_ids]
    return (np.concatenate(all_ids) if all_ids else np.empty(0, np.int64)), arrays


def _as_read(record: pa.RecordBatch, node: ir.Node) -> pa.Array | None:
    """A column node's values straight from the batch when the source already hands them
    out in the type :func:`values` gives (text, bool, float64; integers widen as the
    evaluator would): no round trip through the evaluator's codes, which for a column of
    a million distinct phone numbers is most of the cost. None: evaluate it."""
    if not isinstance(node, ir.Column) or node.kind not in ARROW_TYPES:
        return None
    at = record.schema.get_field_index(node.name)
    if at < 0:
        return None
    column = record.column(at)
    kind = column.type
    if pa.types.is_dictionary(kind) and node.kind == "text":
        kind = kind.value_type
        column = column.dictionary_decode() if _is_string(kind) else column
    if node.kind == "text" and _is_string(kind):
        return column.cast(pa.string())
    if node.kind == "bool" and pa.types.is_boolean(kind):
        return column
    if node.kind == "number" and (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        return column.cast(pa.float64())
    return None


def _is_string(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _id_array(ids: np.ndarray | pa.Array) -> pa.Array:
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    return plain_ids(ids if isinstance(ids, pa.Array) else pa.array(np.asarray(ids)))
