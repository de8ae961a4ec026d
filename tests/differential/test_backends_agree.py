"""Differential tests: random conditions over a null-heavy store give identical true / false /
unknown on every backend — NumPy unoptimized and optimized, SQLite, DuckDB and PostgreSQL, and
Spark (marked ``spark``, fewer examples).

The store is written to each database once per module; hypothesis varies the expressions.
"""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from hypothesis import given, settings

from tests.conformance.harness import compile_condition
from tests.conformance.test_conformance import _write
from tests.fixtures.postgres import empty_database
from tests.fixtures.spark import write_parquet_store
from winlang.backends.base import RunContext
from winlang.backends.numpy import NumpyBackend
from winlang.contracts.source import Layout
from winlang.sources import open_source
from winlang.sources.memory import MemorySource

from .strategies import NOW, condition, store

CUSTOMERS, EVENTS = store()


def _sql(url: str):
    engine = sa.create_engine(url)
    _write(engine, CUSTOMERS, EVENTS)
    engine.dispose()
    from winlang.backends.sql import SqlBackend

    return SqlBackend(), open_source(url, Layout())


@pytest.fixture(scope="module")
def backends(tmp_path_factory, request) -> dict[str, tuple[object, object]]:
    """Each backend with its store; PostgreSQL joins when a server is available."""
    folder = tmp_path_factory.mktemp("differential")
    found = {
        "numpy": (NumpyBackend(), MemorySource(CUSTOMERS, EVENTS)),
        "sqlite": _sql(f"sqlite:///{folder / 'store.db'}"),
        "duckdb": _sql(f"duckdb:///{folder / 'store.duckdb'}"),
    }
    # without a server (locally) the other backends still compare; CI always has one
    with contextlib.suppress(pytest.skip.Exception):
        url = request.getfixturevalue("postgres_url")
        found["postgres"] = _sql(url)
        request.addfinalizer(lambda: empty_database(url, found["postgres"][1]))
    return found


def _values(backend, source, node) -> list[object]:
    ids, (column,) = backend.values([node], source, RunContext(now=NOW))
    by_id = dict(zip(ids.tolist(), column.to_pylist(), strict=True))
    return [by_id[i] for i in sorted(by_id)]


@given(condition())
def test_every_backend_agrees(backends, text):
    optimized, _ = compile_condition(text, optimized=True)
    plain, _ = compile_condition(text, optimized=False)
    backend, source = backends["numpy"]
    reference = _values(backend, source, plain)
    assert _values(backend, source, optimized) == reference, f"optimizer changed {text!r}"
    for name, (backend, source) in backends.items():
        if name != "numpy":
            assert _values(backend, source, optimized) == reference, f"{name}: {text!r}"


# Spark: each example is a Spark job of about a second, so a few dozen, not a thousand; the
# conformance corpus covers every construct on it case by case.
SPARK_EXAMPLES = 10


@pytest.fixture(scope="module")
def spark_backend(tmp_path_factory, spark_session) -> tuple[object, object]:
    from winlang.backends.sql import SqlBackend

    url = write_parquet_store(tmp_path_factory.mktemp("differential-spark"), CUSTOMERS, EVENTS)
    return SqlBackend(), open_source(url, Layout())


@pytest.mark.spark
@settings(max_examples=SPARK_EXAMPLES)
@given(condition())
def test_spark_agrees_with_numpy(backends, spark_backend, text):
    optimized, _ = compile_condition(text, optimized=True)
    plain, _ = compile_condition(text, optimized=False)
    reference = _values(*backends["numpy"], plain)
    assert _values(*spark_backend, optimized) == reference, f"spark: {text!r}"
