"""DuckDB's own ``lower`` is the language's (Python's ``str.lower``) for every code point but
the two the DuckDB dialect sends to the Python function: what lets ``lower(x)`` stay in
DuckDB's code for any other text. Checked over every code point, and through the dialect on
the texts where the two differ."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlalchemy as sa

from winlang.plan import ir

from .sql_support import NOW, col, customers, store, values

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("duckdb_engine")

SENT_TO_PYTHON = "İΣ"  # the DuckDB dialect's exceptions (dialects/duckdb.py)


def test_duckdb_lower_is_pythons_for_every_other_code_point():
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    connection = duckdb.connect()
    connection.register("t", pa.table({"c": points}))
    lowered = connection.sql("SELECT lower(c) AS l FROM t").to_arrow_table().column("l")
    differ = {c for c, low in zip(points, lowered.to_pylist(), strict=True) if low != c.lower()}
    assert differ <= set(SENT_TO_PYTHON), sorted(differ)


def test_lower_on_duckdb_is_the_languages_where_duckdb_alone_is_not(tmp_path):
    texts = ["ΟΔΟΣ", "İstanbul", "ΣΑΣ Σ", "ẞ Straße", "Σ", "ÀÉÎ Ĳ", "abc", "", None, "ǅ ς"]
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    source = store(engine, customers(t=texts))
    lowered = values(source, ir.Function("lower", (col("t", "text"),)), NOW)
    assert lowered == [None if t is None else t.lower() for t in texts]
    assert lowered[0] == "οδος" and lowered[1] == "i̇stanbul"  # what DuckDB alone misses
    engine.dispose()
