"""Columns as NumPy arrays with validity masks, and the conversions from and to Arrow.

A value of the evaluator is a :class:`Vec` (one value per row of a batch) or a :class:`Const`
(one value for every row, so ``x > 90`` never builds an array of 90s). Representations:

- ``number``: float64;
- ``bool``: bool, always False where the value is null (so ``values`` is the "is true" mask);
- ``timestamp``: int64 microseconds since the epoch, UTC (a date is midnight UTC);
- ``text``: int32 codes into ``dictionary`` (an Arrow string array); text operations run once
  per dictionary entry and are then gathered by code.

``valid`` is None when no row is null.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...arrow_types import ARROW_TYPES
from ...contracts.errors import wrong_value
from ...sources.convert import ConvertError, parse_timestamps
from ...sources.normalize import odd_value

MICROS_PER_DAY = 86_400_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Vec:
    """One value per row; see the module docstring for each kind's representation."""

    kind: str
    values: np.ndarray
    valid: np.ndarray | None = None
    dictionary: pa.Array | None = None  # text only

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, slots=True)
class Const:
    """The same value on every row: float, bool, int (µs), str, or None for null."""

    kind: str
    value: object


Value = Vec | Const

NULL = Const("null", None)
TRUE = Const("bool", True)
FALSE = Const("bool", False)


# ---- validity helpers ---------------------------------------------------------------------


