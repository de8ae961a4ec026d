"""Event aggregates: per-customer arrays computed in one pass over the events.

Each event batch is read once for all the fused aggregates of a plan: the text tests of the
filters (``type = "open"``, ``template = "survey"``) are computed once per batch and shared,
each filter's rows are found once, and each aggregate scatters its rows into an array indexed
by customer position (:mod:`.index`) with ``np.bincount`` / ``ufunc.at``: never a Python loop
per event or per customer. With fusion off every aggregate makes a pass of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...arrow_types import ARROW_TYPES
from ...contracts.errors import DataError
from ...contracts.source import Layout, Source
from ...plan import ir
from .columns import Vec, both_valid, micros, to_vec, validity
from .index import CustomerIndex
from .text import as_numpy

INT64_MIN = np.iinfo(np.int64).min
# Below this share of the customers, ufunc.at beats allocating a bincount of every customer.
_SPARSE = 8


@dataclass(frozen=True)
class AggregateValues:
    """One aggregate for every customer position (and the spare slot for unknown ids)."""

    kind: str
    values: np.ndarray
    valid: np.ndarray | None = None
    dictionary: pa.Array | None = None

    def gather(self, positions: np.ndarray) -> Vec:
        """The values of the customers at ``positions``."""
        valid = None if self.valid is None else self.valid[positions]
        return Vec(self.kind, self.values[positions], valid, self.dictionary)


# ---- one batch of events ----------------------------------------------------------------------


@dataclass
class EventBatch:
    """An event batch with what every filter shares: times, ids and text tests, each once."""

    record: pa.RecordBatch
    layout: Layout
    now_us: int
    _equals: dict[tuple[str, str], np.ndarray | None] = field(default_factory=dict)
    _rows: dict[ir.EventFilter, np.ndarray | None] = field(default_factory=dict)
    _times: Vec | None = None
    _until_now: tuple[np.ndarray | None] | None = None
    _ids: np.ndarray | pa.Array | None = None

    @property
    def size(self) -> int:
        return self.record.num_rows

    def column(self, name: str) -> pa.Array:
        index = self.record.schema.get_field_index(name)
        if index < 0:
            raise DataError(f"the events table has no column `{name}`")
        return self.record.column(index)

    @property
    def times(self) -> Vec:
        if self._times is None:
            self._times = to_vec(
                self.column(self.layout.occurred_at),
                "timestamp",
                f"{self.layout.events}.{self.layout.occurred_at}",
            )
        return self._times

    def equals(self, name: str, value: str) -> np.ndarray | None:
        """Rows whose text column ``name`` is ``value``; None when that is every row."""
        key = (name, value)
        if key not in self._equals:
            self._equals[key] = _text_equals(self.column(name), value)
        return self._equals[key]

    def until_now(self) -> np.ndarray | None:
        """Rows with a time that is not after now; None when that is every row."""
        if self._until_now is None:
            times = self.times
            keep = times.valid
            if self.size and int(times.values.max()) > self.now_us:
                keep = both_valid(keep, times.values <= self.now_us)  # sources filter already
            self._until_now = (keep,)
        return self._until_now[0]

    def in_time(self, window: float | None) -> np.ndarray | None:
        """Rows with ``now - window <= occurred_at <= now``; None when that is every row."""
        keep = self.until_now()
        if window is None:
            return keep
        return both_valid(keep, self.times.values >= self.now_us - round(window * 1_000_000))

    def rows(self, found: ir.EventFilter) -> np.ndarray | None:
        """Indices of the rows ``found`` keeps; None when it keeps every row."""
        if found not in self._rows:
            # The layout names each event field's column by the field's own name.
            tests = [self.equals(getattr(self.layout, f), v) for f, v in found.tests]
            tests.append(self.in_time(found.window))
            keep = None
            for test in tests:
                keep = both_valid(keep, test)
            self._rows[found] = None if keep is None else np.flatnonzero(keep)
        return self._rows[found]

    def customer_ids(self, rows: np.ndarray | None) -> np.ndarray | pa.Array:
        """The customer ids of ``rows`` (all rows for None)."""
        if self._ids is None:
            ids = self.column(self.layout.customer_id)
            if pa.types.is_integer(ids.type) and ids.null_count == 0:
                self._ids = ids.to_numpy()
            else:
                self._ids = ids
        ids = self._ids
        if rows is None:
            return ids
        return ids[rows] if isinstance(ids, np.ndarray) else ids.take(pa.array(rows))


def _text_equals(column: pa.Array, value: str) -> np.ndarray | None:
    """``column = value`` as a mask (null: False); None when every row matches."""
    if pa.types.is_null(column.type):
        return np.zeros(len(column), bool)
    if pa.types.is_dictionary(column.type):
        table = as_numpy(pc.equal(column.dictionary, pa.scalar(value, pa.string())))
        if column.null_count == 0 and table.all():
            return None  # e.g. a source that hands out one event type per batch
        hits = np.flatnonzero(table)
        if len(hits) == 0:
            return np.zeros(len(column), bool)
        indices = column.indices
        codes = np.frombuffer(
            indices.buffers()[1],
            indices.type.to_pandas_dtype(),
            count=indices.offset + len(indices),
        )[indices.offset :]
        # One matching entry (the usual case): a compare is cheaper than a gather. Null
        # slots may hold any code, hence "clip" and the validity mask.
        found = codes == hits[0] if len(hits) == 1 else np.take(table, codes, mode="clip")
        valid = validity(indices)
        return found if valid is None else found & valid
    return as_numpy(pc.equal(column, pa.scalar(value, pa.string())))


# ---- accumulators --------------------------------------------------------------------------


class Exists:
    def __init__(self, aggregate: ir.EventAggregate, size: int) -> None:
        self.found = np.zeros(size + 1, bool)

    def add(self, positions: np.ndarray, batch: EventBatch, rows: np.ndarray | None) -> None:
        self.found[positions] = True

    def result(self) -> AggregateValues:
        return AggregateValues("bool", self.found)


class Count:
    def __init__(self, aggregate: ir.EventAggregate, size: int) -> None:
        self.total = np.zeros(size + 1, np.float64)

    def add(self, positions: np.ndarray, batch: EventBatch, rows: np.ndarray | None) -> None:
        _scatter_add(self.total, positions, None)

    def result(self) -> AggregateValues:
        return AggregateValues("number", self.total)


class Sum:
    """The sum of a number property; null amounts are skipped, no events sum to 0."""

    def __init__(self, aggregate: ir.EventAggregate, size: int) -> None:
        self.prop = aggregate.prop or ""
        self.total = np.zeros(size + 1, np.float64)

    def add(self, positions: np.ndarray, batch: EventBatch, rows: np.ndarray | None) -> None:
        amounts = to_vec(batch.column(self.prop), "number", f"{batch.layout.events}.{self.prop}")
        values, valid = amounts.values, amounts.valid
        if rows is not None:
            values = values[rows]
            valid = None if valid is None else valid[rows]
        if valid is not None:
            positions, values = positions[valid], values[valid]
        _scatter_add(self.total, positions, values)

    def result(self) -> AggregateValues:
        return AggregateValues("number", self.total)


def _scatter_add(total: np.ndarray, positions: np.ndarray, weights: np.ndarray | None) -> None:
    if len(positions) * _SPARSE >= len(total):
        total += np.bincount(positions, weights, minlength=len(total))
    else:
        np.add.at(total, positions, 1.0 if weights is None else weights)


class Last:
    """The latest ``occurred_at``; null when there is none."""

    def __init__(self, aggregate: ir.EventAggregate, size: int) -> None:
        self.latest = np.full(size + 1, INT64_MIN, np.int64)

    def add(self, positions: np.ndarray, batch: EventBatch, rows: np.ndarray | None) -> None:
        times = batch.times.values
        np.maximum.at(self.latest, positions, times if rows is None else times[rows])

    def result(self) -> AggregateValues:
        return AggregateValues("timestamp", self.latest, self.latest != INT64_MIN)


class LastValue:
    """``prop`` of the latest event; among events at the same latest moment the greatest value
    wins, and a null value loses to any value.

    Each batch keeps only its candidates (the rows at their customer's latest moment in that
    batch); the winners are picked from all candidates at the end, so dictionaries of
    different batches never need to agree.
    """

    def __init__(self, aggregate: ir.EventAggregate, size: int) -> None:
        self.prop = aggregate.prop or ""
        self.kind = aggregate.prop_kind
        self.size = size
        self.positions: list[np.ndarray] = []
        self.times: list[np.ndarray] = []
        self.values: list[pa.Array] = []

    def add(self, positions: np.ndarray, batch: EventBatch, rows: np.ndarray | None) -> None:
        times = batch.times.values if rows is None else batch.times.values[rows]
        column = batch.column(self.prop)
        values = column if rows is None else column.take(pa.array(rows))
        keep = _at_latest(positions, times, self.size)
        self.positions.append(positions[keep])
        self.times.append(times[keep])
        self.values.append(values.take(pa.array(np.flatnonzero(keep))))

    def result(self) -> AggregateValues:
        if not self.positions:
            positions, times = np.empty(0, np.int64), np.empty(0, np.int64)
            values = pa.nulls(0, ARROW_TYPES[self.kind if self.kind != "null" else "number"])
        else:
            positions = np.concatenate(self.positions)
            times = np.concatenate(self.times)
            values = pa.concat_arrays([_plain(v) for v in self.values])
        keep = _at_latest(positions, times, self.size)
        positions = positions[keep]
        values = values.take(pa.array(np.flatnonzero(keep)))
        return _greatest(self.kind, positions, values, self.size)


def _plain(values: pa.Array) -> pa.Array:
    """Dictionary-decoded, so batches concatenate."""
    return values.dictionary_decode() if pa.types.is_dictionary(values.type) else values


def _at_latest(positions: np.ndarray, times: np.ndarray, size: int) -> np.ndarray:
    """Rows whose time is their customer's latest."""
    latest = np.full(size + 1, INT64_MIN, np.int64)
    np.maximum.at(latest, positions, times)
    return times == latest[positions]


