"""The contract every evaluation backend meets (NumPy in-process, SQL pushed down).

A backend turns a :class:`~winlang.plan.ir.Plan` plus a data source into
:class:`Decisions` (who is in the audience, which rule each customer gets), and can also give
the value of any IR node for every customer (conformance tests and ``winlang explain``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Protocol

import numpy as np
import pyarrow as pa

from ..errors import DataError as DataError  # re-exported: backends raise them from here
from ..errors import PushdownError as PushdownError
from ..plan import ir
from ..schema import Schema

DEFAULT_BATCH_SIZE = 200_000


# ---- winlang's own state, as the engine sees it --------------------------------------------


class StateView(Protocol):
    """Facts from the state database for ``StateFlag`` nodes."""

    def customers(self, flag: ir.StateFlag, campaign: str, now: datetime) -> np.ndarray:
        """Ids of the customers for whom ``flag`` is true at ``now`` (any order, no nulls)."""
        ...


class EmptyState:
    """No runs yet: nothing received, no lists, no rule fired."""

    def customers(self, flag: ir.StateFlag, campaign: str, now: datetime) -> np.ndarray:
        return np.empty(0, dtype=np.int64)


# ---- data sources -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Table and column names of a store (``[store]`` and ``[store.columns]`` in the config)."""

    customers: str = "customers"
    events: str = "events"
    id: str = "id"
    timezone: str = "timezone"  # the customers' IANA zone (quiet hours)
    customer_id: str = "customer_id"
    type: str = "type"
    channel: str = "channel"
    campaign: str = "campaign"
    template: str = "template"
    occurred_at: str = "occurred_at"
    bounce_type: str = "bounce_type"  # hard or soft, on bounce events (policies/suppressions)

    @classmethod
    def from_config(cls, customers: str, events: str, columns: Mapping[str, str]) -> Layout:
        """The layout of ``[store]``: each mapped column of ``columns`` (keys of
        :data:`winlang.config.COLUMN_DEFAULTS`), the default name for the others."""
        known = {f.name for f in fields(cls)} - {"customers", "events"}
        return cls(
            customers=customers, events=events, **{k: v for k, v in columns.items() if k in known}
        )


class Source(Protocol):
    """Where customers and events come from (a data-source plugin returns one).

    Customer batches always include the id column first; event batches always include the
    customer id, type and occurred_at columns. Column names in batches are the layout's.
    """

    name: str
    layout: Layout

    def schema(self) -> Schema: ...

    def customer_batches(
        self, columns: Sequence[str] | None, batch_size: int
    ) -> Iterator[pa.RecordBatch]: ...

    def event_batches(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str] | None,
        since: datetime | None,
        until: datetime,
    ) -> Iterator[pa.RecordBatch]: ...

    def sql_engine(self):  # -> sqlalchemy.Engine | None
        """The engine to push SQL down to, or None for file sources."""
        ...


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
