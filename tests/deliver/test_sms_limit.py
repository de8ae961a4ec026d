"""`[limits] sms_max_parts` at send time: every rendered SMS is measured; one over the limit
is not sent (`too_long`), the send chain fails over as for a channel without consent, and the
summary gives the SMS parts sent per rule."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from tests.deliver.test_run_cli import ledger, outbox
from winlang.cli import cli

NOW = "2026-11-22T12:00:00Z"
CONFIG = """[store]
url = "sqlite:///shop.db"
[state]
url = "sqlite:///state.db"
[limits]
sms_max_parts = 2
"""
# 77 GSM-7 characters around the name: one part with a short name, two in UCS-2.
TEXT = "Bonjour {first_name|Dragă clientă}, -15% sur votre prochaine commande avec le code BACK15 !"
CAMPAIGN = f"""campaign "limit"
template hi sms "{TEXT}"
template hi_push push "-15% pour vous"
rule coupon: when orders = 1 then send sms hi
rule with_push: when orders = 2 then send sms hi else send push hi_push
"""
CUSTOMERS = [  # id, first_name, orders, phone, push_token
    (1, "Ana", 1, "+1", None),  # 1 part
    (2, "x" * 200, 1, "+2", None),  # GSM-7, 2 parts: at the limit, sent
    (3, "N" * 100_000, 1, "+3", None),  # 654 parts: too long
    (4, None, 1, "+4", None),  # the fallback's `ă` makes it UCS-2: 2 parts, sent
    (5, "Ştefan " * 20, 1, "+5", None),  # UCS-2, 4 parts: too long
    (6, "N" * 400, 2, "+6", "tok6"),  # too long for sms: push instead
    (7, "N" * 400, 2, "+7", None),  # too long, and no push token: too_long
]


def make_project(folder: Path, config: str = CONFIG) -> Path:
    with sqlite3.connect(folder / "shop.db") as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
            " phone TEXT, consent_sms BOOLEAN DEFAULT 1, push_token TEXT,"
            " consent_push BOOLEAN DEFAULT 1)"
        )
        db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
        db.executemany(
            "INSERT INTO customers (id, first_name, orders, phone, push_token)"
            " VALUES (?, ?, ?, ?, ?)",
            CUSTOMERS,
        )
    (folder / "winlang.toml").write_text(config, encoding="utf-8")
    (folder / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def run(project: Path, *args: str) -> dict:
    config = ["--config", str(project / "winlang.toml")]
    command = ["run", str(project / "c.win"), "--now", NOW, "--format", "json", *config, *args]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_sms_over_the_limit_is_not_sent_and_is_recorded_too_long(tmp_path):
    project = make_project(tmp_path)
    summary = run(project)
    sms_only = summary["rules"][0]
    sent = {m["customer_id"]: m for m in outbox(project, "sms")}
    assert sorted(sent) == ["1", "2", "4"]
    assert [sent[c]["parts"] for c in ("1", "2", "4")] == [1, 2, 2]
    assert sent["4"]["text"].startswith("Bonjour Dragă clientă,")
    assert sms_only["sent"] == 3 and sms_only["skipped"] == {"too_long": 2}
    assert sms_only["sms_parts"] == 5
    assert ledger(project, "SELECT customer_id FROM skips WHERE reason = 'too_long'") == [
        ("3",),
        ("5",),
        ("7",),
    ]
    assert ledger(project, "SELECT count(*) FROM messages WHERE customer_id IN ('3', '5')") == [
        (0,)
    ]


def test_a_too_long_sms_fails_over_like_an_unusable_channel(tmp_path):
    project = make_project(tmp_path)
    with_push = run(project)["rules"][1]
    assert with_push["channels"] == {"push": 1} and with_push["sms_parts"] == 0
    assert with_push["skipped"] == {"too_long": 1}
    assert [m["customer_id"] for m in outbox(project, "push")] == ["6"]


def test_the_parts_per_rule_are_in_the_text_summary_and_the_totals(tmp_path):
    project = make_project(tmp_path)
    config = ["--config", str(project / "winlang.toml")]
    text = CliRunner().invoke(cli, ["run", str(project / "c.win"), "--now", NOW, *config])
    assert text.exit_code == 0, text.output
    assert "sms 3 · sms parts 5 · skipped: too_long 2" in text.stdout
    assert "delivered: planned 4 · sent 4 · sms parts 5" in text.stdout
    # a later run measures the too-long ones again, as any skipped customer
    again = run(project, "--now", "2026-11-22T12:01:00Z")
    assert again["delivery"]["sms_parts"] == 0
    assert again["rules"][0]["matched"] == 2 and again["rules"][0]["skipped"] == {"too_long": 2}