def _greatest(kind: str, positions: np.ndarray, values: pa.Array, size: int) -> AggregateValues:
    """The greatest non-null value per customer position (null where there is none)."""
    if kind == "text":
        dictionary_array = pc.dictionary_encode(values.cast(pa.string()))
        dictionary = dictionary_array.dictionary
        # Dictionary entries are distinct, so their ranks (1..k) order them by code point.
        ranks = as_numpy(pc.rank(dictionary, sort_keys="ascending")).astype(np.int64)
        codes = dictionary_array.indices.fill_null(-1).to_numpy().astype(np.int64)
        rank_of_row = np.append(ranks, 0)[codes]  # a null (code -1) reads the appended 0
        best = np.zeros(size + 1, np.int64)
        np.maximum.at(best, positions, rank_of_row)
        entry_of_rank = np.zeros(len(ranks) + 1, np.int32)
        entry_of_rank[ranks] = np.arange(len(ranks), dtype=np.int32)
        return AggregateValues("text", entry_of_rank[best], best > 0, dictionary)
    vec = to_vec(values, kind, "events")
    if kind == "number":
        best = np.full(size + 1, np.nan)
        np.fmax.at(best, positions, np.where(_valid(vec), vec.values, np.nan))
        return AggregateValues("number", best, ~np.isnan(best))
    raw = vec.values.astype(np.int64)  # timestamps (µs) and bools (0/1) order as integers
    best = np.full(size + 1, INT64_MIN, np.int64)
    np.maximum.at(best, positions, np.where(_valid(vec), raw, INT64_MIN))
    values_of = best.astype(bool) if kind == "bool" else best
    return AggregateValues(kind, values_of, best != INT64_MIN)


