"""Every source hands out the same Arrow types, whatever the store keeps.

- numbers: integers stay integers (ids), decimals become float64;
- text: ``string`` (a dictionary of strings is kept: it is what the backend wants anyway);
- timestamps: ``timestamp[us]``, naive UTC; text is parsed (SQLite, CSV);
- dates: ``date32``; bools: ``bool`` (SQLite's 0/1 included).

A value that does not convert raises :class:`~winlang.contracts.errors.DataError` naming the
table, the column and the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_types import TIMESTAMP
from ..contracts.errors import wrong_value
from ..times import naive_utc
from .convert import ConvertError, parse_dates, parse_timestamps


def normalize(array: pa.Array, kind: str, table: str, column: str) -> pa.Array:
    """``array`` in the canonical Arrow type of ``kind`` (a schema kind: number, text, bool,
    timestamp, date).

    >>> normalize(pa.array(["2026-01-02 03:04:05"]), "timestamp", "t", "c").type
    TimestampType(timestamp[us])
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    try:
        return _NORMALIZERS.get(kind, _keep)(array)
    except ConvertError as error:
        raise wrong_value(table, column, kind, error.sample) from None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        raise wrong_value(table, column, kind, odd_value(array.to_pylist(), kind)) from None


# The Python values that can be read as each kind (what a driver or Arrow hands out).
_FITTING: dict[str, tuple[type, ...]] = {
    "number": (int, float, Decimal),
    "bool": (bool, int),
    "text": (str,),
    "timestamp": (datetime, date, str),
    "date": (date, str),
}


def odd_value(values: Sequence[object], kind: str) -> object:
    """The value to show for a column of ``kind`` that does not convert: the first whose
    Python type can't be one of that kind, else the first that is not null.

    >>> odd_value([1.5, "abc", 2.0], "number")
    'abc'
    """
    present = [v for v in values if v is not None]
    fitting = _FITTING.get(kind, ())
    return next((v for v in present if not isinstance(v, fitting)), present[0] if present else None)


def _keep(array: pa.Array) -> pa.Array:
    return array


def _is_text(array: pa.Array) -> bool:
    kind = array.type
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or (pa.types.is_string_view(kind))
    )


def _number(array: pa.Array) -> pa.Array:
    kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        return array
    if pa.types.is_null(kind):
        return array.cast(pa.float64())
    if _is_text(array):  # numbers stored as text (CSV, SQLite's loose typing)
        trimmed = pc.utf8_trim_whitespace(array.cast(pa.string()))
        try:
            return pc.cast(trimmed, pa.int64())  # whole numbers stay integers (ids)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pc.cast(trimmed, pa.float64())
    return pc.cast(array, pa.float64())  # decimals, booleans as numbers


def _text(array: pa.Array) -> pa.Array:
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_dictionary(kind):
        return array
    return pc.cast(array, pa.string())


def _bool(array: pa.Array) -> pa.Array:
    kind = array.type
    if pa.types.is_boolean(kind):
        return array
    if pa.types.is_integer(kind):
        return pc.not_equal(array, 0)
    if _is_text(array):
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(array.cast(pa.string())))
        return pc.cast(lowered, pa.bool_())  # "true"/"false"/"1"/"0"
    return pc.cast(array, pa.bool_())


def _timestamp(array: pa.Array) -> pa.Array:
    kind = array.type
    if _is_text(array):
        return parse_timestamps(array.cast(pa.string()))
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:  # the stored instants are UTC already; drop the zone label
            array = array.view(pa.timestamp(kind.unit))
        return array if kind.unit == "us" else pc.cast(array, TIMESTAMP, safe=False)
    if pa.types.is_date(kind):
        return pc.cast(array, TIMESTAMP)
    if pa.types.is_null(kind):
        return array.cast(TIMESTAMP)
    raise ConvertError(
        "not a timestamp", next((v for v in array.to_pylist() if v is not None), None)
    )


def _date(array: pa.Array) -> pa.Array:
    kind = array.type
    if _is_text(array):
        return parse_dates(array.cast(pa.string()))
    if pa.types.is_date32(kind):
        return array
    if pa.types.is_date64(kind):
        return array.cast(pa.date32())
    if pa.types.is_timestamp(kind) or pa.types.is_null(kind):
        return pc.cast(_timestamp(array), pa.date32(), safe=False)
    raise ConvertError("not a date", next((v for v in array.to_pylist() if v is not None), None))


_NORMALIZERS = {
    "number": _number,
    "text": _text,
    "bool": _bool,
    "timestamp": _timestamp,
    "date": _date,
}


