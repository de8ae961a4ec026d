"""`values(..., ids=...)` on the SQL backend: only those customers, in the order asked, with
nulls for an id the store lacks — the database filters, on SQLite, DuckDB and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest

from winlang.backends.base import RunContext
from winlang.backends.sql import SqlBackend

from .sql_support import DATABASES, NOW, col, customers, make_engine, store


@pytest.fixture(params=DATABASES)
def source(request, tmp_path):
    engine = make_engine(request, request.param, tmp_path)
    yield store(engine, customers(phone=["+1", None, "+3", "+4"], orders=[1, 2, None, 4]))
    engine.dispose()


def test_only_the_customers_asked_for_in_that_order(source):
    nodes = [col("phone", "text"), col("orders")]
    ids, arrays = SqlBackend().values(nodes, source, RunContext(now=NOW), ids=np.array([3, 1, 9]))
    assert ids.tolist() == [3, 1, 9]
    assert [a.to_pylist() for a in arrays] == [["+3", "+1", None], [None, 1.0, None]]


def test_asking_for_nobody_reads_nothing(source):
    ids, arrays = SqlBackend().values(
        [col("orders")], source, RunContext(now=NOW), ids=np.array([], dtype=np.int64)
    )
    assert ids.tolist() == [] and arrays[0].to_pylist() == []
