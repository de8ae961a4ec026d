"""Resume = uninterrupted: runs killed at any points of planning and sending, then a rerun at
the same ``now``, leave the same ledger and outbox as one run that was never interrupted.

The campaign is one whose decisions would change if a run counted its own work as history:
`give_up` fires for customers who *received* `hi`, `welcome` for those *in the list* `hi`
adds them to, `leave` for those in that list since the day before (and takes them out), and
the campaign's cap counts messages sent. Every kill runs in a real process
(tests/deliver/crash_plugin.py) at a point chosen by hypothesis; the uninterrupted run is
made once, on a copy of the same project.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
from collections import Counter
from contextlib import closing
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.deliver.test_exactly_once import NOW, ROOT, command, start

CAMPAIGN = """campaign "resume"
  cap 1 per 7 days
template hi sms "hi {first_name}"
template bye sms "bye {first_name}"
template extra push "more for {first_name}"
rule leave:   when in list "greeted" and orders = 4 then send sms bye and remove from list "greeted"
rule hi:      when orders > 2 then send sms hi and add to list "greeted"
rule bye:     when orders <= 1 then send sms bye else send push extra
rule give_up: when received hi then unsubscribe from sms
rule welcome: when in list "greeted" then send push extra
"""
# The day before, another campaign put some customers in the list `leave` takes them out of.
ONBOARDING = """campaign "onboarding"
rule join: when orders = 4 and id < 70 then add to list "greeted"
"""
DAY_BEFORE = "2026-11-21T12:00:00Z"
CUSTOMERS = 120
CONFIG = """[store]
url = "sqlite:///shop.db"
[state]
url = "sqlite:///state.db"
[delivery]
plan_batch = 20
concurrency = 2
backoff_seconds = 0
[channels.sms]
plugin = "dying-outbox"
path = "outbox/sms.jsonl"
batch_size = 5
[channels.push]
plugin = "dying-outbox"
path = "outbox/push.jsonl"
batch_size = 4
"""
CRASH = "tests.deliver.crash_plugin"
# 5 slices of matched customers to plan; about 20 batches and 10 claims to send: kill points
# inside those ranges (one past what is left lets the run finish, which must also be fine)
KILL = st.one_of(
    st.tuples(st.just("plan"), st.integers(1, 5)),
    st.tuples(st.just("claimed"), st.integers(1, 8)),
    st.tuples(st.just("accepted"), st.integers(1, 16)),
    st.tuples(st.just("recorded"), st.integers(1, 16)),
)


def make_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(folder / "shop.db")) as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
            " phone TEXT, consent_sms BOOLEAN, push_token TEXT, consent_push BOOLEAN)"
        )
        db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (i, f"n{i}", i % 5, f"+{i}", i % 7 != 0, f"t{i}", i % 3 != 0)
                for i in range(1, CUSTOMERS + 1)
            ],
        )
        db.commit()
    (folder / "winlang.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "once.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def run_to_the_end(project: Path, campaign: str = "once.win", now: str = NOW) -> dict:
    line = command(project, CRASH)
    line[line.index(str(project / "once.win"))] = str(project / campaign)
    line[line.index("--now") + 1] = now
    done = subprocess.run(line, cwd=ROOT, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return orjson.loads(done.stdout)


def outcome(project: Path) -> dict[str, object]:
    """What the runs left: the ledger's tables (without run ids, claims and row ids), the
    skips of the last run (each run records its own), and the outbox by key."""
    with closing(sqlite3.connect(project / "state.db")) as db:
        last_run = db.execute("SELECT max(id) FROM runs").fetchone()[0]

        def rows(query: str, *args) -> list[tuple]:
            return sorted(db.execute(query, args).fetchall(), key=repr)

        tables = {
            "messages": rows(
                "SELECT idempotency_key, campaign, rule, customer_id, occurrence, channel,"
                " template, variant, address, status, attempts, provider_id, error, parts,"
                " planned_at, sent_at, step, payload FROM messages"
            ),
            "skips": rows(
                "SELECT rule, customer_id, reason, until FROM skips WHERE run_id = ?", last_run
            ),
            "list_members": rows("SELECT * FROM list_members"),
            "suppressions": rows("SELECT * FROM suppressions"),
            "assignments": rows("SELECT * FROM assignments"),
        }
    outbox: dict[str, Counter] = {}
    for path in sorted((project / "outbox").glob("*.jsonl")):
        outbox[path.name] = Counter(path.read_bytes().splitlines())
    return {**tables, "outbox": outbox}


def decisions(summary: dict) -> list[tuple[str, int]]:
    return [(rule["name"], rule["matched"]) for rule in summary["rules"]]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("resume") / "template")
    (project / "onboarding.win").write_text(ONBOARDING, encoding="utf-8")
    joined = run_to_the_end(project, "onboarding.win", DAY_BEFORE)
    assert joined["rules"][0]["matched"] > 0
    return project


@pytest.fixture(scope="module")
def uninterrupted(template, tmp_path_factory) -> tuple[dict, dict]:
    clean = tmp_path_factory.mktemp("clean") / "project"
    shutil.copytree(template, clean)
    summary = run_to_the_end(clean)
    return summary, outcome(clean)


def test_the_campaign_reads_its_own_history(uninterrupted):
    """The property below can only fail if the rules read the ledger: they must fire."""
    summary, result = uninterrupted
    matched = dict(decisions(summary))
    assert matched["hi"] > 0 and matched["bye"] > 0 and matched["leave"] > 0
    statuses = Counter(row[9] for row in result["messages"])
    assert statuses["sent"] > 0 and set(statuses) <= {"sent", "done"}
    assert result["skips"]  # no-consent customers: the last run's skips are compared too


@settings(
    max_examples=8,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kills=st.lists(KILL, min_size=1, max_size=2))
def test_runs_killed_anywhere_then_resumed_end_as_one_uninterrupted_run(
    kills, template, uninterrupted, tmp_path_factory
):
    project = tmp_path_factory.mktemp("killed") / "project"
    shutil.copytree(template, project)
    codes = []
    for point, count in kills:
        process = start(project, CRASH, {"WINLANG_DIE_AT": f"{point}:{count}"})
        _, err = process.communicate(timeout=300)
        # a point past the end of what is left to do is never reached: the run finishes
        assert process.returncode in (0, -signal.SIGKILL), err.decode()[-3000:]
        codes.append(process.returncode)
    if kills[0][0] == "plan":  # the first run plans every slice: its kill always lands
        assert codes[0] == -signal.SIGKILL
    summary = run_to_the_end(project)
    clean_summary, clean = uninterrupted
    assert decisions(summary) == decisions(clean_summary)
    assert outcome(project) == clean
