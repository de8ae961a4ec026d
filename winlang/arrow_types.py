"""The Arrow type of each language kind, and the kind of each Arrow type.

Sources hand out Arrow batches and backends hand back Arrow arrays; this is the one table
both read: numbers as float64, text as string, booleans, times as ``timestamp[us]`` (naive
UTC), dates as date32, the null literal as Arrow's null type.

>>> ARROW_TYPES["timestamp"], kind_of_arrow_type(pa.int32()).kind
(TimestampType(timestamp[us]), 'number')
"""

from __future__ import annotations

import pyarrow as pa

from .types import SCALARS, Type

TIMESTAMP = pa.timestamp("us")

ARROW_TYPES: dict[str, pa.DataType] = {
    "number": pa.float64(),
    "text": pa.string(),
    "bool": pa.bool_(),
    "timestamp": TIMESTAMP,
    "date": pa.date32(),
    "null": pa.null(),
}


def kind_of_arrow_type(arrow_type: pa.DataType) -> Type | None:
    """Map an Arrow type to a language type; ``None`` for types that are not fields."""
    t = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
    if pa.types.is_timestamp(t):
        return SCALARS["timestamp"]
    if pa.types.is_date(t):
        return SCALARS["date"]
    if pa.types.is_boolean(t):
        return SCALARS["bool"]
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return SCALARS["number"]
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return SCALARS["text"]
    return None
