"""The Spark source on the run's local session: types, batches, ids, errors, the UTC pin, and
decisions read back in chunks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

from tests.fixtures.spark import write_parquet_store
from winlang.backends.base import RunContext
from winlang.backends.sql import SqlBackend, backend
from winlang.contracts.errors import DataError, PushdownError
from winlang.contracts.source import Layout
from winlang.plan import lower_campaign, optimize
from winlang.project import checked_text
from winlang.sources import open_source

pytestmark = pytest.mark.spark

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
CUSTOMERS = pa.table(
    {
        "id": pa.array(["007", "7", "a", "b", "c", "d"]),
        "ltv": pa.array([1, 2, 3, 4, 5, None], pa.int32()),
        "score": pa.array([0.5, None, 1.5, 2.5, 3.5, 4.5]),
        "vip": pa.array([True, False, None, True, False, True]),
        "name": pa.array(["Zoë", "straße", None, "ΟΔΟΣ", "b", "a"]),
        # an instant (TIMESTAMP in Spark, not NTZ): read back as naive UTC
        "seen": pa.array(
            [datetime(2026, 11, 1, 23, 30), None, *[datetime(2026, 1, 1)] * 4],
            pa.timestamp("us", tz="UTC"),
        ),
        "born": pa.array([date(1990, 11, 22), None, *[date(2000, 2, 29)] * 4]),
        "phone": pa.array(["+40700000001"] * 6),
        "consent_sms": pa.array([True] * 6),
    }
)
EVENTS = pa.table(
    {
        "customer_id": pa.array(["007", "007", "7", "a"]),
        "type": pa.array(["open", "purchase", "open", "open"]),
        "occurred_at": pa.array(
            [datetime(2026, 11, 20), datetime(2026, 11, 21), datetime(2026, 10, 1), None],
            pa.timestamp("us"),
        ),
    }
)
SCHEMA_TYPES = {"id": "text", "ltv": "number", "score": "number", "vip": "bool", "name": "text",
                "seen": "timestamp", "born": "date", "phone": "text",
                "consent_sms": "bool"}  # fmt: skip


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    url = write_parquet_store(tmp_path_factory.mktemp("spark-source"), CUSTOMERS, EVENTS)
    return open_source(url, Layout())


def test_the_schema_has_each_columns_kind(source) -> None:
    assert {n: t.kind for n, t in source.schema().customers.items()} == SCHEMA_TYPES
    assert set(source.schema().events) == {"customer_id", "type", "occurred_at"}


def test_customer_batches_keep_text_ids_and_read_instants_as_utc(source) -> None:
    (batch,) = source.customer_batches(["seen", "ltv"], 100, ids=pa.array(["007", "c"]))
    rows = sorted(batch.to_pylist(), key=lambda r: r["id"])
    assert rows == [
        {"id": "007", "seen": datetime(2026, 11, 1, 23, 30), "ltv": 1},
        {"id": "c", "seen": datetime(2026, 1, 1), "ltv": 5},
    ]
    assert batch.schema.field("seen").type == pa.timestamp("us")


def test_customer_batches_come_in_chunks_of_the_batch_size(source) -> None:
    sizes = [b.num_rows for b in source.customer_batches(["name"], 4)]
    assert sizes == [4, 2]


def test_event_batches_filter_by_type_and_time(source) -> None:
    batches = source.event_batches(["open"], None, datetime(2026, 11, 1), datetime(2026, 11, 22))
    assert [b.to_pylist() for b in batches] == [
        [{"customer_id": "007", "type": "open", "occurred_at": datetime(2026, 11, 20)}]
    ]


def test_a_missing_table_or_column_is_one_line(tmp_path: Path, source) -> None:
    empty = open_source(f"spark://{tmp_path}", Layout())
    with pytest.raises(DataError, match=r"the table `customers` is missing: there is no "):
        empty.schema()
    with pytest.raises(DataError, match=r"the `customers` table has no column `nope`"):
        next(source.customer_batches(["nope"], 10))


def _plan(text: str, schema):
    checked = checked_text(text, schema, path="t.win")
    return optimize(lower_campaign(checked)[0])


CAMPAIGN = """campaign "spark-unit"
template t sms "x"
rule a: when lower(name) = "straße" or upper(name) = "ΟΔΟΣ" then send sms t
rule b: when birthday_is_today then send sms t
rule c: when opened within 7 days then send sms t
rule d: when ltv >= 4 then send sms t
"""


def test_decisions_are_read_back_in_chunks_and_match_duckdb(
    source, tmp_path: Path, monkeypatch
) -> None:
    text = CAMPAIGN.replace("birthday_is_today", "born is today")
    plan = _plan(text, source.schema())
    duckdb_url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    engine = sa.create_engine(duckdb_url)
    with engine.begin() as connection:
        raw = connection.connection.driver_connection
        raw.register("c_rows", CUSTOMERS)
        raw.register("e_rows", EVENTS)
        connection.exec_driver_sql("CREATE TABLE customers AS SELECT * FROM c_rows")
        connection.exec_driver_sql("CREATE TABLE events AS SELECT * FROM e_rows")
    engine.dispose()
    expected = SqlBackend().decide(plan, open_source(duckdb_url, Layout()), RunContext(now=NOW))
    monkeypatch.setattr(backend, "CHUNK_ROWS", 2)
    got = SqlBackend().decide(plan, source, RunContext(now=NOW))
    assert got.audience == expected.audience == 6
    assert got.ids.tolist() == expected.ids.tolist()
    assert got.rules.tolist() == expected.rules.tolist()
    assert got.ids.tolist() == ["007", "7", "b", "c"]  # "7" is straße, b is ΟΔΟΣ
    assert got.rules.tolist() == [1, 0, 0, 3]


def test_the_spark_statement_streams_rows_instead_of_gathering_ids(source) -> None:
    from winlang.backends.sql.dialects import dialect_named
    from winlang.backends.sql.statement import decide_statement

    plan = _plan(CAMPAIGN.replace("birthday_is_today", "born is today"), source.schema())
    dialect = dialect_named("databricks")
    statement = decide_statement(plan, Layout(), dialect, {})
    sql = statement.sql(source.sql_engine().dialect)
    assert "collect_list" not in sql and "GROUP BY d.r" in sql
    assert "date_format(CAST(c.`born` AS TIMESTAMP_NTZ)" in sql or "date_format(" in sql


def test_a_session_not_in_utc_is_refused_before_anything_runs(source, spark_session) -> None:
    plan = _plan(CAMPAIGN.replace("birthday_is_today", "born is today"), source.schema())
    spark_session.conf.set("spark.sql.session.timeZone", "Europe/Paris")
    try:
        with pytest.raises(PushdownError, match=r"time zone is 'Europe/Paris'"):
            SqlBackend().decide(plan, source, RunContext(now=NOW))
    finally:
        spark_session.conf.set("spark.sql.session.timeZone", "UTC")


def test_state_flags_reach_the_statement_as_temporary_views(source, spark_session) -> None:
    """`already fired` ids travel as a view, which is gone after the run."""

    class Fired:
        def customers(self, flag, campaign, now):
            return np.array(["b", "d"], dtype=object) if flag.state == "fired" else np.array([])

    plan = _plan(CAMPAIGN.replace("birthday_is_today", "born is today"), source.schema())
    got = SqlBackend().decide(plan, source, RunContext(now=NOW, state=Fired()))
    assert got.ids.tolist() == ["007", "7", "c"]  # b and d fired every rule before
    assert not [t for t in spark_session.catalog.listTables() if t.name.startswith("winlang_")]
