"""Hand-made customer and event tables shared by the NumPy and SQL backend tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pyarrow as pa

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

EVENT_TYPES = {
    "customer_id": pa.int64(),
    "type": pa.string(),
    "channel": pa.string(),
    "campaign": pa.string(),
    "template": pa.string(),
    "occurred_at": pa.timestamp("us"),
    "amount": pa.float64(),
    "product_name": pa.string(),
}


def ago(delta: timedelta, now: datetime = NOW) -> datetime:
    """A naive UTC moment ``delta`` before ``now`` (stores hold naive UTC)."""
    return (now - delta).replace(tzinfo=None)


def customers(**columns: Sequence | pa.Array) -> pa.Table:
    """Customers with ids 1..n and the given columns (types inferred by Arrow)."""
    size = len(next(iter(columns.values()))) if columns else 0
    data = {"id": pa.array(range(1, size + 1), pa.int64())}
    for name, values in columns.items():
        data[name] = values if isinstance(values, pa.Array) else pa.array(values)
    return pa.table(data)


def events(rows: Iterable[Mapping]) -> pa.Table:
    """Events from dicts (missing keys are null)."""
    rows = list(rows)
    return pa.table(
        {name: pa.array([r.get(name) for r in rows], kind) for name, kind in EVENT_TYPES.items()}
    )


NO_EVENTS = events([])
