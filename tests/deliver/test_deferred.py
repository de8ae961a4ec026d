"""Deferred means sent: a firing deferred by quiet hours waits in the ledger with its due
time, and a later run sends it once the customer's quiet hours are over — after checking
again that they still match the rule and may be messaged — and never plans it twice.

The scenario of issue 9: a campaign run daily at 08:00 UTC, when it is night in the US."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.deliver.test_run_cli import ledger, outbox
from winlang.cli import cli
from winlang.deliver.ledger import Ledger
from winlang.deliver.prepare import Firing
from winlang.state import open_state

DAY1 = "2026-11-22T08:00:00Z"
DAY2 = "2026-11-23T08:00:00Z"
CONFIG = """[store]
url = "sqlite:///shop.db"
[state]
url = "sqlite:///state.db"
"""
CAMPAIGN = """campaign "daily"
  quiet hours 21:00 to 09:00
template hi sms "Hi {first_name|there}, 10% off today"
rule lapsed: when orders > 0 then send sms hi
"""
CUSTOMERS = [  # id, first_name, orders, consent_sms, timezone
    (1, "Ana", 1, 1, "America/New_York"),  # 03:00 at the daily run; due 14:00 UTC
    (2, "Bo", 1, 1, "America/Chicago"),  # due 15:00 UTC
    (3, "Cy", 1, 1, "America/Los_Angeles"),  # due 17:00 UTC
    (4, "Di", 1, 1, "America/Denver"),  # orders again in between: no longer matches
    (5, "Ed", 1, 1, "America/New_York"),  # withdraws consent in between
    (6, "Flo", 1, 1, "America/New_York"),  # unsubscribes in between
    (7, "Gus", 1, 1, "Asia/Tokyo"),  # 17:00: sent by the first run
]


def make_project(folder: Path) -> Path:
    with sqlite3.connect(folder / "shop.db") as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
            " phone TEXT, consent_sms BOOLEAN, timezone TEXT)"
        )
        db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, '+' || ?, ?, ?)",
            [(i, n, o, i, c, z) for i, n, o, c, z in CUSTOMERS],
        )
    (folder / "winlang.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def run(project: Path, now: str, *args: str) -> dict:
    config = ["--config", str(project / "winlang.toml")]
    command = ["run", str(project / "c.win"), "--now", now, "--format", "json", *config, *args]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def change_in_between(project: Path) -> None:
    """Customer 4 orders again (the rule no longer matches), 5 withdraws consent, 6
    unsubscribes through an ingested event."""
    with sqlite3.connect(project / "shop.db") as db:
        db.execute("UPDATE customers SET orders = 0 WHERE id = 4")
        db.execute("UPDATE customers SET consent_sms = 0 WHERE id = 5")
    events = project / "events.jsonl"
    events.write_text(
        '{"event_id": "u6", "customer_id": 6, "type": "unsubscribe", "channel": "sms",'
        ' "occurred_at": "2026-11-22T10:00:00Z"}\n',
        encoding="utf-8",
    )
    config = ["--config", str(project / "winlang.toml")]
    result = CliRunner().invoke(cli, ["ingest", str(events), *config])
    assert result.exit_code == 0, result.output


def sent_to(project: Path) -> list[str]:
    return sorted(m["customer_id"] for m in outbox(project, "sms"))


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def test_the_first_daily_run_keeps_the_deferred_firings_with_their_due_time(project):
    summary = run(project, DAY1)
    assert summary["rules"][0]["skipped"] == {"quiet_hours": 6}
    assert summary["delivery"]["deferred"] == 6
    assert summary["delivery"]["next_due"] == "2026-11-22T14:00:00Z"  # 09:00 in New York
    assert sent_to(project) == ["7"]
    rows = ledger(project, "SELECT customer_id, status, due_at FROM messages ORDER BY id")
    due = {c: (s, d[:16] if d else None) for c, s, d in rows}
    assert due["1"] == ("deferred", "2026-11-22 14:00") and due["3"][1] == "2026-11-22 17:00"
    assert due["7"] == ("sent", None)


def test_a_run_after_the_due_time_sends_the_deferred_once_after_checking_again(project):
    run(project, DAY1)
    change_in_between(project)
    # The same day at 17:00 UTC: 12:00 in New York, 09:00 in Los Angeles.
    summary = run(project, "2026-11-22T17:00:00Z")
    assert sent_to(project) == ["1", "2", "3", "7"]
    rule = summary["rules"][0]
    assert rule["sent"] == 3 and rule["skipped"] == {"no_consent": 1, "unsubscribed": 1}
    assert summary["delivery"]["deferred_dropped"] == 3  # 4, 5 and 6
    assert summary["delivery"]["deferred"] == 0 and summary["delivery"]["next_due"] is None
    reasons = ledger(project, "SELECT customer_id, reason FROM skips WHERE run_id = 2")
    assert ("4", "no_longer_matches") in reasons
    assert ledger(project, "SELECT count(*) FROM messages WHERE status = 'deferred'") == [(0,)]
    # Nothing twice: the next daily runs find every firing done.
    for now in (DAY2, "2026-11-23T17:00:00Z"):
        again = run(project, now)
        assert again["delivery"]["sent"] == 0 and again["delivery"]["planned"] == 0
    assert sent_to(project) == ["1", "2", "3", "7"]
    keys = ledger(project, "SELECT idempotency_key FROM messages WHERE status = 'sent'")
    assert len(keys) == len(set(keys)) == 4


def test_the_next_daily_run_in_quiet_hours_again_keeps_them_waiting_not_sent(project):
    """08:00 UTC is 03:00 in New York on day 2 as on day 1: quiet hours are a promise, so the
    firings wait (not re-planned, not dropped) for a run outside them."""
    run(project, DAY1)
    change_in_between(project)
    summary = run(project, DAY2)
    assert sent_to(project) == ["7"]
    assert summary["delivery"]["deferred"] == 3 and summary["delivery"]["deferred_dropped"] == 3
    assert summary["delivery"]["next_due"] == "2026-11-23T14:00:00Z"
    rows = ledger(project, "SELECT customer_id, run_id FROM messages WHERE status = 'deferred'")
    assert sorted(rows) == [("1", 2), ("2", 2), ("3", 2)]  # the same rows, re-deferred
    # Any later run at or after the due time sends them; --only-deferred plans nothing new.
    with sqlite3.connect(project / "shop.db") as db:
        db.execute("INSERT INTO customers VALUES (8, 'Hal', 1, '+8', 1, 'Europe/London')")
    late = run(project, "2026-11-23T17:00:00Z", "--only-deferred")
    assert late["rules"][0]["matched"] == 3 and late["delivery"]["sent"] == 3
    assert sent_to(project) == ["1", "2", "3", "7"]  # customer 8 waits for a full run
    assert run(project, "2026-11-23T17:00:00Z")["delivery"]["sent"] == 1


def test_a_run_before_the_due_time_changes_nothing_but_the_due_time(project):
    run(project, DAY1)
    summary = run(project, "2026-11-22T14:30:00Z")  # New York is free, Chicago not yet
    assert sent_to(project) == ["1", "5", "6", "7"]
    assert summary["delivery"]["deferred"] == 3
    assert summary["delivery"]["next_due"] == "2026-11-22T15:00:00Z"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def state_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    engine = request.getfixturevalue("postgres_engine")
    return engine.url.render_as_string(hide_password=False)


def test_two_ledgers_taking_over_one_deferred_firing_write_it_once(state_url):
    from datetime import UTC, datetime

    from winlang.contracts.message import Message

    state = open_state(state_url)
    message = Message("d/r/1/0", "d", "r", "1", "sms", "hi", "+1", text="hi", parts=1)
    due = datetime(2026, 11, 22, 14)

    def firing(status: str) -> Firing:
        return Firing("d/r/1/0", "r", "1", 0, status, None, ((0, message),), (),
                      due if status == "deferred" else None)  # fmt: skip

    first = Ledger(state, "d", datetime(2026, 11, 22, 8, tzinfo=UTC))
    first.start()
    assert first.record_plan([firing("deferred")], []) == {"d/r/1/0"}
    a, b = (Ledger(state, "d", datetime(2026, 11, 22, 15, tzinfo=UTC)) for _ in range(2))
    a.start(), b.start()
    assert a.record_plan([firing("planned")], []) == {"d/r/1/0"}
    assert b.record_plan([firing("planned")], []) == set()  # no longer deferred: not b's
    assert len(a.claim(10)) == 1 and b.claim(10) == []
    assert b.drop_deferred([(1, first.run_id)], []) == 0  # planned now: never dropped
    state.engine.dispose()


def test_a_run_that_leaves_messages_deferred_says_when_they_are_due(project):
    config = ["--config", str(project / "winlang.toml")]
    result = CliRunner().invoke(cli, ["run", str(project / "c.win"), "--now", DAY1, *config])
    assert result.exit_code == 0, result.output
    assert "6 messages deferred by quiet hours wait in the ledger, the first due at " in (
        result.stderr
    )
    assert "2026-11-22T14:00:00Z" in result.stderr
    assert "deferred 6 · next due 2026-11-22T14:00:00Z" in result.stdout


def test_only_deferred_is_not_a_dry_run(project):
    config = ["--config", str(project / "winlang.toml")]
    command = ["run", str(project / "c.win"), "--dry-run", "--only-deferred", *config]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2 and "--only-deferred" in result.output


# ---- the same on DuckDB and Parquet stores ----------------------------------------------------


def _rows(changed: bool) -> list[dict]:
    rows = []
    for i, name, orders, consent, zone in CUSTOMERS:
        if changed and i == 4:
            orders = 0
        if changed and i == 5:
            consent = 0
        rows.append(
            {"id": i, "first_name": name, "orders": orders, "phone": f"+{i}",
             "consent_sms": bool(consent), "timezone": zone}
        )  # fmt: skip
    return rows


def _write_store(folder: Path, kind: str, changed: bool) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    customers = pa.Table.from_pylist(_rows(changed))
    events = pa.table(
        {
            "customer_id": pa.array([], pa.int64()),
            "type": pa.array([], pa.string()),
            "occurred_at": pa.array([], pa.timestamp("us")),
        }
    )
    if kind == "parquet":
        (folder / "pq").mkdir(exist_ok=True)
        pq.write_table(customers, folder / "pq" / "customers.parquet")
        pq.write_table(events, folder / "pq" / "events.parquet")
        return f"parquet://{folder / 'pq'}"
    import duckdb

    path = folder / ("changed.duckdb" if changed else "shop.duckdb")  # the first stays open
    with duckdb.connect(str(path)) as db:
        for name, table in (("customers", customers), ("events", events)):
            db.register("source", table)
            db.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM source")
            db.unregister("source")
    return f"duckdb:///{path}"


@pytest.mark.parametrize("kind", ["duckdb", "parquet"])
def test_deferred_firings_on_other_stores(tmp_path, kind):
    project = make_project(tmp_path)
    url = _write_store(tmp_path, kind, changed=False)
    config = CONFIG.replace('url = "sqlite:///shop.db"', f'url = "{url}"')
    (project / "winlang.toml").write_text(config, encoding="utf-8")
    assert run(project, DAY1)["delivery"]["deferred"] == 6
    changed = _write_store(tmp_path, kind, changed=True)
    (project / "winlang.toml").write_text(config.replace(url, changed), encoding="utf-8")
    change_in_between(project)  # the SQLite file is no longer the store: only the unsubscribe
    later = run(project, DAY2)  # quiet again in the US: nothing sent, 4 and 5 dropped
    assert later["delivery"]["deferred"] == 3 and later["delivery"]["deferred_dropped"] == 3
    done = run(project, "2026-11-23T17:00:00Z", "--only-deferred")
    assert done["delivery"]["sent"] == 3 and sent_to(project) == ["1", "2", "3", "7"]
