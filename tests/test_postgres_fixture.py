"""The PostgreSQL fixtures give a real, empty, writable database."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, inspect, select, text
from sqlalchemy.engine import Engine

pytestmark = pytest.mark.postgres


def test_url_uses_psycopg(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://")


def test_select_one(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_table_with_timestamp_round_trips(postgres_engine: Engine) -> None:
    metadata = MetaData()
    visits = Table(
        "visits",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String),
        Column("at", DateTime),
    )
    moment = datetime(2026, 2, 28, 23, 59, 59, 123456)
    metadata.create_all(postgres_engine)
    with postgres_engine.begin() as conn:
        conn.execute(visits.insert(), [{"id": 1, "name": "Ştefan", "at": moment}])
    with postgres_engine.connect() as conn:
        assert conn.execute(select(visits.c.name, visits.c.at)).one() == ("Ştefan", moment)
    assert inspect(postgres_engine).get_table_names() == ["visits"]


def test_each_test_starts_with_an_empty_schema(postgres_engine: Engine) -> None:
    # Runs after the test above: its table must be gone.
    assert inspect(postgres_engine).get_table_names() == []
