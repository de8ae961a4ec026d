"""Dense positions for customer ids, so per-customer aggregates are plain arrays.

Positions run from 0 to ``size - 1``; an id that is not a customer (an orphan event, a null)
maps to ``size``, one spare slot at the end of every aggregate array that is never read. That
keeps the event loop free of "is this a known customer" masks.

Three layouts, chosen from the ids:

- ``DenseIndex``: sorted consecutive integers (the usual ``1..N`` primary key): ``id - first``;
- ``TableIndex``: integers in a range at most a few times the count: one lookup table;
- ``HashIndex``: anything else (sparse integers, text ids): Arrow's hash lookup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# A lookup table is used when the id range is at most this many times the number of ids.
_TABLE_SPREAD = 4


@dataclass(frozen=True)
class DenseIndex:
    """Ids ``first, first + 1, ..., first + size - 1`` in that order."""

    first: int
    size: int

    def positions(self, ids: pa.Array | np.ndarray) -> np.ndarray:
        offsets = _integers(ids, self.first - 1) - self.first
        # One unsigned compare catches both ends: negative offsets wrap to huge numbers.
        offsets[offsets.view(np.uint64) >= self.size] = self.size
        return offsets


@dataclass(frozen=True)
class TableIndex:
    """Integer ids within ``first .. first + len(table) - 1``; ``table`` holds positions."""

    first: int
    table: np.ndarray
    size: int

    def positions(self, ids: pa.Array | np.ndarray) -> np.ndarray:
        offsets = _integers(ids, self.first - 1) - self.first
        outside = offsets.view(np.uint64) >= len(self.table)
        offsets[outside] = 0
        found = self.table[offsets]
        found[outside] = self.size
        return found


@dataclass(frozen=True)
class HashIndex:
    """Any ids: positions by hash lookup."""

    ids: pa.Array
    size: int

    def positions(self, ids: pa.Array | np.ndarray) -> np.ndarray:
        ids = pa.array(ids) if isinstance(ids, np.ndarray) else plain_ids(ids)
        if ids.type != self.ids.type:
            ids = ids.cast(self.ids.type)
        found = pc.index_in(ids, value_set=self.ids).fill_null(self.size)
        return found.to_numpy().astype(np.int64)


CustomerIndex = DenseIndex | TableIndex | HashIndex


def build_index(batches: Iterable[pa.Array]) -> CustomerIndex:
    """The index of every customer id, given the id column batch by batch."""
    chunks = [plain_ids(b) for b in batches if len(b)]
    ids = pa.concat_arrays(chunks) if chunks else pa.array([], pa.int64())
    size = len(ids)
    if pa.types.is_floating(ids.type) and ids.null_count == 0 and size:
        whole = pc.cast(ids, pa.int64(), safe=False)
        if pc.all(pc.equal(pc.cast(whole, ids.type), ids)).as_py():
            ids = whole  # 1.0, 2.0, ... (a number column of a schema file) are integers
    if size == 0 or not pa.types.is_integer(ids.type) or ids.null_count:
        return HashIndex(ids, size)
    values = ids.to_numpy().astype(np.int64, copy=False)
    first, last = int(values.min()), int(values.max())
    span = last - first + 1
    if span == size and values[0] == first and (size == 1 or np.all(np.diff(values) == 1)):
        return DenseIndex(first, size)
    if span <= _TABLE_SPREAD * size + 1024:
        table = np.full(span, size, np.int64)
        table[values - first] = np.arange(size, dtype=np.int64)
        return TableIndex(first, table, size)
    return HashIndex(ids, size)


def _integers(ids: pa.Array | np.ndarray, missing: int) -> np.ndarray:
    """Ids as int64 (maybe a view); nulls become ``missing`` (not a customer)."""
    if isinstance(ids, np.ndarray):
        if ids.dtype.kind in "iu":
            return ids.astype(np.int64, copy=False)
        ids = pa.array(ids, from_pandas=True)
    ids = plain_ids(ids)
    if not pa.types.is_integer(ids.type):
        # 3.0 is customer 3; 3.5 is nobody. Safe casting would raise on 3.5.
        whole = pc.equal(pc.floor(pc.cast(ids, pa.float64())), pc.cast(ids, pa.float64()))
        ids = pc.if_else(whole, pc.cast(ids, pa.int64(), safe=False), missing)
    if ids.null_count:
        ids = ids.fill_null(missing)
    return ids.to_numpy().astype(np.int64, copy=False)


def plain_ids(ids: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array of plain values (dictionary-encoded text ids decoded)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if pa.types.is_dictionary(ids.type):
        ids = ids.dictionary_decode()
    return ids
