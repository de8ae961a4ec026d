"""DuckDB's Unicode case functions on a second connection to the same database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from winlang.backends.sql.dialects.setup import register_duckdb_recase

pytest.importorskip("duckdb_engine")


def test_a_second_connection_uses_the_functions_the_first_registered(tmp_path):
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    with engine.connect() as first, engine.connect() as second:
        register_duckdb_recase(first)
        register_duckdb_recase(second)  # the catalog is shared: no "already exists" error
        assert second.exec_driver_sql("SELECT winlang_lower('ÄB')").scalar() == "äb"
    engine.dispose()
