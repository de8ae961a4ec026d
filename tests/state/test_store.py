"""The state store's typed methods, on SQLite and on a real PostgreSQL: each write read back
through the store itself (no test here reads a table directly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from winlang.plan import ir
from winlang.state import StateStore, open_state
from winlang.state.records import (
    FiringRecord,
    ListChange,
    PlannedRow,
    RowUpdate,
    SkipRow,
    SuppressionRow,
)

NOW = datetime(2026, 11, 22, 10)
LATER = NOW + timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        url = request.getfixturevalue("postgres_engine").url.render_as_string(False)
    state = open_state(url)
    yield state
    state.close()


def planned(customer: str, status: str = "planned", **values) -> PlannedRow:
    fields = {
        "channel": "email",
        "template": "hello",
        "address": f"{customer}@example.com",
        "step": 0,
        "payload": '[{"step": 0}]',
    }
    return PlannedRow(
        f"shop/welcome/{customer}/0",
        "welcome",
        customer,
        0,
        status,
        **{
            **(fields if status in ("planned", "deferred") else {}),
            **values,
        },
    )


def test_a_plan_is_written_once_and_claimed_and_settled(store: StateStore):
    ledger = store.ledger("shop", NOW)
    run = ledger.start()
    rows = [planned("1"), planned("2"), planned("3", "held_out", variant="B")]
    assert ledger.record_plan(rows, [SkipRow("welcome", "4", "no_consent")]) == {
        r.key for r in rows
    }
    again = store.ledger("shop", NOW)
    again.start()
    assert again.record_plan([planned("1")], []) == set()  # the key is taken: not this run's

    claimed = ledger.claim(10)
    assert [(c.customer_id, c.planned_by, c.attempts, c.step) for c in claimed] == [
        ("1", run, 0, 0),
        ("2", run, 0, 0),
    ]
    assert ledger.claim(10) == []  # held by this run now
    sent = {"status": "sent", "sent_at": NOW, "claimed_by": None, "attempts": 1}
    ledger.apply([RowUpdate(c.id, sent) for c in claimed])
    ledger.finish("finished", {"planned": 2})

    firings = store.firings("shop", LATER)
    assert sorted((f.customer_id, f.status, f.variant) for f in firings) == [
        ("1", "sent", None),
        ("2", "sent", None),
        ("3", "held_out", "B"),
    ]
    assert all(isinstance(f, FiringRecord) and f.planned_at == NOW for f in firings)
    assert store.firings("shop", NOW - timedelta(seconds=1)) == []
    assert store.run_count("shop") == 2 and store.run_count("other") == 0
    assert [(s.customer_id, s.reason) for s in store.run_skips(run)] == [("4", "no_consent")]
    assert {m.customer_id for m in store.run_messages(run)} == {"1", "2", "3"}
    assert store.sent_channel("shop", "1", "hello") == "email"
    assert store.sent_channel("shop", "3", "hello") is None  # held out: nothing sent
    assert [campaign for _, campaign in store.runs()] == ["shop", "shop"]


def test_sent_history_leaves_out_the_runs_own_work(store: StateStore):
    ledger = store.ledger("shop", NOW)
    ledger.start()
    ledger.record_plan([planned("1")], [])
    [claimed] = ledger.claim(1)
    ledger.apply([RowUpdate(claimed.id, {"status": "sent", "sent_at": NOW, "claimed_by": None})])

    assert len(store.sent_history("shop", NOW, 3600)) == 0  # this run's own send
    other = store.sent_history("promo", NOW, 3600)
    assert other.customer_ids.tolist() == ["1"] and other.campaigns.tolist() == ["shop"]
    assert other.sent_at.tolist() == [NOW]
    later = store.sent_history("shop", LATER, 3600)
    assert later.customer_ids.tolist() == ["1"]
    assert len(store.sent_history("shop", NOW + timedelta(days=2), 3600)) == 0  # outside


def test_deferred_rows_are_listed_due_and_dropped(store: StateStore):
    ledger = store.ledger("shop", NOW)
    run = ledger.start()
    due = NOW + timedelta(hours=8)
    ledger.record_plan([planned("1", "deferred", due_at=due)], [])
    [(pair, row)] = store.ledger("shop", NOW).deferred().items()
    assert pair == ("welcome", "1") and row.run_id == run and row.occurrence == 0
    assert store.next_due("shop") == due and ledger.waiting() == 1
    assert ledger.drop_deferred([(row.id, run + 1)], []) == 0  # another run's row by now
    assert ledger.drop_deferred([(row.id, run)], [SkipRow("welcome", "1", "gone")]) == 1
    assert store.next_due("shop") is None and ledger.waiting() == 0


def test_list_actions_feed_the_view_and_unsubscribes_suppress(store: StateStore):
    ledger = store.ledger("shop", NOW)
    ledger.start()
    actions = (ListChange("add", "vip"), ListChange("unsubscribe", "sms"))
    ledger.record_plan([planned("1", "done", actions=actions)], [])
    vip = ir.StateFlag("in_list", "vip")
    assert store.view().customers(vip, "shop", NOW).tolist() == []  # own work at now
    assert store.view().customers(vip, "shop", LATER).tolist() == ["1"]
    fired = ir.StateFlag("fired", "welcome")
    assert store.view().customers(fired, "shop", LATER).tolist() == ["1"]

    assert store.suppressions(NOW, campaign="shop") == []  # own unsubscribe at now
    assert store.suppressions(LATER) == [SuppressionRow("1", "sms", NOW, "shop")]


def test_record_unsubscribe_records_once(store: StateStore):
    at = datetime(2026, 11, 22, 9, tzinfo=UTC)
    assert store.record_unsubscribe("7", "*", at) is True
    assert store.record_unsubscribe("7", "*", at + timedelta(hours=1)) is False
    assert store.suppressions(NOW, customer="7") == [
        SuppressionRow("7", "*", NOW - timedelta(hours=1), None)
    ]
    assert store.suppressions(NOW, customer="8") == []
    assert store.suppressions(NOW - timedelta(hours=2)) == []


def test_ingested_events_are_written_once_and_read_as_arrow(store: StateStore):
    assert store.has_ingested_events() is False
    events = [
        ("e1", "1", "open", "email", "shop", "hello", NOW - timedelta(days=1), None, None),
        ("e2", "2", "purchase", None, None, None, NOW - timedelta(hours=1), 12.5, "mug"),
        ("e3", "1", "click", "email", "shop", "hello", NOW + timedelta(days=1), None, None),
    ]
    with store.event_writer() as writer:
        assert writer.stored(["e1", "e2"]) == {}
        writer.insert(events, NOW)
        writer.suppress([SuppressionRow("2", "*", NOW, None)])
    with store.event_writer() as writer:
        assert writer.stored(["e1", "x"]) == {"e1": events[0]}
    assert store.has_ingested_events() is True
    assert store.suppressions(NOW) == [SuppressionRow("2", "*", NOW, None)]

    table = store.ingested_events(None, ["customer_id", "type", "amount"], None, NOW)
    assert sorted(table.to_pylist(), key=lambda r: r["type"]) == [
        {"customer_id": "1", "type": "open", "amount": None},
        {"customer_id": "2", "type": "purchase", "amount": 12.5},
    ]
    recent = store.ingested_events(["open", "purchase"], ["type"], NOW - timedelta(hours=2), NOW)
    assert recent.column("type").to_pylist() == ["purchase"]
    opened = ir.EventFilter("open", template="hello", window=2 * 86_400)
    only = store.ingested_events(None, ["event_id", "occurred_at"], None, NOW, [opened])
    assert only.column("event_id").to_pylist() == ["e1"]
    assert str(only.schema.field("occurred_at").type) == "timestamp[us]"
    wrong = ir.EventFilter("open", template="other")
    assert store.ingested_events(None, ["event_id"], None, NOW, [wrong]).num_rows == 0


def test_a_lease_has_one_holder_at_a_time(store: StateStore):
    first, second = store.lease("nightly", 60), store.lease("nightly", 60)
    assert first.acquire() is None
    assert second.acquire() == first.holder
    first.release()
    assert second.acquire() is None and first.acquire() == second.holder
