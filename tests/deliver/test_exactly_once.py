"""Exactly once, with real processes: SIGKILL at chosen points of planning and sending, a
channel that dies after the provider accepted, and two runs of one campaign started together.

Every planned message must reach the outbox exactly once (counted per idempotency key), and
the ledger must end with every message sent, whatever the interruptions.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tomllib
from collections import Counter
from contextlib import closing
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from winlang.testing import LocalHttpServer

ROOT = Path(__file__).parents[2]
NOW = "2026-11-22T12:00:00Z"
CUSTOMERS = 240
CAMPAIGN = """campaign "once"
template hi sms "hi {first_name}"
template bye sms "bye {first_name}"
template extra push "more for {first_name}"
rule hi:  when orders > 2 then send sms hi and add to list "greeted"
rule bye: when orders <= 2 then send sms bye else send push extra
"""


def make_project(
    folder: Path, channel: str, state: str = "sqlite:///state.db", plan_batch: int = 10
) -> Path:
    db = sqlite3.connect(folder / "shop.db")
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
        " phone TEXT, consent_sms BOOLEAN, push_token TEXT, consent_push BOOLEAN)"
    )
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(i, f"n{i}", i % 5, f"+{i}", i % 7 != 0, f"t{i}", True) for i in range(1, CUSTOMERS + 1)],
    )
    db.commit()
    db.close()
    (folder / "winlang.toml").write_text(
        f'[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "{state}"\n'
        f"[delivery]\nplan_batch = {plan_batch}\nconcurrency = 2\nbackoff_seconds = 0\n"
        f"{channel}\n"
        '[channels.push]\nplugin = "outbox"\npath = "outbox/push.jsonl"\nbatch_size = 3\n',
        encoding="utf-8",
    )
    (folder / "once.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


CRASH = "tests.deliver.crash_plugin"  # the CLI with kill points (WINLANG_DIE_AT)
OUTBOX_SMS = '[channels.sms]\nplugin = "outbox"\npath = "outbox/sms.jsonl"\nbatch_size = 2\n'


def command(project: Path, module: str = "winlang") -> list[str]:
    return [
        sys.executable,
        "-m",
        module,
        "run",
        str(project / "once.win"),
        "--now",
        NOW,
        "--format",
        "json",
        "--config",
        str(project / "winlang.toml"),
    ]


def start(project: Path, module: str = "winlang", env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        command(project, module),
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(project: Path, module: str = "winlang") -> dict:
    done = subprocess.run(command(project, module), cwd=ROOT, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return orjson.loads(done.stdout)


def outbox_keys(project: Path) -> Counter:
    keys: Counter = Counter()
    for path in (project / "outbox").glob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            keys[orjson.loads(line)["idempotency_key"]] += 1
    return keys


def ledger(project: Path, query: str) -> list[tuple]:
    url = tomllib.loads((project / "winlang.toml").read_text())["state"]["url"]
    engine = sa.create_engine(url.replace("sqlite:///", f"sqlite:///{project}/"))
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.exec_driver_sql(query)]
    engine.dispose()
    return rows


def expected_keys() -> set[str]:
    """Hand-computed: `hi` for orders > 2; `bye` by sms with consent, else push (`/0`: the
    planned step, so the failover at planning keeps the firing's own key)."""
    keys = set()
    for i in range(1, CUSTOMERS + 1):
        rule = "hi" if i % 5 > 2 else "bye"
        if rule == "hi" and i % 7 == 0:
            continue  # no sms consent and `hi` has no failover: skipped
        keys.add(f"once/{rule}/{i}/0")
    return keys


def assert_exactly_once(project: Path) -> None:
    keys = outbox_keys(project)
    assert {k for k, n in keys.items() if n > 1} == set()
    assert set(keys) == expected_keys()
    statuses = ledger(project, "SELECT status, count(*) FROM messages GROUP BY status")
    assert statuses == [("sent", len(expected_keys()))]
    greeted = ledger(project, "SELECT count(*) FROM list_members WHERE list_name = 'greeted'")
    assert greeted == [(sum(1 for k in expected_keys() if "/hi/" in k),)]
    assert ledger(project, "SELECT count(*) FROM runs WHERE status = 'running'") == [(0,)]


DYING_SMS = '[channels.sms]\nplugin = "dying-outbox"\npath = "outbox/sms.jsonl"\n'
# Where each run in turn is killed (tests/deliver/crash_plugin.py): counted in that process,
# so a kill lands at the same point on every run, under any load. Planning twice (the second
# run passes the first one's slices again), then every moment of sending.
KILLS = [
    ("plan", 3),
    ("plan", 9),
    ("claimed", 1),
    ("accepted", 2),
    ("recorded", 3),
    ("claimed", 2),
    ("accepted", 5),
    ("recorded", 1),
    ("accepted", 1),
]


def test_sigkill_at_chosen_points_then_a_rerun_delivers_each_message_once(tmp_path):
    """Each run is killed at a point chosen in advance: after a slice of the plan is
    committed, after a claim, after the provider accepted a batch the ledger never heard of,
    after a batch's results are committed. Each kill must land, and after the last one a
    rerun leaves every message delivered once."""
    project = make_project(tmp_path, DYING_SMS)  # 24 slices of 10 customers to plan
    total = len(expected_keys())
    for point, count in KILLS:
        before = _rows(project)
        died = start(project, CRASH, {"WINLANG_DIE_AT": f"{point}:{count}"})
        _, err = died.communicate(timeout=300)
        assert died.returncode == -signal.SIGKILL, (point, count, err.decode()[-2000:])
        planned, sent = _rows(project), _lines(project)
        if point == "plan":  # killed while planning: more of the plan, nothing sent yet
            assert before < planned < total and sent == 0
        else:  # killed while sending: all planned, not all sent
            assert planned == total and sent < total
    assert _lines(project) > 0
    summary = finish(project, CRASH)
    assert_exactly_once(project)
    assert summary["delivery"]["failed"] == 0
    assert ledger(project, "SELECT count(*) FROM runs WHERE status = 'abandoned'") == [
        (len(KILLS),)
    ]


def _rows(project: Path) -> int:
    """Firings in the ledger (0 before the state exists)."""
    if not (project / "state.db").exists():
        return 0
    with closing(sqlite3.connect(project / "state.db", timeout=30)) as db:
        try:
            return db.execute("SELECT count(*) FROM messages").fetchone()[0]
        except sqlite3.OperationalError:  # not migrated yet
            return 0


def _lines(project: Path) -> int:
    return sum(outbox_keys(project).values()) if (project / "outbox").exists() else 0


def test_a_channel_dying_after_the_provider_accepted_is_resent_once(tmp_path):
    channel = '[channels.sms]\nplugin = "dying-outbox"\npath = "outbox/sms.jsonl"\n'
    project = make_project(tmp_path, channel)
    died = start(project, "tests.deliver.crash_plugin", {"WINLANG_DIE_ON_BATCH": "3"})
    assert died.wait(timeout=120) == -signal.SIGKILL, died.stderr.read().decode()[-2000:]
    accepted = outbox_keys(project)
    unrecorded = ledger(project, "SELECT idempotency_key FROM messages WHERE status = 'planned'")
    # the provider holds messages the ledger still calls planned: the crash window was hit
    assert set(accepted) & {k for (k,) in unrecorded}
    again = start(project, "tests.deliver.crash_plugin")
    assert again.wait(timeout=120) == 0, again.stderr.read().decode()[-2000:]
    assert_exactly_once(project)
    assert ledger(project, "SELECT count(*) FROM runs WHERE status = 'abandoned'") == [(1,)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_url(request) -> str:
    if request.param == "sqlite":
        return "sqlite:///state.db"
    engine = request.getfixturevalue("postgres_engine")
    return engine.url.render_as_string(hide_password=False)


def test_two_runs_started_together_send_no_message_twice(tmp_path, state_url):
    with LocalHttpServer() as server:
        channel = f'[channels.sms]\nplugin = "webhook"\nurl = "{server.url}"\nbatch_size = 4\n'
        project = make_project(tmp_path, channel, state_url)
        first, second = start(project), start(project)
        outputs = [p.communicate(timeout=300) for p in (first, second)]
        keys = Counter(r.headers["idempotency-key"] for r in server.requests)
    for process, (_, err) in zip((first, second), outputs, strict=True):
        assert process.returncode == 0, err.decode()[-2000:]
    assert {k for k, n in keys.items() if n > 1} == set()  # no message was sent twice
    summaries = [orjson.loads(out) for out, _ in outputs]
    sent = sum(s["delivery"]["sent"] for s in summaries)
    assert sent == len(expected_keys())
    pushed = outbox_keys(project)
    assert set(keys) | set(pushed) == expected_keys() and not set(keys) & set(pushed)


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def test_ctrl_c_stops_cleanly_and_a_rerun_finishes(tmp_path):
    """SIGINT (Ctrl-C) raised in the run itself once its fifth batch is recorded."""
    project = make_project(tmp_path, DYING_SMS)
    env = {"WINLANG_DIE_AT": "recorded:5", "WINLANG_DIE_BY": "SIGINT"}
    process = start(project, CRASH, env)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err.decode()[-2000:]
    assert b"interrupted" in err and b"Traceback" not in err
    assert _lines(project) >= 10  # five batches of two
    assert ledger(project, "SELECT status FROM runs") == [("failed",)]
    assert ledger(project, "SELECT count(*) FROM messages WHERE claimed_by IS NOT NULL") == [(0,)]
    finish(project, CRASH)
    assert_exactly_once(project)


def test_rows_left_by_a_killed_run_never_block_the_campaign_after_it_changed(tmp_path):
    """Killed once everything is planned; then the campaign drops its failovers, the config
    drops the `chat` channel, and two planned rows are damaged by hand. The next run sends
    the push messages through the push channel the campaign no longer names, fails the chat
    ones and the damaged ones with their reasons, and delivers every other message once."""
    chat = (
        '[channels.chat]\nplugin = "outbox"\nkind = "chat"\naddress = "push_token"\n'
        'consent = "consent_push"\npath = "outbox/chat.jsonl"\n'
    )
    project = make_project(tmp_path, DYING_SMS + chat)
    first = (
        CAMPAIGN.replace("send sms hi and", "send sms hi else send chat note and")
        + 'template note chat "note for {first_name}"\n'
    )
    (project / "once.win").write_text(first, encoding="utf-8")
    died = start(project, CRASH, {"WINLANG_DIE_AT": "plan:24"})  # the last slice: all planned
    assert died.wait(timeout=300) == -signal.SIGKILL, died.stderr.read().decode()[-2000:]
    by_channel = dict(ledger(project, "SELECT channel, count(*) FROM messages GROUP BY channel"))
    assert by_channel["chat"] > 0 and by_channel["push"] > 0
    (project / "once.win").write_text(  # no failover and no chat any more
        "\n".join(
            line.split(" else send")[0]
            for line in CAMPAIGN.splitlines()
            if not line.startswith("template extra")
        ),
        encoding="utf-8",
    )
    config = (project / "winlang.toml").read_text(encoding="utf-8").replace(chat, "")
    (project / "winlang.toml").write_text(config, encoding="utf-8")
    damaged = ["once/bye/1/0", "once/bye/2/0"]
    _sql(
        project,
        f"UPDATE messages SET payload = '{{not json' WHERE idempotency_key = '{damaged[0]}'",
    )
    _sql(project, f"UPDATE messages SET attempts = 'two' WHERE idempotency_key = '{damaged[1]}'")
    summaries = []
    for code in (1, 0):  # 1: messages failed for good; then nothing is left, and no error
        done = subprocess.run(command(project, CRASH), cwd=ROOT, capture_output=True, timeout=300)
        assert done.returncode == code, done.stderr.decode()[-3000:]
        summaries.append(orjson.loads(done.stdout))
    summary, again = summaries
    assert again["delivery"]["failed"] == again["delivery"]["sent"] == 0
    failed = dict(
        ledger(project, "SELECT idempotency_key, error FROM messages WHERE status = 'failed'")
    )
    assert failed[damaged[0]].startswith("unreadable ledger row: payload is not valid JSON")
    assert failed[damaged[1]] == "unreadable ledger row: attempts is 'two', not a count"
    gone = "channel `chat` is not configured: add [channels.chat]"
    assert {e for k, e in failed.items() if k not in damaged} == {gone}
    # the summary says which: by rule, channel and reason
    assert {(f["rule"], f["channel"], f["reason"], f["count"]) for f in summary["failures"]} == {
        ("hi", "chat", gone, by_channel["chat"]),
        ("bye", "sms", failed[damaged[0]], 1),
        ("bye", "sms", failed[damaged[1]], 1),
    }
    keys = outbox_keys(project)
    assert {k for k, n in keys.items() if n > 1} == set()
    sent = {
        k for (k,) in ledger(project, "SELECT idempotency_key FROM messages WHERE status = 'sent'")
    }
    assert set(keys) == sent and len(sent) + len(failed) == sum(by_channel.values())
    pushed = ledger(project, "SELECT idempotency_key FROM messages WHERE channel = 'push'")
    assert len(pushed) == by_channel["push"] and {k for (k,) in pushed} <= sent


def _sql(project: Path, statement: str) -> None:
    with closing(sqlite3.connect(project / "state.db")) as db:
        db.execute(statement)
        db.commit()
