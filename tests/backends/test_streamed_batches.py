"""Decisions read from Arrow batches of grouped rows (DuckDB's streamed decisions): the same
Decisions the Python rows give, an id that occurs twice kept twice, carried values aligned."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from winlang.backends.sql.backend import streamed_batches
from winlang.backends.sql.dialects import dialect_named
from winlang.plan import ir

DUCKDB = dialect_named("duckdb")


def _batch(rows: list[tuple]) -> pa.RecordBatch:
    r, ids, n, email = zip(*rows, strict=True)
    return pa.RecordBatch.from_arrays(
        [
            pa.array(r, pa.int32()),
            pa.array(ids, pa.int64()),
            pa.array(n, pa.int64()),
            pa.array(email, pa.string()),
        ],
        names=["r", "id", "n", "k0"],
    )


def test_matched_rows_sorted_by_id_with_their_values_and_the_audience_counted():
    email = ir.Column("email", "text")
    batches = [
        _batch([(1, 9, 1, "i@x"), (-1, None, 5, None), (0, 3, 2, "c@x")]),
        _batch([(2, 1, 1, None)]),
        _batch([(-1, None, 1, None)]),
    ]
    decided = streamed_batches(iter(batches), DUCKDB, [email])
    assert decided.audience == 1 + 5 + 2 + 1 + 1
    assert decided.ids.tolist() == [1, 3, 3, 9]
    assert decided.rules.tolist() == [2, 0, 0, 1] and decided.rules.dtype == np.int32
    assert decided.values[email].to_pylist() == [None, "c@x", "c@x", "i@x"]


def test_no_matched_customer():
    email = ir.Column("email", "text")
    decided = streamed_batches(iter([_batch([(-1, None, 4, None)])]), DUCKDB, [email])
    assert decided.audience == 4 and decided.ids.size == 0
    assert decided.values[email].type == pa.string() and len(decided.values[email]) == 0
