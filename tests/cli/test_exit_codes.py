"""The exit statuses in the README's one table are what real ``winlang`` processes return:
0 done, 1 a message failed for good (and the summary says which), 2 usage or a state that
can't be used. (130 is proven by tests/deliver/test_exactly_once.py; 3 is always a bug.)"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from winlang.testing import LocalHttpServer, Reply

ROOT = Path(__file__).parents[2]
NOW = "2026-11-22T10:00:00Z"
CAMPAIGN = """campaign "c"
template hi sms "hi {first_name|there}"
rule hello: when orders > 0 then send sms hi
rule newcomer: when orders = 0 then add to list "new"
"""
# id, first_name, orders, phone, consent_sms
CUSTOMERS = [
    (1, "Ana", 1, "+1", 1),
    (2, "Bo", 2, "+2", 1),
    (3, "Cy", 3, "+3", 1),
    (4, "Di", 0, "+4", 1),
]


def make_project(folder: Path, sms_url: str) -> Path:
    with sqlite3.connect(folder / "shop.db") as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
            " phone TEXT, consent_sms BOOLEAN)"
        )
        db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?)", CUSTOMERS)
    (folder / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n'
        "[delivery]\nbackoff_seconds = 0\nmax_attempts = 2\n"
        f'[channels.sms]\nplugin = "webhook"\nurl = "{sms_url}"\nread_timeout = 5\n',
        encoding="utf-8",
    )
    (folder / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def winlang(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "winlang", *args, "--config", str(project / "winlang.toml")],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def test_the_readme_has_one_table_of_every_exit_status():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| status | means |") :].split("\n\n")[0]
    assert re.findall(r"^\| (\d+) \|", table, re.M) == ["0", "1", "2", "3", "130"]


def test_a_run_whose_messages_all_went_out_exits_0(tmp_path):
    with LocalHttpServer() as server:
        project = make_project(tmp_path, server.url)
        result = winlang(project, "run", str(project / "c.win"), "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert "failed for good" not in result.stdout + result.stderr


def test_a_run_with_a_message_failed_for_good_exits_1_and_says_which(tmp_path):
    with LocalHttpServer() as server:
        server.rule(lambda r: r.json()["to"] == "+2", Reply(400, {"error": "invalid number"}))
        server.rule(lambda r: r.json()["to"] == "+3", Reply(503))  # until attempts run out
        project = make_project(tmp_path, server.url)
        result = winlang(project, "run", str(project / "c.win"), "--now", NOW)
        again = winlang(project, "run", str(project / "c.win"), "--now", NOW)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "delivered: planned 3 · sent 1 · failed 2 · sms parts 1 · retries 1" in lines
    assert [line for line in lines if line.startswith("failed for good")] == [
        'failed for good: rule hello · sms · HTTP 400: {"error": "invalid number"} · 1',
        "failed for good: rule hello · sms · HTTP 503: "
        '{"id": "c/hello/3/0", "status": 503} (gave up after 2 attempts) · 1',
    ]
    assert result.stderr.strip().splitlines()[-1] == (
        "winlang: 2 messages failed for good (the summary says which; the ledger's `error` "
        "says why for each)"
    )
    assert again.returncode == 0, again.stderr  # this run failed nothing: the failures are old


def test_a_run_with_messages_failed_for_good_lists_them_in_json(tmp_path):
    with LocalHttpServer() as server:
        server.rule(lambda r: True, Reply(404))
        project = make_project(tmp_path, server.url)
        result = winlang(project, "run", str(project / "c.win"), "--now", NOW, "--format", "json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["failures"] == [
        {"rule": "hello", "channel": "sms", "reason": reason, "count": 1}
        for reason in sorted(
            f'HTTP 404: {{"id": "c/hello/{i}/0", "status": 404}}' for i in (1, 2, 3)
        )
    ]
    assert summary["delivery"]["failed"] == summary["rules"][0]["failed"] == 3


def test_a_dry_run_exits_0_whatever_the_channels_would_say(tmp_path):
    project = make_project(tmp_path, "http://127.0.0.1:9/hook")  # nothing listens there
    result = winlang(project, "run", str(project / "c.win"), "--now", NOW, "--dry-run")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args, problem",
    [
        (("run", "--no-such-option"), "No such option '--no-such-option'"),
        (("run",), "Missing argument 'FILE'"),
    ],
)
def test_usage_mistakes_exit_2(tmp_path, args, problem):
    project = make_project(tmp_path, "http://127.0.0.1:9/hook")
    result = winlang(project, *args)
    assert result.returncode == 2 and problem in result.stderr, result.stderr


def test_a_state_that_cant_be_used_exits_2(tmp_path):
    project = make_project(tmp_path, "http://127.0.0.1:9/hook")
    (project / "state.db").write_text("not a database", encoding="utf-8")
    result = winlang(project, "run", str(project / "c.win"), "--now", NOW, "--dry-run")
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"winlang: the state database {project / 'state.db'} is not an SQLite database "
        "(damaged, or another kind of file)\n"
    )
