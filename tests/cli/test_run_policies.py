"""`winlang run --dry-run` splits each rule's matches by the contact policies."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

import pytest
from click.testing import CliRunner

from winlang.cli import cli
from winlang.state import open_state
from winlang.state import tables as T

CAMPAIGN = """campaign "c"
  quiet hours 21:00 to 09:00
template hi sms "hi"
template hi_push push "hi"
rule hello: when orders > 0 then send sms hi else send push hi_push
"""
# id, orders, phone, consent_sms, push_token, consent_push, timezone
CUSTOMERS = [
    (1, 1, "+1", 1, None, 0, "UTC"),  # sent by sms
    (2, 1, "+1", 0, None, 0, "UTC"),  # no sms consent, no push consent: no_consent
    (3, 1, None, 1, None, 1, "UTC"),  # no phone, push consent but no token: no_address
    (4, 1, "+1", 0, "tok", 1, "UTC"),  # fails over to push
    (5, 1, "+1", 1, None, 0, "Asia/Seoul"),  # 22:00 in Seoul at 13:00 UTC: quiet hours
    (6, 1, "+1", 1, None, 0, "UTC"),  # unsubscribed from sms (in the state)
]


@pytest.fixture
def project(tmp_path):
    db = sqlite3.connect(tmp_path / "shop.db")
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, orders INTEGER, phone TEXT,"
        " consent_sms BOOLEAN, push_token TEXT, consent_push BOOLEAN, timezone TEXT)"
    )
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", CUSTOMERS)
    db.commit()
    db.close()
    (tmp_path / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n', "utf-8"
    )
    (tmp_path / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    with state.engine.begin() as connection:
        connection.execute(
            T.suppressions.insert().values(
                customer_id="6", channel="sms", campaign=None, at=datetime(2026, 1, 1)
            )
        )
    return tmp_path


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_matches_split_by_policy(project, engine):
    before = (project / "state.db").stat().st_mtime_ns
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(project / "c.win"),
            "--dry-run",
            "--format",
            "json",
            "--engine",
            engine,
            "--now",
            "2026-11-22T13:00:00Z",
            "--config",
            str(project / "winlang.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    (rule,) = json.loads(result.output)["rules"]
    assert rule == {
        "name": "hello",
        "matched": 6,
        "sent": 2,
        "held_out": 0,
        "failed": 0,
        "skipped": {"no_address": 1, "no_consent": 1, "quiet_hours": 1, "unsubscribed": 1},
        "channels": {"push": 1, "sms": 1},
        "sms_parts": 1,
    }
    assert (project / "state.db").stat().st_mtime_ns == before, "a dry run wrote the state"


ZERO_MATCHES = """campaign "c"
template hi sms "hi"
template bye sms "bye"
rule nobody: when orders > 100 then send sms hi
rule listed: when orders > 100 then add to list "big"
rule unreachable: when id = 2 then send sms bye
rule tagged: when orders > 0 then add to list "buyers"
"""


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "run"])
def test_the_text_summary_says_which_rules_matched_no_one_or_sent_nothing(project, dry_run) -> None:
    """A send rule that matched no one is not mistaken for a list-only rule, and one whose
    customers were all skipped says that no message went out."""
    (project / "zero.win").write_text(ZERO_MATCHES, encoding="utf-8")
    args = ["run", str(project / "zero.win"), "--now", "2026-11-22T13:00:00Z"]
    args += ["--config", str(project / "winlang.toml"), *(["--dry-run"] if dry_run else [])]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()

    def detail(rule: str) -> tuple[str, str]:
        """The rule's matched count, shown on its row, and the line under it."""
        at = next(i for i, line in enumerate(lines) if line.startswith(f"rule {rule} "))
        return lines[at].split()[2], lines[at + 1].strip()

    assert detail("nobody") == ("0", "no customer matched: no message")
    assert detail("listed") == ("0", "no customer matched: no message")
    assert detail("unreachable") == ("1", "no message · skipped: no_consent 1")
    assert detail("tagged") == ("5", "no message (list and unsubscribe actions only)")
