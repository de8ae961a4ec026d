"""The in-process backend: columnar batches evaluated with NumPy.

>>> NumpyBackend.name
'numpy'

Modules: :mod:`.columns` (Arrow to NumPy with validity masks), :mod:`.text` (text operations
on dictionaries), :mod:`.index` (customer ids to dense positions), :mod:`.events` (event
aggregates in one pass), :mod:`.evaluate` (one handler per IR node), :mod:`.run` (what to read),
:mod:`.decide` (first matching rule).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from ...contracts.source import Source
from ...plan import ir
from ..base import Decisions, RunContext


class NumpyBackend:
    """Evaluates plans in this process; see :class:`winlang.backends.base.Backend`."""

    name = "numpy"

    def decide(
        self,
        plan: ir.Plan,
        source: Source,
        context: RunContext,
        carry: Sequence[ir.Column] = (),
    ) -> Decisions:
        # The evaluator is imported when this backend runs: a run on a SQL store reads only
        # .columns and .events of this package (the suppressions' filter).
        from . import decide as evaluator

        return evaluator.decide(plan, source, context, carry)

    def values(
        self,
        nodes: Sequence[ir.Node],
        source: Source,
        context: RunContext,
        plan: ir.Plan | None = None,
        ids: np.ndarray | pa.Array | None = None,
    ) -> tuple[np.ndarray, list[pa.Array]]:
        """See :meth:`winlang.backends.base.Backend.values`; with ``ids``, only those
        customers, in that order (a null value for an id the store does not have): the
        contact fields of a run's matched customers without reading anyone else's."""
        from . import decide as evaluator

        return evaluator.values(nodes, source, context, plan, ids)


__all__ = ["NumpyBackend"]
