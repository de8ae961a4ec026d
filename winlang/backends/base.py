"""The contract every evaluation backend meets (NumPy in-process, SQL pushed down).

A backend turns a :class:`~winlang.plan.ir.Plan` plus a data source into
:class:`Decisions` (who is in the audience, which rule each customer gets), and can also give
the value of any IR node for every customer (conformance tests and ``winlang explain``).

What a backend reads lives below it, in :mod:`winlang.contracts`: the data :class:`Source`
(``winlang.backends.base.Source`` is the name ``docs/plugins.md`` gave it first, kept as an
alias) and the :class:`~winlang.contracts.state.StateView` of winlang's state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
import pyarrow as pa

from ..contracts.source import Source
from ..contracts.state import EmptyState, StateView
from ..plan import ir

DEFAULT_BATCH_SIZE = 200_000


# ---- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decisions:
    """The outcome of evaluating a plan.

    ``ids`` are the customers of the audience for whom some rule matched (the first rule that
    matches and has not already fired), and ``rules`` the index of that rule in file order.
    """

    audience: int
    ids: np.ndarray
    rules: np.ndarray  # int32, same length as ids
    # The values of the nodes ``decide`` was asked to carry, for these customers (aligned
    # with ``ids``): what a run reads of its matched customers, from the same pass.
    values: Mapping[ir.Node, pa.Array] = field(default_factory=dict)

    def take(self, rows: np.ndarray) -> Decisions:
        """These decisions for the customers at ``rows`` (a mask or positions) only."""
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows
        taken = {
            node: array.take(pa.array(rows, pa.int64())) for node, array in self.values.items()
        }
        return Decisions(self.audience, self.ids[rows], self.rules[rows], taken)

    def matched(self, rule_count: int) -> list[int]:
        counts = np.bincount(self.rules, minlength=rule_count) if len(self.rules) else None
        return [int(c) for c in counts] if counts is not None else [0] * rule_count


@dataclass(frozen=True)
class RunContext:
    now: datetime  # timezone-aware UTC
    state: StateView = field(default_factory=EmptyState)
    batch_size: int = DEFAULT_BATCH_SIZE


class Backend(Protocol):
    name: str

    def decide(
        self,
        plan: ir.Plan,
        source: Source,
        context: RunContext,
        carry: Sequence[ir.Column] = (),
    ) -> Decisions:
        """Audience size and each matched customer's first matching, not-yet-fired rule;
        with ``carry``, those columns of the matched customers too (``Decisions.values``),
        read in the same pass as the decisions."""
        ...

    def values(
        self,
        nodes: Sequence[ir.Node],
        source: Source,
        context: RunContext,
        plan: ir.Plan | None = None,
        ids: np.ndarray | pa.Array | None = None,
    ) -> tuple[np.ndarray, list[pa.Array]]:
        """Every customer's id and the value of each node (Arrow arrays, nulls as nulls;
        timestamps as ``timestamp[us]``, numbers as float64, bools, text as string). With
        ``ids``, only those customers, in that order, null for an id the store lacks."""
        ...
