"""Vectorised conversions of raw column values to the Arrow types winlang works with.

Stores that keep times as text (SQLite, CSV) are parsed here, a whole column at a time.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# A trailing UTC designator: timestamps are UTC, so "Z" and "+00:00" add nothing.
_UTC_SUFFIX = r"(Z|[+-]00:?00)$"


class ConvertError(ValueError):
    """A value that does not parse; ``sample`` is the first such value."""

    def __init__(self, message: str, sample: object = None) -> None:
        super().__init__(message)
        self.sample = sample


def parse_timestamps(text: pa.Array) -> pa.Array:
    """ISO-8601 text (``YYYY-MM-DD[ HH:MM:SS[.ffffff]]``, ``T`` or space, optional trailing
    ``Z``/``+00:00``) as ``timestamp[us]``.

    >>> parse_timestamps(pa.array(["2026-11-22T10:00:00Z", None])).to_pylist()[0]
    datetime.datetime(2026, 11, 22, 10, 0)
    """
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    cleaned = pc.replace_substring_regex(pc.utf8_trim_whitespace(text), _UTC_SUFFIX, "")
    try:
        return pc.cast(cleaned, pa.timestamp("us"))
    except pa.ArrowInvalid:
        raise ConvertError(
            "not a timestamp", _first_bad(text, cleaned, pa.timestamp("us"))
        ) from None


def parse_dates(text: pa.Array) -> pa.Array:
    """``YYYY-MM-DD`` text as ``date32``.

    >>> parse_dates(pa.array(["2000-02-29"])).to_pylist()
    [datetime.date(2000, 2, 29)]
    """
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    cleaned = pc.utf8_trim_whitespace(text)
    try:
        return pc.cast(cleaned, pa.date32())
    except pa.ArrowInvalid:
        try:  # a date column written as a timestamp at midnight ("2000-02-29 00:00:00")
            return pc.cast(parse_timestamps(text), pa.date32())
        except (ConvertError, pa.ArrowInvalid):
            raise ConvertError("not a date", _first_bad(text, cleaned, pa.date32())) from None


def _first_bad(original: pa.Array, cleaned: pa.Array, target: pa.DataType) -> object:
    """The first value that does not cast (found by bisection, so only log n casts)."""
    low, high = 0, len(cleaned)
    while high - low > 1:
        middle = (low + high) // 2
        try:
            pc.cast(cleaned.slice(low, middle - low), target)
            low = middle
        except pa.ArrowInvalid:
            high = middle
    return original[low].as_py() if len(original) else None
