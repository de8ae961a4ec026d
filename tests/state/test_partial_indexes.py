"""Migration 0006: the index of messages to send becomes two partial indexes (planned rows
by campaign and claiming run, deferred rows by campaign and due time). A ledger written
before it keeps working: its planned rows are claimed, its deferred ones found, its claims
left by a dead run freed."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import sqlalchemy as sa

from tests.state.test_message_ids import migrate
from winlang.state import HEAD, open_state

AT = datetime(2026, 11, 22, 10)
COLUMNS = (
    "idempotency_key, run_id, campaign, rule, customer_id, occurrence, status, attempts, "
    "planned_at, claimed_by, due_at, step, payload, channel"
)


def _payload(key: str) -> str:
    message = {"idempotency_key": key, "campaign": "c", "rule": "r", "customer_id": "1"}
    message |= {"channel": "sms", "template": "t", "to": "+40", "text": "hi"}
    return orjson.dumps([{"step": 0, "message": message}]).decode()


def _old_ledger(url: str) -> None:
    """A 0005 ledger: a run that died holding a claim, planned, deferred and sent rows."""
    engine = sa.create_engine(url)
    migrate(engine, "0005")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO runs (campaign, now, dry_run, status, started_at, host, pid, "
            "heartbeat_at) VALUES ('c', ?, 0, 'running', ?, 'elsewhere', 1, ?)",
            (AT, AT, AT - timedelta(days=1)),
        )
        rows = [
            ("c/r/1/0", "planned", None, None),
            ("c/r/2/0", "planned", 1, None),  # claimed by the dead run
            ("c/r/3/0", "sent", None, None),
            ("c/r/4/0", "deferred", None, AT + timedelta(hours=9)),
            ("other/r/5/0", "planned", None, None),  # another campaign's
        ]
        connection.exec_driver_sql(
            f"INSERT INTO messages ({COLUMNS}) VALUES (?, 1, ?, 'r', ?, 0, ?, 0, ?, ?, ?, 0, ?, "
            "'sms')",
            [
                (key, key.split("/")[0], key.split("/")[2], status, AT, by, due, _payload(key))
                for key, status, by, due in rows
            ],
        )
    engine.dispose()


def test_a_ledger_from_0005_is_claimed_through_the_partial_indexes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    _old_ledger(url)
    state = open_state(url)  # migrates to the head
    assert state.version() == HEAD
    with state.engine.connect() as connection:
        indexes = {
            name: sql
            for name, sql in connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
    assert "messages_to_send" not in indexes
    assert "WHERE status = 'planned'" in indexes["messages_to_claim"]
    assert "WHERE status = 'deferred'" in indexes["messages_deferred"]

    ledger = state.ledger("c", AT, 300.0)
    ledger.start()
    assert ledger.release_dead_runs() == 1  # the dead run's claim is free again
    assert {key for key in ledger.deferred()} == {("r", "4")}
    assert ledger.next_due() == AT + timedelta(hours=9)
    assert ledger.waiting() == 1
    claimed = ledger.claim(10)
    assert [row.key for row in claimed] == ["c/r/1/0", "c/r/2/0"]  # not another campaign's
    assert ledger.claim(10) == []
    ledger.finish("failed")  # its claims go back
    again = state.ledger("c", AT, 300.0)
    again.start()
    assert [row.key for row in again.claim(10)] == ["c/r/1/0", "c/r/2/0"]
    again.finish("finished")
    state.close()


def test_claims_and_deferred_reads_use_the_partial_indexes(tmp_path) -> None:
    """The claim, the claims a run leaves and the next due time read the partial indexes,
    not the whole ledger."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    state = open_state(url)
    ledger = state.ledger("c", AT, 300.0)
    ledger.start()
    plans: list[str] = []

    def explain(connection, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "SELECT MIN")):
            plan = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(" ".join(str(row[-1]) for row in plan))

    sa.event.listen(state.engine, "before_cursor_execute", explain)
    try:
        ledger.claim(10)
        ledger.next_due()
    finally:
        sa.event.remove(state.engine, "before_cursor_execute", explain)
    assert any("messages_to_claim" in plan for plan in plans), plans
    assert any("messages_deferred" in plan for plan in plans), plans
    ledger.finish("finished")
    state.close()
