"""The planner's columns, a set of rows at a time: as Python values, or as distinct values.

A run's addresses and template values are Arrow arrays (a test's may be NumPy arrays or
lists). Rendering reads a value column as its *distinct* values and, per row, which one it
is (:class:`Distinct`), so a value is shown, formatted and escaped once however many rows
have it; the dry run's SMS count groups rows by the same codes (:func:`codes_of`).

Equal codes mean values that print the same: Arrow's dictionary encoding compares values
bit for bit (``0.0`` and ``-0.0`` apart, all NaNs together), and Python values are keyed by
type and value (so ``1`` and ``True``, which print differently, differ), floats and
decimals by their exact text as well.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Rows = range | np.ndarray  # a slice of rows, or row positions in ascending order


@dataclass(frozen=True, slots=True)
class Distinct:
    """A column of some rows as its distinct ``values`` (Python values, as Arrow's
    ``to_pylist`` gives them) and ``codes``: for each row, the position of its value."""

    values: list
    codes: np.ndarray  # int64, one per row

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, positions: np.ndarray) -> Distinct:
        """The rows at ``positions`` (into this column's rows), with only the distinct
        values they have: a few rows of a slice turn only their own values into text."""
        codes = self.codes[positions]
        used, inverse = np.unique(codes, return_inverse=True)
        if used.size == len(self.values):
            return Distinct(self.values, codes)
        values = self.values
        return Distinct([values[u] for u in used.tolist()], inverse.reshape(-1).astype(np.int64))

    def mapped(self, turn: Callable[[object], str]) -> tuple[list[str], list[str]]:
        """``turn`` of each distinct value (called once per value), and of each row's."""
        turned = [turn(value) for value in self.values]
        if not turned:
            return turned, []
        return turned, np.array(turned, dtype=object)[self.codes].tolist()


def distinct(values, rows: Rows) -> Distinct:
    """``values`` (Arrow, NumPy or a list) at ``rows`` as a :class:`Distinct`."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        part = _arrow_rows(values, rows)
        encoded = _dictionary(part)
        if encoded is None:
            return _distinct_objects(part.to_pylist())  # nested values: as Python values
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return Distinct(encoded.dictionary.to_pylist(), codes)
    return _distinct_objects(python_values(values, rows))


def python_values(values, rows: Rows) -> list:
    """``values`` (Arrow, NumPy or a list) at ``rows`` as a list of Python values (a NumPy
    array's items as its scalars, as the planner has always read them)."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        return _arrow_rows(values, rows).to_pylist()
    if isinstance(rows, range):
        return list(values[rows.start : max(rows.start, rows.stop)])
    if isinstance(values, np.ndarray):
        return list(values[rows])
    return [values[i] for i in rows.tolist()]


def _arrow_rows(values: pa.ChunkedArray | pa.Array, rows: Rows) -> pa.Array:
    if isinstance(rows, range):
        part = values.slice(rows.start, max(0, rows.stop - rows.start))
    else:
        part = values.take(pa.array(rows, type=pa.int64()))
    return part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part


def grouped(keys: np.ndarray) -> list[np.ndarray]:
    """Positions into ``keys`` grouped by equal key, each group in ascending order."""
    order = np.argsort(keys, kind="stable")
    starts = np.flatnonzero(np.diff(keys[order])) + 1
    return np.split(order, starts)


def codes_of(values) -> np.ndarray:
    """Integer codes of all of ``values`` (Arrow, NumPy or a list), equal values equal codes
    (nulls have their own): Arrow's dictionary encoding, NumPy's ``unique`` or, for Python
    objects, a dictionary of their keys."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        encoded = _dictionary(values)
        if encoded is not None:
            return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        values = values.to_pylist()  # nested values: compared as Python values
    if isinstance(values, np.ndarray) and values.dtype.kind in "biumMUS":
        return np.unique(values, return_inverse=True)[1].reshape(-1).astype(np.int64)
    return _distinct_objects(values).codes


def _dictionary(values: pa.Array) -> pa.DictionaryArray | None:
    """``values`` dictionary-encoded, nulls a value of their own (so no index is null);
    None for values Arrow can't encode (nested ones). A column that already is a dictionary
    (a categorical Parquet column, a DuckDB enum) is decoded first: its indices may be null
    and its dictionary may hold values no row has."""
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    try:
        return pc.dictionary_encode(values, null_encoding="encode")
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def _distinct_objects(values: Sequence[object]) -> Distinct:
    """Python values as a :class:`Distinct`; a value that can't be a key (a list, say)
    is a distinct value of its own."""
    seen: dict[object, int] = {}
    found: list[object] = []
    codes = np.empty(len(values), dtype=np.int64)
    for position, value in enumerate(values):
        try:
            key = _key(value)
            code = seen.get(key)
            if code is None:
                code = seen[key] = len(found)
                found.append(value)
        except TypeError:  # unhashable
            code = len(found)
            found.append(value)
        codes[position] = code
    return Distinct(found, codes)


def _key(value: object) -> object:
    """What two values that print the same share: their type and value, and for a float or
    a decimal its exact text too (``0.0`` and ``-0.0``, ``1.0`` and ``1.00`` are equal
    values that may print apart)."""
    if isinstance(value, float | Decimal):
        return type(value), value, repr(value)
    return type(value), value
