"""The language's exact semantics, as data, on every backend.

Cases come from ``../shared/conformance`` (skipped with a message when absent) and from this
folder. Each backend evaluates every case, optimized and unoptimized; all must give the
expected true / false / null.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.fixtures.postgres import empty_database
from tests.fixtures.spark import write_parquet_store
from winlang.contracts.source import Layout
from winlang.sources import open_source
from winlang.sources.memory import MemorySource

from .harness import SHARED, all_cases, evaluate, tables

CASES = all_cases()


def _write(engine: sa.Engine, customers, events) -> None:
    """Create typed tables and load the case rows (SQLAlchemy types → real column types)."""
    types = {
        "double": sa.Double,  # 64-bit everywhere (DuckDB FLOAT is 32-bit)
        "string": sa.String,
        "bool": sa.Boolean,
        "timestamp[us]": sa.DateTime,
        "date32[day]": sa.Date,
    }
    metadata = sa.MetaData()
    for name, table in (("customers", customers), ("events", events)):
        columns = [sa.Column(f.name, types[str(f.type)]()) for f in table.schema]
        created = sa.Table(name, metadata, *columns)
        metadata.drop_all(engine, [created])
        metadata.create_all(engine, [created])
        with engine.begin() as connection:
            rows = table.to_pylist()
            if rows:
                connection.execute(created.insert(), rows)


def _sql_source(url: str):
    sources = pytest.importorskip("winlang.sources")
    customers, events = tables(CASES)
    engine = sa.create_engine(url)
    _write(engine, customers, events)
    engine.dispose()
    return sources.open_source(url, Layout())


@pytest.fixture(
    scope="module",
    params=[
        "numpy",
        "sqlite",
        "duckdb",
        "postgres",
        pytest.param("spark", marks=pytest.mark.spark),
    ],
)
def backend_and_source(request, tmp_path_factory):
    if request.param == "numpy":
        module = pytest.importorskip("winlang.backends.numpy")
        customers, events = tables(CASES)
        return module.NumpyBackend(), MemorySource(customers, events)
    module = pytest.importorskip("winlang.backends.sql")
    if request.param == "spark":
        request.getfixturevalue("spark_session")
        customers, events = tables(CASES)
        url = write_parquet_store(tmp_path_factory.mktemp("conformance-spark"), customers, events)
        return module.SqlBackend(), open_source(url, Layout())
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('conformance') / 'store.db'}"
    elif request.param == "duckdb":
        pytest.importorskip("duckdb_engine")
        url = f"duckdb:///{tmp_path_factory.mktemp('conformance') / 'store.duckdb'}"
    else:
        url = request.getfixturevalue("postgres_url")
    source = _sql_source(url)
    if request.param == "postgres":
        request.addfinalizer(lambda: empty_database(url, source))
    return module.SqlBackend(), source


@pytest.fixture(scope="module")
def results(backend_and_source):
    backend, source = backend_and_source
    return {
        "optimized": evaluate(backend, source, CASES, optimized=True),
        "unoptimized": evaluate(backend, source, CASES, optimized=False),
    }


@pytest.mark.parametrize("mode", ["optimized", "unoptimized"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.origin}:{c.id}")
def test_case(case, mode, results):
    assert results[mode][case.id] == case.expect, f"{case.expr!r} on {case.customer}"


def test_shared_cases_present():
    if not SHARED.exists():
        pytest.skip(f"shared conformance cases not found at {SHARED}; they are in CI")
    assert any(c.origin == "shared" for c in CASES)