def both_valid(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """The rows where both masks are valid (None means every row)."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def true_mask(value: Value, size: int) -> np.ndarray:
    """Rows where a bool value is TRUE (false and null are not)."""
    if isinstance(value, Const):
        return np.full(size, value.value is True)
    return value.values


def boolean(values: np.ndarray, valid: np.ndarray | None) -> Vec:
    """A bool Vec, keeping the invariant that values are False where null."""
    if valid is not None:
        if valid.all():
            valid = None
        else:
            values = values & valid
    return Vec("bool", values, valid)


def broadcast(value: Value, size: int) -> Vec:
    """A Vec for a Const (text becomes a one-entry dictionary)."""
    if isinstance(value, Vec):
        return value
    kind = value.kind
    if value.value is None:
        return Vec(
            kind,
            np.zeros(size, _DTYPES.get(kind, np.float64)),
            np.zeros(size, bool),
            pa.array([], pa.string()) if kind == "text" else None,
        )
    if kind == "text":
        return Vec("text", np.zeros(size, np.int32), None, pa.array([value.value], pa.string()))
    return Vec(kind, np.full(size, value.value, _DTYPES[kind]))


_DTYPES = {
    "number": np.float64,
    "bool": np.bool_,
    "timestamp": np.int64,
    "text": np.int32,
    "null": np.bool_,
}


def lookup(table: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``table[codes]`` that also works for an empty table (then every row is null anyway)."""
    if len(table) == 0:
        return np.zeros(len(codes), table.dtype)
    return table[codes]


# ---- Python values of literals ---------------------------------------------------------------


def micros(moment: datetime | date) -> int:
    """Microseconds since the epoch; a date is midnight UTC, a naive datetime is UTC.

    >>> micros(date(1970, 1, 2))
    86400000000
    """
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def constant(value: object, kind: str) -> Const:
    """A literal as the evaluator's constant."""
    if value is None:
        return Const(kind, None)
    if kind == "timestamp" and isinstance(value, date | datetime):
        return Const(kind, micros(value))
    if kind == "number":
        return Const(kind, float(value))
    return Const(kind, value)


# ---- Arrow to Vec ----------------------------------------------------------------------------


def validity(array: pa.Array) -> np.ndarray | None:
    """The validity bitmap of an array as a bool mask; None when nothing is null."""
    if array.null_count == 0:
        return None
    if pa.types.is_null(array.type):
        return np.zeros(len(array), bool)
    return _bits(array.buffers()[0], array.offset, len(array))


def _bits(buffer: pa.Buffer, offset: int, length: int) -> np.ndarray:
    """Unpack an Arrow bitmap (least significant bit first) to bools."""
    raw = np.frombuffer(buffer, np.uint8)
    return np.unpackbits(raw, count=offset + length, bitorder="little")[offset:].view(bool)


def _fixed_width(array: pa.Array, dtype: type) -> np.ndarray:
    """The values buffer of a fixed-width array, zero-copy (null slots hold any value)."""
    return np.frombuffer(array.buffers()[1], dtype, count=array.offset + len(array))[array.offset :]


def to_vec(array: pa.Array | pa.ChunkedArray, kind: str, where: str) -> Vec:
    """An Arrow column as a Vec of ``kind``; ``where`` names it in errors ("customers.age").

    >>> to_vec(pa.array([1, None]), "number", "t.c").values[0]
    np.float64(1.0)
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_null(array.type):
        return broadcast(Const(kind, None), len(array))
    try:
        return _CONVERTERS[kind](array)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ConvertError, ValueError) as error:
        sample = getattr(error, "sample", None)
        if sample is None:
            sample = odd_value(array.to_pylist(), kind)
        table, _, column = where.rpartition(".")
        raise wrong_value(table, column, kind, sample) from None


def _number(array: pa.Array) -> Vec:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if not pa.types.is_float64(array.type):
        array = pc.cast(array, pa.float64())
    return Vec("number", _fixed_width(array, np.float64), validity(array))


def _bool(array: pa.Array) -> Vec:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_integer(array.type):  # SQLite stores booleans as 0/1
        array = pc.not_equal(array, 0)
    elif not pa.types.is_boolean(array.type):
        array = pc.cast(array, pa.bool_())
    return boolean(_bits(array.buffers()[1], array.offset, len(array)), validity(array))


def _timestamp(array: pa.Array) -> Vec:
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        array = parse_timestamps(array)
        kind = array.type
    if pa.types.is_date32(kind):
        days = _fixed_width(array, np.int32).astype(np.int64)
        return Vec("timestamp", days * MICROS_PER_DAY, validity(array))
    if pa.types.is_date64(kind):
        return Vec("timestamp", _fixed_width(array, np.int64) * 1000, validity(array))
    if not pa.types.is_timestamp(kind):
        raise ConvertError(f"not a time: {kind}")
    if kind.unit != "us":
        # A finer unit truncates toward the earlier microsecond, as every SQL engine here does.
        array = pc.cast(array, pa.timestamp("us", kind.tz), safe=False)
    return Vec("timestamp", _fixed_width(array, np.int64), validity(array))


def _text(array: pa.Array) -> Vec:
    if not pa.types.is_dictionary(array.type):
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            array = pc.cast(array, pa.string())
        array = pc.dictionary_encode(array)
    indices, dictionary = array.indices, array.dictionary
    valid = validity(indices)
    codes = _fixed_width(indices, indices.type.to_pandas_dtype())
    if dictionary.null_count:  # a null *in* the dictionary: rare, but Arrow allows it
        entry_valid = validity(dictionary)
        valid = both_valid(
            valid, lookup(entry_valid, np.where(valid, codes, 0) if valid is not None else codes)
        )
    if codes.dtype != np.int32:
        codes = codes.astype(np.int32)
    if valid is not None:
        codes = np.where(valid, codes, 0)  # null slots may hold any code; make them safe
    return Vec("text", codes, valid, dictionary)


_CONVERTERS = {
    "number": _number,
    "bool": _bool,
    "timestamp": _timestamp,
    "text": _text,
    "null": _number,
}


# ---- Vec to Arrow ----------------------------------------------------------------------------


def to_arrow(value: Value, size: int) -> pa.Array:
    """A value as an Arrow array of ``size`` rows: float64, bool, timestamp[us] or string."""
    vec = broadcast(value, size)
    mask = None if vec.valid is None else ~vec.valid
    if vec.kind == "text":
        indices = pa.array(vec.values, pa.int32(), mask=mask)
        if len(vec.dictionary) == 0:
            return pa.nulls(size, pa.string())
        return vec.dictionary.take(indices).cast(pa.string())
    if vec.kind == "null":
        return pa.nulls(size)
    return pa.array(vec.values, ARROW_TYPES[vec.kind], mask=mask)
