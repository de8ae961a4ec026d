"""`winlang run` without --dry-run: the ledger, the outbox, actions, failover and retries."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from winlang.cli import cli
from winlang.policies.hashing import holdout
from winlang.state import tables as T
from winlang.testing import LocalHttpServer, Reply

NOW = "2026-11-22T13:00:00Z"  # 22:00 in Seoul: inside quiet hours there

CAMPAIGN = """campaign "c"
  quiet hours 21:00 to 09:00
template hi sms "hi {first_name|there}"
template hi_push push "hi"
rule hello: when orders > 0 then send sms hi else send push hi_push
rule tagged: when orders = 0 then add to list "new" and unsubscribe from sms
rule welcome: when in list "new" then send push hi_push
"""
# id, first_name, orders, phone, consent_sms, push_token, consent_push, timezone
CUSTOMERS = [
    (1, "Ana", 1, "+1", 1, None, 0, "UTC"),  # sms
    (2, "Bo", 1, "+2", 0, None, 0, "UTC"),  # no consent anywhere: skipped
    (3, None, 1, "+3", 1, "tok3", 1, "UTC"),  # sms; push usable as failover
    (4, "Dan", 1, "+4", 0, "tok4", 1, "UTC"),  # push (failover at planning)
    (5, "Eun", 1, "+5", 1, None, 0, "Asia/Seoul"),  # deferred: quiet hours
    (6, "Fay", 0, "+6", 1, "tok6", 1, "UTC"),  # tagged, then welcomed on the next run
]
CONFIG = """[store]
url = "sqlite:///shop.db"
[state]
url = "sqlite:///state.db"
[delivery]
backoff_seconds = 0
"""


def make_project(folder: Path, config: str = CONFIG, campaign: str = CAMPAIGN) -> Path:
    db = sqlite3.connect(folder / "shop.db")
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
        " phone TEXT, consent_sms BOOLEAN, push_token TEXT, consent_push BOOLEAN,"
        " timezone TEXT)"
    )
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)", CUSTOMERS)
    db.commit()
    db.close()
    (folder / "winlang.toml").write_text(config, encoding="utf-8")
    (folder / "c.win").write_text(campaign, encoding="utf-8")
    return folder


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def run(project: Path, *args: str, now: str = NOW):
    config = ["--config", str(project / "winlang.toml")]
    command = ["run", str(project / "c.win"), "--now", now, "--format", "json", *config, *args]
    return CliRunner().invoke(cli, command)


def report(project: Path, *args: str, now: str = NOW) -> dict:
    result = run(project, *args, now=now)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def outbox(project: Path, channel: str) -> list[dict]:
    path = project / "outbox" / f"{channel}.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def ledger(project: Path, query: str) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{project / 'state.db'}")
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.exec_driver_sql(query)]
    engine.dispose()
    return rows


def test_a_run_sends_through_the_outbox_and_records_every_firing(project):
    summary = report(project)
    hello = summary["rules"][0]
    assert hello["sent"] == 3 and hello["channels"] == {"push": 1, "sms": 2}
    assert hello["skipped"] == {"no_consent": 1, "quiet_hours": 1}
    assert summary["delivery"]["sent"] == 3 and summary["dry_run"] is False
    sms = outbox(project, "sms")
    assert [(m["customer_id"], m["text"]) for m in sms] == [("1", "hi Ana"), ("3", "hi there")]
    assert sms[0]["idempotency_key"] == "c/hello/1/0"
    assert ledger(project, "SELECT customer_id, status, channel FROM messages ORDER BY id")[:3] == [
        ("1", "sent", "sms"),
        ("3", "sent", "sms"),
        ("4", "sent", "push"),
    ]
    skips = ledger(project, "SELECT customer_id, reason, until FROM skips ORDER BY customer_id")
    assert skips[0] == ("2", "no_consent", None)
    assert skips[1][:2] == ("5", "quiet_hours") and skips[1][2].startswith("2026-11-23 00:00")


def test_a_run_at_the_same_time_sends_nothing_again(project):
    first = report(project)
    before = {c: outbox(project, c) for c in ("sms", "push")}
    again = report(project)
    assert again["delivery"]["sent"] == 0 and again["delivery"]["planned"] == 0
    assert {c: outbox(project, c) for c in ("sms", "push")} == before
    # the first run's work is not history to a run at its own clock: the same decisions
    assert [r["matched"] for r in again["rules"]] == [r["matched"] for r in first["rules"]]
    assert again["rules"][1]["skipped"] == {"already_planned": 1}


def test_a_run_at_the_same_time_does_not_see_the_first_runs_sends_lists_or_unsubscribes(project):
    campaign = CAMPAIGN.replace(
        'rule welcome: when in list "new"',
        "rule again: when received hi and orders > 0 then send push hi_push\n"
        'rule welcome: when in list "new"',
    )
    (project / "c.win").write_text(campaign, encoding="utf-8")
    first = report(project)
    second = report(project)
    assert [r["matched"] for r in second["rules"]] == [r["matched"] for r in first["rules"]]
    assert second["rules"][2:] == first["rules"][2:]  # neither `received` nor `in list`
    later = report(project, now="2026-11-22T14:00:00Z")  # now they are history
    assert later["rules"][2]["matched"] == 2 and later["rules"][3]["matched"] == 1


def test_a_deferred_customer_is_sent_by_the_first_run_after_quiet_hours(project):
    report(project)
    later = report(project, now="2026-11-23T01:00:00Z")  # 10:00 in Seoul
    assert later["rules"][0]["channels"] == {"sms": 1}
    assert [m["customer_id"] for m in outbox(project, "sms")] == ["1", "3", "5"]


def test_actions_are_recorded_and_seen_by_later_runs(project):
    first = report(project)
    assert first["rules"][1]["matched"] == 1  # tagged: list + unsubscribe, no message
    assert ledger(project, "SELECT list_name, customer_id FROM list_members") == [("new", "6")]
    assert ledger(project, "SELECT customer_id, channel FROM suppressions") == [("6", "sms")]
    second = report(project, now="2026-11-22T14:00:00Z")
    assert second["rules"][2]["channels"] == {"push": 1}  # `in list "new"` on the next run
    assert [m["customer_id"] for m in outbox(project, "push")] == ["4", "6"]


def test_a_dry_run_after_a_real_run_writes_nothing(project):
    report(project)
    state = project / "state.db"
    before = state.read_bytes()
    dry = report(project, "--dry-run")
    assert dry["dry_run"] is True and "delivery" not in dry
    assert state.read_bytes() == before


def test_an_unsubscribe_holds_for_every_campaign_on_that_channel(project):
    report(project)  # `tagged` unsubscribes customer 6 from sms
    other = 'campaign "other"\ntemplate hi sms "hi"\nrule r: when orders = 0 then send sms hi\n'
    (project / "c.win").write_text(other, encoding="utf-8")
    rule = report(project)["rules"][0]
    assert rule["matched"] == 1 and rule["skipped"] == {"unsubscribed": 1}


def test_holdout_is_recorded_and_never_messaged(tmp_path):
    campaign = (
        'campaign "h"\n  holdout 50%\ntemplate hi sms "hi"\n'
        "rule hello: when orders > 0 then send sms hi\n"
    )
    project = make_project(tmp_path, campaign=campaign)
    matched = ["1", "2", "3", "4", "5"]
    held = {c for c, h in zip(matched, holdout("h", matched, 50), strict=True) if h}
    assert held and held != set(matched)  # the test means something with these ids
    hello = report(project)["rules"][0]
    assert hello["held_out"] == len(held)
    assert not held & {m["customer_id"] for m in outbox(project, "sms")}
    assigned = ledger(project, "SELECT customer_id FROM assignments WHERE kind = 'holdout'")
    assert {c for (c,) in assigned} == held
    statuses = ledger(project, "SELECT customer_id FROM messages WHERE status = 'held_out'")
    assert {c for (c,) in statuses} == held


def webhook_config(url: str) -> str:
    return CONFIG + f'[channels.sms]\nplugin = "webhook"\nurl = "{url}"\nread_timeout = 0.5\n'


def test_a_permanent_failure_fails_over_to_the_next_channel(tmp_path):
    with LocalHttpServer() as server:
        server.rule(lambda r: r.json()["to"] == "+3", Reply(400))  # refused number
        project = make_project(tmp_path, config=webhook_config(server.url))
        summary = report(project)
    hello = summary["rules"][0]
    assert hello["channels"] == {"push": 2, "sms": 1} and hello["failed"] == 0
    assert summary["delivery"]["failovers"] == 1
    pushed = {m["customer_id"]: m["idempotency_key"] for m in outbox(project, "push")}
    assert pushed == {"3": "c/hello/3/0/1", "4": "c/hello/4/0"}
    (error,) = ledger(project, "SELECT error FROM messages WHERE customer_id = '3'")
    assert error[0].startswith("sms:")


def test_temporary_failures_are_retried_until_sent(tmp_path):
    with LocalHttpServer() as server:
        server.queue(Reply(503), Reply(503))
        project = make_project(tmp_path, config=webhook_config(server.url))
        summary = report(project)
        keys = [r.headers["idempotency-key"] for r in server.requests]
    assert summary["delivery"]["retries"] == 2 and summary["rules"][0]["channels"]["sms"] == 2
    assert sorted(set(keys)) == ["c/hello/1/0", "c/hello/3/0"]
    assert len(keys) == 4


def test_an_accepted_message_whose_answer_timed_out_is_retried_with_the_same_key(tmp_path):
    with LocalHttpServer() as server:
        server.queue(Reply(200, delay=2))  # accepted, then no answer within read_timeout
        project = make_project(tmp_path, config=webhook_config(server.url))
        summary = report(project)
        keys = [r.headers["idempotency-key"] for r in server.requests]
        delivered = sorted(server.deliveries)
    assert summary["delivery"]["retries"] == 1 and summary["delivery"]["sent"] == 3
    assert len(keys) == 3 and len(set(keys)) == 2  # the retry carried the same key
    assert delivered == ["c/hello/1/0", "c/hello/3/0"]  # and the provider kept one of each


def test_a_message_that_never_goes_through_ends_failed(tmp_path):
    config = webhook_config("http://127.0.0.1:9/hook").replace(
        "backoff_seconds = 0", "backoff_seconds = 0\nmax_attempts = 2"
    )
    project = make_project(tmp_path, config=config)  # nothing listens on port 9
    result = run(project)
    assert result.exit_code == 1, result.output  # a message failed for good
    summary = json.loads(result.stdout)
    assert summary["rules"][0]["failed"] == 2
    (failure,) = summary["failures"]
    assert failure["rule"] == "hello" and failure["channel"] == "sms" and failure["count"] == 2
    assert failure["reason"].startswith("ConnectError") and "gave up after 2" in failure["reason"]
    sms = "channel = 'sms' AND status != 'deferred'"  # customer 5 waits for quiet hours to end
    rows = ledger(project, f"SELECT status, attempts, error FROM messages WHERE {sms}")
    assert {(s, a) for s, a, _ in rows} == {("failed", 2)}
    assert all("gave up after 2 attempts" in e for _, _, e in rows)


def test_a_misconfigured_channel_stops_the_run_before_anything_is_written(tmp_path):
    config = CONFIG + '[channels.sms]\nplugin = "webhook"\nurl = "ftp://nope"\n'
    project = make_project(tmp_path, config=config)
    result = run(project)
    assert result.exit_code == 2  # a project that can't be used
    assert "channel `sms` (webhook): `url` must be an http:// or https:// URL" in result.output
    assert "Traceback" not in result.output
    # refused with the project's other mistakes, before the state is even created
    assert not (project / "state.db").exists()


def test_state_rows_are_consistent_with_the_outbox(project):
    report(project)
    report(project, now="2026-11-23T01:00:00Z")
    sent = set(ledger(project, "SELECT idempotency_key FROM messages WHERE status = 'sent'"))
    lines = [m["idempotency_key"] for c in ("sms", "push") for m in outbox(project, c)]
    assert sorted(lines) == sorted(k for (k,) in sent)
    assert ledger(project, "SELECT DISTINCT status FROM runs") == [("finished",)]
    assert T.messages.name == "messages"
