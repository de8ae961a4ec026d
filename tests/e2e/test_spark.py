"""Spark, end to end: ``winlang run`` on a local session over the Parquet folder
(``spark:///``) and through Spark Connect over catalog tables (``sc://``) writes exactly the
messages and the ledger that SQLite and DuckDB write, run after run (the ledger's facts reach
Spark as temporary views), and a dry run gives the hand-written reference's counts.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.reference import BY_FILE
from tests.e2e.support import CAMPAIGNS_DIR, NOW, Store, project_config, toml_text
from tests.e2e.test_run_counts import assert_report, run_report

pytestmark = pytest.mark.spark

DATABASE = "winlang_e2e"  # the catalog database the Spark Connect tests read
LATER = "2026-11-29T10:00:00Z"  # a week on: fired rules, received messages, lists count
CAMPAIGNS = ["ladder.win", "winback-emails.win", "ab-test.win", "birthday.win"]


@pytest.fixture(scope="module")
def catalog(store: Store, spark_session, spark_connect_url: str) -> str:
    """The test store's Parquet files as catalog tables ``winlang_e2e.customers`` and
    ``winlang_e2e.events`` of the session that serves Spark Connect."""
    spark_session.sql(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    for table in ("customers", "events"):
        path = store.folder / "parquet" / f"{table}.parquet"
        spark_session.sql(f"DROP TABLE IF EXISTS {DATABASE}.{table}")
        spark_session.sql(f"CREATE TABLE {DATABASE}.{table} USING parquet LOCATION '{path}'")
    return spark_connect_url


def config_for(store: Store, kind: str, folder: Path, connect_url: str | None = None) -> Path:
    """A project in ``folder`` (its own ledger and outbox) over the test store as ``kind``."""
    urls = {
        "sqlite": f"sqlite:///{store.folder}/shop.db",
        "duckdb": f"duckdb:///{store.folder}/shop.duckdb",
        "spark": f"spark://{store.folder}/parquet",
        "connect": connect_url,
    }
    document = tomllib.loads(project_config(urls[kind], folder))
    if kind == "connect":
        document["store"] |= {"customers": f"{DATABASE}.customers", "events": f"{DATABASE}.events"}
    path = folder / "winlang.toml"
    path.write_text(toml_text(document), encoding="utf-8")
    return path


def outcome(folder: Path) -> dict:
    """Everything a run leaves: each outbox's messages and the ledger's rows, without the
    columns that name the run's own wall clock or process."""
    outboxes = {
        path.name: sorted(
            json.dumps({k: v for k, v in json.loads(line).items() if k != "sent_at"})
            for line in path.read_text(encoding="utf-8").splitlines()
        )
        for path in sorted((folder / "outbox").glob("*.jsonl"))
    }
    queries = {
        "messages": "SELECT idempotency_key, rule, customer_id, occurrence, channel, template,"
        " variant, address, status, parts, step, payload, due_at FROM messages",
        "skips": "SELECT rule, customer_id, reason, until FROM skips",
        "assignments": "SELECT campaign, kind, customer_id, value FROM assignments",
        "lists": "SELECT list_name, customer_id, campaign, removed_at FROM list_members",
    }
    with sqlite3.connect(folder / "winlang-state.db") as db:
        ledger = {name: sorted(map(repr, db.execute(sql))) for name, sql in queries.items()}
    return {"outboxes": outboxes, "ledger": ledger}


def run_twice(winlang: Callable, config: Path, campaign: str) -> dict:
    for now in (NOW, LATER):
        result = winlang("run", CAMPAIGNS_DIR / campaign, "--now", now, "--config", config)
        assert result.exit_code == 0, result.output
    return outcome(config.parent)


@pytest.mark.parametrize("campaign", CAMPAIGNS)
def test_real_runs_write_the_same_messages_and_ledger_as_sqlite_and_duckdb(
    winlang, store: Store, catalog: str, tmp_path: Path, campaign: str
) -> None:
    results = {}
    for kind in ("sqlite", "duckdb", "spark", "connect"):
        (tmp_path / kind).mkdir()
        config = config_for(store, kind, tmp_path / kind, catalog)
        results[kind] = run_twice(winlang, config, campaign)
    assert results["sqlite"]["ledger"]["messages"], "the campaign sent nothing to compare"
    for kind in ("duckdb", "spark", "connect"):
        assert results[kind] == results["sqlite"], f"{kind} differs from sqlite"


@pytest.mark.parametrize("campaign", ["ladder.win", "shopping-reminders.win", "review-request.win"])
def test_a_dry_run_through_spark_connect_counts_as_the_reference(
    winlang, store: Store, catalog: str, tmp_path: Path, campaign: str
) -> None:
    config = config_for(store, "connect", tmp_path, catalog)
    report = run_report(winlang, config, CAMPAIGNS_DIR / campaign, NOW, "auto")
    assert_report(report, BY_FILE[campaign], store, NOW, "sql")


def test_explain_through_spark_connect(winlang, store: Store, catalog: str, tmp_path: Path) -> None:
    """``explain`` reads one customer's row and events through the client, and decides with
    the pushed-down statement: the same words as on DuckDB."""
    campaign = CAMPAIGNS_DIR / "ladder.win"
    customer = str(store.data.customers.column("id")[0].as_py())
    outputs = {}
    for kind in ("duckdb", "connect"):
        (tmp_path / kind).mkdir()
        config = config_for(store, kind, tmp_path / kind, catalog)
        args = ("explain", campaign, "--customer", customer, "--now", NOW, "--config", config)
        result = winlang(*args)
        assert result.exit_code == 0, result.output
        outputs[kind] = result.output
    assert outputs["connect"] == outputs["duckdb"]