def _valid(vec: Vec) -> np.ndarray:
    return np.ones(len(vec), bool) if vec.valid is None else vec.valid


ACCUMULATORS = {"exists": Exists, "count": Count, "sum": Sum, "last": Last, "last_value": LastValue}


# ---- the passes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRequest:
    """The arguments of one ``Source.event_batches`` call."""

    types: tuple[str, ...] | None
    columns: tuple[str, ...] | None
    since: datetime | None
    until: datetime


def request_for(scan: ir.Scan | None, layout: Layout, now: datetime) -> EventRequest:
    """What to read: only the types, columns and time span of ``scan`` (the projection),
    everything up to now without one."""
    if scan is None:
        return EventRequest(None, None, None, now)
    columns = [getattr(layout, field) for field in scan.event_fields]
    return EventRequest(scan.event_types, (*columns, *scan.event_props), scan.since(now), now)


def compute_aggregates(
    aggregates: Iterable[ir.EventAggregate],
    source: Source,
    index: CustomerIndex,
    now: datetime,
    fused: bool,
    scan: ir.Scan | None,
) -> dict[ir.EventAggregate, AggregateValues]:
    """Every aggregate for every customer of ``index``: one pass over the events for all of
    them when ``fused``, reading what ``scan`` (the plan's projection) names, else one pass
    each, reading that aggregate's own share of it; without a scan, every event up to now."""
    aggregates = tuple(dict.fromkeys(aggregates))
    if fused:
        passes = [(aggregates, scan)] if aggregates else []
    else:
        passes = [((a,), ir.Scan.of((a,)) if scan is not None else None) for a in aggregates]
    results: dict[ir.EventAggregate, AggregateValues] = {}
    for group, read in passes:
        results |= _one_pass(group, source, index, now, read)
    return results


def _one_pass(
    group: Sequence[ir.EventAggregate],
    source: Source,
    index: CustomerIndex,
    now: datetime,
    scan: ir.Scan | None,
) -> dict[ir.EventAggregate, AggregateValues]:
    layout = source.layout
    accumulators = {a: ACCUMULATORS[a.function](a, index.size) for a in group}
    request = request_for(scan, layout, now)
    now_us = micros(now)
    for record in source.event_batches(
        request.types, request.columns, request.since, request.until
    ):
        if record.num_rows == 0:
            continue
        batch = EventBatch(record, layout, now_us)
        positions: dict[ir.EventFilter, np.ndarray] = {}
        for aggregate, accumulator in accumulators.items():
            rows = batch.rows(aggregate.filter)
            if aggregate.filter not in positions:
                positions[aggregate.filter] = index.positions(batch.customer_ids(rows))
            accumulator.add(positions[aggregate.filter], batch, rows)
    return {a: acc.result() for a, acc in accumulators.items()}
