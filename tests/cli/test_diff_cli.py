"""``winlang diff OLD NEW`` on a real SQLite store: a changed threshold and a negated
condition, with every count computed by hand below."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from winlang.cli import cli
from winlang.diff import CampaignDiff, ChannelChange, Move, render_text

NOW = "2026-11-22T10:00:00Z"
OLD = """campaign "d"
template survey sms "s"
template coupon sms "c"
template coupon_push push "p"
rule coupon: when lifetime_value >= 100 then send sms coupon else send push coupon_push
rule survey: when orders >= 2 then send sms survey
"""
THRESHOLD = OLD.replace(">= 100", ">= 50")
NEGATED = OLD.replace("when orders >= 2", "when not (orders >= 2)")

# id, orders, lifetime_value, phone, consent_sms, push_token, consent_push
CUSTOMERS = [
    (1, 1, 150, "+1", 1, None, 0),  # coupon by sms in every version
    (2, 3, 120, "+1", 0, "tok", 1),  # coupon, no sms consent: push, in every version
    (3, 2, 80, "+1", 1, None, 0),  # survey; coupon at >= 50; nothing when negated
    (4, 5, 60, None, 1, None, 0),  # survey (no phone: no message); coupon at >= 50 (none)
    (5, 1, 70, "+1", 1, None, 0),  # nothing; coupon at >= 50; survey when negated
    (6, 0, 10, "+1", 1, None, 0),  # nothing; nothing; survey when negated
    (7, None, None, "+1", 1, None, 0),  # nothing anywhere: not (null >= 2) is unknown
    (8, 4, 30, "+1", 1, None, 0),  # survey; survey; nothing when negated
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = sqlite3.connect(tmp_path / "shop.db")
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, orders INTEGER, lifetime_value REAL,"
        " phone TEXT, consent_sms BOOLEAN, push_token TEXT, consent_push BOOLEAN)"
    )
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", CUSTOMERS)
    db.commit()
    db.close()
    (tmp_path / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n', "utf-8"
    )
    for name, text in (("old", OLD), ("threshold", THRESHOLD), ("negated", NEGATED)):
        (tmp_path / f"{name}.win").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def diff(*args: str) -> Result:
    return CliRunner().invoke(cli, ["diff", *args, "--now", NOW])


@pytest.mark.parametrize("engine", ["sql", "numpy"])
def test_a_lower_threshold_moves_customers_to_the_coupon(project: Path, engine: str) -> None:
    result = diff("old.win", "threshold.win", "--format", "json", "--engine", engine)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "moved": [
            {"from": "survey", "to": "coupon", "customers": 2},  # 3 and 4
            {"from": None, "to": "coupon", "customers": 1},  # 5
        ],
        "messages": {
            # 2 gets push either way
            "push": {"before": 1, "after": 1, "added": 0, "removed": 0, "changed": 0},
            # before 1, 3, 8; after 1, 3 (now the coupon), 5, 8
            "sms": {"before": 3, "after": 4, "added": 1, "removed": 0, "changed": 1},
        },
        "unchanged": 3,  # 1, 2, 8
    }


def test_a_negated_condition_swaps_who_gets_the_survey(project: Path) -> None:
    result = diff("old.win", "negated.win", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "moved": [
            {"from": "survey", "to": None, "customers": 3},  # 3, 4, 8
            {"from": None, "to": "survey", "customers": 2},  # 5, 6 (7 is unknown: not moved)
        ],
        "messages": {
            "push": {"before": 1, "after": 1, "added": 0, "removed": 0, "changed": 0},
            "sms": {"before": 3, "after": 3, "added": 2, "removed": 2, "changed": 0},
        },
        "unchanged": 2,  # 1, 2
    }


def test_text_output(project: Path) -> None:
    result = diff("old.win", "threshold.win")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "customers moving between rules:",
        "  survey → coupon: 2",
        "customers entering the campaign:",
        "  (none) → coupon: 1",
        "customers on the same rule: 3",
        "messages per channel (sent now or after quiet hours):",
        "  push: 1 → 1 (+0 added, -0 removed)",
        "  sms: 3 → 4 (+1 added, -0 removed, 1 with another template)",
    ]


def test_the_same_campaign_changes_nothing(project: Path) -> None:
    result = diff("old.win", "old.win", "--format", "json")
    assert json.loads(result.stdout)["moved"] == []
    assert "no customer changes rule" in diff("old.win", "old.win").stdout


def test_nothing_is_written(project: Path) -> None:
    diff("old.win", "threshold.win")
    assert not (project / "state.db").exists()
    assert not (project / "outbox").exists()


def test_large_counts_read_with_separators() -> None:
    text = render_text(
        CampaignDiff(
            (Move("coupon", "survey", 1204), Move("survey", None, 12_000)),
            (ChannelChange("sms", 20_000, 18_796, 0, 1204, 0),),
            5,
        )
    )
    assert "  coupon → survey: 1,204" in text
    assert "  survey → (none): 12,000" in text
    assert "  sms: 20,000 → 18,796 (+0 added, -1,204 removed)" in text


def test_a_campaign_with_errors_is_refused(project: Path) -> None:
    (project / "bad.win").write_text(OLD.replace("orders >= 2", "ordrs >= 2"), "utf-8")
    result = diff("old.win", "bad.win")
    assert result.exit_code == 1
    assert "bad.win:6:" in result.stderr and "has errors" in result.stderr


@pytest.mark.parametrize(
    "args", [("old.win",), ("old.win", "missing.win"), ("old.win", "old.win", "--engine", "x")]
)
def test_usage_errors_exit_2(project: Path, args: tuple[str, ...]) -> None:
    assert diff(*args).exit_code == 2


def test_a_bad_clock_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(cli, ["diff", "old.win", "old.win", "--now", "yesterday"])
    assert result.exit_code == 2 and "ISO-8601" in result.output


def test_messages_deferred_by_quiet_hours_still_count(project: Path) -> None:
    """At 10:00 UTC inside quiet hours 09:00-11:00 every message is deferred, not dropped:
    the comparison is the same as without quiet hours."""
    for name, text in (("old", OLD), ("threshold", THRESHOLD)):
        quiet = text.replace('campaign "d"\n', 'campaign "d"\n  quiet hours 09:00 to 11:00\n')
        (project / f"quiet-{name}.win").write_text(quiet, encoding="utf-8")
    plain = json.loads(diff("old.win", "threshold.win", "--format", "json").stdout)
    quiet = json.loads(diff("quiet-old.win", "quiet-threshold.win", "--format", "json").stdout)
    assert quiet == plain
    assert quiet["messages"]["sms"]["after"] == 4
