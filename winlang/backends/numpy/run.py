"""Set up one evaluation: what to read, the customer index, the event aggregates, the state.

Memory stays bounded by one batch of customers plus one array per event aggregate: the events
are reduced to per-customer arrays first, then customers stream through in batches.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import pyarrow as pa

from ...contracts.source import Source
from ...plan import ir
from ...sources.normalize import Among
from ..base import RunContext
from .columns import micros
from .evaluate import Batch, Run
from .events import compute_aggregates
from .index import build_index


@dataclass(frozen=True)
class Options:
    """How to read, from the plan's passes: ``scan`` is the projection (None: pushdown off,
    read every column and event) and ``fuse`` whether aggregates share one pass."""

    scan: ir.Scan | None
    fuse: bool = True

    @classmethod
    def of(cls, plan: ir.Plan | None) -> Options:
        """The plan's own scan, for evaluating the plan's roots."""
        if plan is None:
            return cls(None)
        return cls(plan.scan, fuse=plan.fused is not None)

    def carrying(self, columns: Sequence[ir.Column]) -> Options:
        """The same reads, and the customer ``columns`` carried with the decisions."""
        if self.scan is None or not columns:
            return self
        return replace(self, scan=self.scan.with_columns(c.name for c in columns))

    @classmethod
    def for_nodes(cls, plan: ir.Plan | None, nodes: Sequence[ir.Node]) -> Options:
        """For ``nodes`` that need not be the plan's roots: their own projection, when the
        plan pushes projections down (or there is no plan)."""
        project = plan is None or plan.scan is not None
        scan = ir.Scan.of(ir.walk(*nodes)) if project else None
        return cls(scan, fuse=plan is None or plan.fused is not None)


def prepare(
    roots: Sequence[ir.Node], source: Source, context: RunContext, campaign: str, options: Options
) -> tuple[Run, list[str] | None]:
    """The run's shared facts, and the customer columns to read (None: all of them)."""
    nodes = list(ir.walk(*roots))
    layout = source.layout
    run = Run(
        now=context.now,
        now_us=micros(context.now),
        campaign=campaign,
        layout=layout,
        state=context.state,
    )
    aggregates = [n for n in nodes if isinstance(n, ir.EventAggregate)]
    if aggregates:
        ids = (
            batch.column(0) for batch in source.customer_batches([layout.id], context.batch_size)
        )
        run.index = build_index(ids)
        run.aggregates = compute_aggregates(
            aggregates, source, run.index, context.now, fused=options.fuse, scan=options.scan
        )
    if options.scan is None:
        return run, None
    # The id column is always read; naming it keeps the request non-empty.
    return run, [layout.id, *(c for c in options.scan.columns if c != layout.id)]


def batches(
    run: Run,
    source: Source,
    columns: list[str] | None,
    batch_size: int,
    ids: pa.Array | None = None,
) -> Iterator[Batch]:
    """The customers, batch by batch (only those of ``ids`` when given: the source filters
    them where it can, else they are filtered here)."""
    if ids is None:
        records = source.customer_batches(columns, batch_size)
    elif accepts_ids(source):
        records = source.customer_batches(columns, batch_size, ids=ids)
    else:
        wanted = Among(ids)
        records = (
            r.filter(wanted.mask(r.column(0))) for r in source.customer_batches(columns, batch_size)
        )
    for record in records:
        if isinstance(record, pa.Table):  # a source may hand out small tables
            record = record.combine_chunks().to_batches()[0] if record.num_rows else None
        if record is not None and record.num_rows:
            yield Batch(record, run)


def accepts_ids(source: Source) -> bool:
    """Whether ``source.customer_batches`` takes ``ids`` (the built-in sources do; a
    plugin's may not)."""
    try:
        return "ids" in inspect.signature(source.customer_batches).parameters
    except (TypeError, ValueError):
        return False


def comparable(ids: pa.Array, others: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Two id arrays in one type: ``others`` cast to the type of ``ids``, or both as text
    when that cast fails (``7`` and ``"7"`` are one customer in the ledger's text form)."""
    if others.type == ids.type:
        return ids, others
    try:
        return ids, others.cast(ids.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return ids.cast(pa.string()), others.cast(pa.string())