def normalize_batch(batch: pa.RecordBatch, kinds: dict[str, str], table: str) -> pa.RecordBatch:
    """Every column of ``batch`` normalized by the kind of its name."""
    columns = [
        normalize(column, kinds.get(name, ""), table, name)
        for name, column in zip(batch.schema.names, batch.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def within_times(
    batch: pa.RecordBatch, column: str, since: datetime | None, until: datetime
) -> pa.RecordBatch:
    """Keep rows with ``since <= column <= until`` (times already normalized to naive UTC
    microseconds, so the comparison is exact whatever the store held)."""
    times = batch.column(batch.schema.get_field_index(column))
    keep = pc.less_equal(times, pa.scalar(naive_utc(until), pa.timestamp("us")))
    if since is not None:
        keep = pc.and_(
            keep, pc.greater_equal(times, pa.scalar(naive_utc(since), pa.timestamp("us")))
        )
    keep = keep.fill_null(False)
    return batch if pc.all(keep).as_py() else batch.filter(keep)


def among(column: pa.Array | pa.ChunkedArray, ids) -> pa.Array:
    """Where ``column`` (a store's id column) holds one of ``ids`` (any array of ids); ids
    of another type are compared as text, as the ledger writes them.

    >>> among(pa.array([1, 2, 3]), [3, 1]).to_pylist()
    [True, False, True]
    """
    return Among(ids).mask(column)


WHOLE_NUMBER = r"^-?[0-9]{1,18}$"  # text that is an int64 id, as the ledger writes it


def whole_numbers(ids: pa.Array) -> pa.Array:
    """Ids (text, as the ledger writes them, or numbers) that can be ids of an integer
    column, as int64; any other text can't be one of its ids and is left out.

    >>> whole_numbers(pa.array(["7", "x", "-2", None])).to_pylist()
    [7, -2]
    """
    if pa.types.is_integer(ids.type):
        return ids.drop_null().cast(pa.int64())
    if pa.types.is_floating(ids.type):
        ids = ids.drop_null()
        return ids.filter(pc.equal(pc.floor(ids), ids)).cast(pa.int64())
    texts = ids.cast(pa.string()).drop_null()
    return texts.filter(pc.match_substring_regex(texts, WHOLE_NUMBER)).cast(pa.int64())


class Among:
    """A set of customer ids, built once, to filter batch after batch.

    Ids may be text (the ledger's) or numbers. Against an integer id column, integer ids in
    a compact range become a lookup table (one gather per batch), other integers a sorted
    array (a binary search per row); against any other column, ids are compared as text
    ("007" stays "007") through Arrow's hash set, which is rebuilt for every batch.
    """

    def __init__(self, ids) -> None:
        self.ids = ids if isinstance(ids, pa.Array | pa.ChunkedArray) else _arrow_ids(ids)
        if isinstance(self.ids, pa.ChunkedArray):
            self.ids = self.ids.combine_chunks()
        self._table: tuple[int, np.ndarray] | None = None
        self._sorted: np.ndarray | None = None
        self._integers_ready = False

    def mask(self, column: pa.Array | pa.ChunkedArray) -> pa.Array:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if pa.types.is_integer(column.type):
            return pa.array(self._integers(column))
        wanted = self.ids
        if wanted.type != column.type:
            try:
                wanted = wanted.cast(column.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                column, wanted = column.cast(pa.string()), wanted.cast(pa.string())
        return pc.is_in(column, value_set=wanted)

    def _prepare_integers(self) -> None:
        """The lookup table or sorted array, made on the first integer column."""
        self._integers_ready = True
        values = whole_numbers(self.ids).to_numpy().astype(np.int64, copy=False)
        if not len(values):
            self._sorted = values
            return
        first = int(values.min())
        span = int(values.max()) - first + 1
        if span <= 4 * len(values) + 1024:
            table = np.zeros(span, bool)
            table[values - first] = True  # duplicates are harmless
            self._table = (first, table)
        else:
            self._sorted = np.sort(values)

    def _integers(self, column: pa.Array) -> np.ndarray:
        if not self._integers_ready:
            self._prepare_integers()
        values = column.fill_null(0).to_numpy().astype(np.int64, copy=False)
        if self._table is not None:
            first, table = self._table
            offsets = values - first
            inside = offsets.view(np.uint64) < len(table)  # negative offsets wrap: outside
            found = np.zeros(len(values), bool)
            found[inside] = table[offsets[inside]]
        elif self._sorted is not None and len(self._sorted):
            where = np.searchsorted(self._sorted, values).clip(0, len(self._sorted) - 1)
            found = self._sorted[where] == values
        else:
            found = np.zeros(len(values), bool)
        if column.null_count:
            found &= np.asarray(column.is_valid())
        return found


def _arrow_ids(ids) -> pa.Array:
    """Ids from NumPy or a list: an object array of texts stays text, whatever it looks like."""
    values = np.asarray(ids)
    if values.dtype == object:
        return pa.array([None if v is None else str(v) for v in values.tolist()], pa.string())
    return pa.array(values)
