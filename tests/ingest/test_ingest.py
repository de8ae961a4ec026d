"""``ingest_file``: strict by default, idempotent by event id, conflicts reported, CSV and JSON
Lines alike, unsubscribes suppressed; on a SQLite and a PostgreSQL state."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from winlang.ingest import Counts, ingest_file
from winlang.ingest.records import Problem
from winlang.state import open_state
from winlang.state import tables as T

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
EVENTS = [
    {
        "event_id": "e1",
        "customer_id": 1,
        "type": "open",
        "occurred_at": "2026-11-20T10:00:00Z",
        "channel": "sms",
        "campaign": "shop",
        "template": "survey",
    },
    {
        "event_id": "e2",
        "customer_id": "2",
        "type": "purchase",
        "occurred_at": "2026-11-21T12:00:00+02:00",
        "amount": 12.5,
        "product_name": "socks, red",
    },
    {"event_id": "e3", "customer_id": "3", "type": "unsubscribe", "occurred_at": "2026-11-21"},
    {
        "event_id": "e4",
        "customer_id": "4",
        "type": "unsubscribe",
        "occurred_at": "2026-11-21",
        "channel": "email",
        "campaign": "shop",
    },
    {"event_id": "e5", "customer_id": "5", "type": "bounce", "occurred_at": "2026-11-21"},
    {"event_id": "e6", "customer_id": "x-6", "type": "cart_add", "occurred_at": "2026-11-21"},
]
STORED = {
    ("e1", "1", "open", "sms", "shop", "survey", datetime(2026, 11, 20, 10), None, None),
    ("e2", "2", "purchase", None, None, None, datetime(2026, 11, 21, 10), 12.5, "socks, red"),
    ("e3", "3", "unsubscribe", None, None, None, datetime(2026, 11, 21), None, None),
    ("e4", "4", "unsubscribe", "email", "shop", None, datetime(2026, 11, 21), None, None),
    ("e5", "5", "bounce", None, None, None, datetime(2026, 11, 21), None, None),
    ("e6", "x-6", "cart_add", None, None, None, datetime(2026, 11, 21), None, None),
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        url = request.getfixturevalue("postgres_engine").url.render_as_string(hide_password=False)
    state = open_state(url)
    yield state
    state.engine.dispose()


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def csv_file(path: Path, records: list[dict]) -> Path:
    import csv

    names = ["event_id", "customer_id", "type", "occurred_at", "channel", "campaign"]
    names += ["template", "amount", "product_name"]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, names)
        writer.writeheader()
        writer.writerows(records)
    return path


def ingest(path: Path, state, **options):
    return ingest_file(path, state, ["cart_add"], now=NOW, **options)


def stored(state) -> set[tuple]:
    t = T.ingested_events
    columns = [c for c in t.columns if c.name != "ingested_at"]
    with state.engine.connect() as connection:
        return set(map(tuple, connection.execute(sa.select(*columns))))


def suppressions(state) -> set[tuple]:
    s = T.suppressions.c
    with state.engine.connect() as connection:
        query = sa.select(s.customer_id, s.channel, s.campaign, s.at)
        return set(map(tuple, connection.execute(query)))


@pytest.mark.parametrize("write", [jsonl, csv_file], ids=["jsonl", "csv"])
def test_events_are_stored_once(state, tmp_path, write):
    path = write(tmp_path / f"events.{'jsonl' if write is jsonl else 'csv'}", EVENTS)
    first = ingest(path, state)
    assert first.counts == Counts(read=6, new=6)
    assert first.written and not first.invalid and not first.conflicts
    assert stored(state) == STORED
    again = ingest(path, state)
    assert again.counts == Counts(read=6, already=6)
    assert stored(state) == STORED


def test_batches_change_nothing_but_the_transactions(state, tmp_path):
    path = jsonl(tmp_path / "events.jsonl", [*EVENTS, EVENTS[0]])  # a repeat in another batch
    result = ingest(path, state, batch_size=2)
    assert result.counts == Counts(read=7, new=6, already=1)
    assert stored(state) == STORED


def test_the_time_of_ingest_is_recorded(state, tmp_path):
    ingest(jsonl(tmp_path / "events.jsonl", EVENTS[:1]), state)
    with state.engine.connect() as connection:
        at = connection.execute(sa.select(T.ingested_events.c.ingested_at)).scalar()
    assert at == NOW.replace(tzinfo=None)


def test_an_invalid_record_rejects_the_whole_file(state, tmp_path):
    bad = {**EVENTS[1], "occurred_at": "last tuesday"}
    path = jsonl(tmp_path / "events.jsonl", [EVENTS[0], bad, EVENTS[2]])
    result = ingest(path, state, batch_size=1)
    assert not result.written
    assert result.counts == Counts(read=3, invalid=1)
    assert result.invalid == (Problem(2, "`occurred_at` is not an ISO-8601 time: 'last tuesday'"),)
    assert stored(state) == set()


def test_skip_invalid_stores_the_valid_records(state, tmp_path):
    lines = [json.dumps(EVENTS[0]), "{oops", json.dumps({**EVENTS[1], "type": "buy"})]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest(path, state, skip_invalid=True)
    assert result.written
    assert result.counts == Counts(read=3, new=1, invalid=2)
    assert [p.line for p in result.invalid] == [2, 3]
    assert {row[0] for row in stored(state)} == {"e1"}


def test_a_changed_event_is_a_conflict_and_the_first_version_stays(state, tmp_path):
    ingest(jsonl(tmp_path / "first.jsonl", EVENTS), state)
    changed = [
        {**EVENTS[0], "type": "click"},
        EVENTS[1],
        {**EVENTS[2], "occurred_at": "2026-11-22"},
    ]
    result = ingest(jsonl(tmp_path / "second.jsonl", changed), state)
    assert result.counts == Counts(read=3, already=1, conflicting=2)
    assert result.conflicts == (
        Problem(1, "event `e1` was ingested before with another `type`: 'open' then, 'click' here"),
        Problem(
            3,
            "event `e3` was ingested before with another `occurred_at`: "
            "'2026-11-21 00:00:00' then, '2026-11-22 00:00:00' here",
        ),
    )
    assert stored(state) == STORED


def test_one_id_twice_in_a_file_with_different_content_is_a_conflict(state, tmp_path):
    path = jsonl(tmp_path / "events.jsonl", [EVENTS[0], {**EVENTS[0], "channel": "email"}])
    result = ingest(path, state)
    assert result.counts == Counts(read=2, new=1, conflicting=1)
    assert result.conflicts == (
        Problem(2, "event `e1` is on line 1 too with another `channel`: 'sms' there, 'email' here"),
    )


def test_unsubscribes_suppress_their_channel_or_every_channel(state, tmp_path):
    ingest(jsonl(tmp_path / "events.jsonl", EVENTS), state)
    assert suppressions(state) == {
        ("3", "*", None, datetime(2026, 11, 21)),
        ("4", "email", "shop", datetime(2026, 11, 21)),
    }  # the bounce of customer 5 suppresses nothing: see docs/ingest.md


def test_an_existing_suppression_is_kept(state, tmp_path):
    with state.engine.begin() as connection:
        connection.execute(
            T.suppressions.insert().values(
                customer_id="3", channel="*", campaign="ladder", at=datetime(2026, 1, 1)
            )
        )
    later = [EVENTS[2], {**EVENTS[2], "event_id": "e3b", "occurred_at": "2026-11-22"}]
    result = ingest(jsonl(tmp_path / "events.jsonl", later), state)
    assert result.counts.new == 2
    assert suppressions(state) == {("3", "*", "ladder", datetime(2026, 1, 1))}


def test_problems_shown_are_capped_but_all_counted(state, tmp_path, monkeypatch):
    import winlang.ingest as ingest_module

    monkeypatch.setattr(ingest_module, "KEEP_PROBLEMS", 2)
    path = tmp_path / "events.jsonl"
    path.write_text("[]\n" * 5, encoding="utf-8")
    result = ingest(path, state)
    assert result.counts == Counts(read=5, invalid=5)
    assert [p.line for p in result.invalid] == [1, 2]


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_a_bad_csv_header_rejects_the_file_even_when_skipping(state, tmp_path, skip_invalid):
    path = tmp_path / "events.csv"
    path.write_text("event_id,customer,type,occurred_at\ne1,1,open,2026-11-20\n", "utf-8")
    result = ingest(path, state, skip_invalid=skip_invalid)
    assert result.counts == Counts(read=0, invalid=2)
    assert [p.reason for p in result.invalid] == [
        "unknown column `customer` (did you mean `customer_id`?)",
        "no `customer_id` column",
    ]
    assert not result.written and result.unreadable
