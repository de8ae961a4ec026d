"""``customer_batches(..., ids=...)`` on every built-in source, and ``NumpyBackend.values``
with ``ids``: only the customers asked for, the same values as reading everyone, in the
order asked for, null for an id the store does not have; a plugin's source without the
``ids`` parameter still works (filtered after reading)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from tests.sources.support import write_stores
from winlang.backends.base import RunContext
from winlang.backends.numpy import NumpyBackend
from winlang.backends.numpy.run import accepts_ids
from winlang.demo import DemoData, generate
from winlang.plan import ir
from winlang.sources import open_source
from winlang.sources.memory import MemorySource
from winlang.sources.normalize import among

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
KINDS = ["sqlite", "duckdb", "parquet", "csv", "memory"]
COLUMNS = [
    ir.Column("phone", "text", "text"),
    ir.Column("consent_sms", "bool", "bool"),
    ir.Column("timezone", "text", "text"),
    ir.Column("lifetime_value", "number", "number"),
]


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(300, seed=11)


@pytest.fixture(scope="module")
def urls(data, tmp_path_factory) -> dict[str, str]:
    return write_stores(data, tmp_path_factory.mktemp("among"))


def source_of(kind: str, urls: dict[str, str], data: DemoData):
    if kind == "memory":
        return MemorySource(data.customers, data.events)
    return open_source(urls[kind])


WANTED = np.array([250, 3, 999_999, 17, 3, 1], dtype=np.int64)  # unordered, a stranger, twice


@pytest.mark.parametrize("kind", KINDS)
def test_customer_batches_among_ids(kind, urls, data):
    source = source_of(kind, urls, data)
    assert accepts_ids(source)
    batches = list(source.customer_batches(["tier"], 100, ids=WANTED))
    got = sorted(i for b in batches for i in b.column(0).to_pylist())
    assert got == [1, 3, 17, 250]


@pytest.mark.parametrize("kind", KINDS)
def test_values_for_some_ids_match_values_for_all(kind, urls, data):
    source = source_of(kind, urls, data)
    context = RunContext(now=NOW)
    everyone, full = NumpyBackend().values(COLUMNS, source, context)
    ids, some = NumpyBackend().values(COLUMNS, source, context, ids=WANTED)
    assert ids.tolist() == WANTED.tolist()
    row = {value: position for position, value in enumerate(everyone.tolist())}
    for whole, part in zip(full, some, strict=True):
        expected = [whole[row[i]].as_py() if i in row else None for i in WANTED.tolist()]
        assert part.to_pylist() == expected


def test_a_source_without_the_ids_parameter_is_filtered_after_reading(data):
    class Plain:  # a plugin's source, written before ``ids`` existed
        def __init__(self) -> None:
            self.inner = MemorySource(data.customers, data.events)
            self.layout, self.name = self.inner.layout, "plain"

        def schema(self):
            return self.inner.schema()

        def sql_engine(self):
            return None

        def customer_batches(self, columns, batch_size):
            return self.inner.customer_batches(columns, batch_size)

        def event_batches(self, types, columns, since, until):
            return self.inner.event_batches(types, columns, since, until)

    source = Plain()
    assert not accepts_ids(source)
    _, (phones, *_) = NumpyBackend().values(COLUMNS, source, RunContext(now=NOW), ids=WANTED)
    direct = MemorySource(data.customers, data.events)
    _, (expected, *_) = NumpyBackend().values(COLUMNS, direct, RunContext(now=NOW), ids=WANTED)
    assert phones.to_pylist() == expected.to_pylist()


def test_no_ids_at_all():
    source = MemorySource(pa.table({"id": [1, 2], "tier": ["a", "b"]}), _no_events())
    tier = ir.Column("tier", "text", "text")
    ids, (values,) = NumpyBackend().values([tier], source, RunContext(now=NOW), ids=[])
    assert ids.tolist() == [] and values.to_pylist() == []


def test_among_compares_other_types_as_text():
    assert among(pa.array(["7", "8"]), np.array([7])).to_pylist() == [True, False]
    assert among(pa.array([7, 8]), ["8"]).to_pylist() == [False, True]


def _no_events() -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array([], pa.int64()),
            "type": pa.array([], pa.string()),
            "occurred_at": pa.array([], pa.timestamp("us")),
        }
    )


@pytest.mark.parametrize(
    "ids",
    [[5, 7, 5], [10**12, 1], [None, 7], [], [-3], list(range(0, 10_000, 3))],
    ids=["repeated", "sparse", "null", "none", "negative", "dense"],
)
def test_among_integer_ids_by_table_or_search(ids):
    column = pa.array([1, 5, None, 10**12, -3, 7, 9_999])
    expected = [v is not None and v in ids for v in column.to_pylist()]
    assert among(column, pa.array(ids, pa.int64())).to_pylist() == expected


def test_duckdb_connections_draw_no_progress_bar(urls):
    """DuckDB prints a progress bar on standard output for long queries, which would break
    ``winlang run --format json``: the source's connections turn it off."""
    source = open_source(urls["duckdb"])
    with source.sql_engine().connect() as connection:
        setting = connection.exec_driver_sql(
            "SELECT current_setting('enable_progress_bar')"
        ).scalar()
    assert setting is False
