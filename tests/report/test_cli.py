"""`winlang report` end to end: a real run on a small SQLite store, ingested opens, clicks
and purchases, a purchase in the store's own events, then the report's exact numbers.

Customers 1-6 match `vip` (a split), 7-12 `rest`. The campaign's 30% holdout holds out 4, 5,
9 and 11 (checked below); the split gives 1, 2 and 6 variant A and 3 variant B (held-out
customers get no variant). The run's clock, and so every `sent_at` and `planned_at`, is RUN.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli
from winlang.policies.hashing import holdout, variant

RUN = "2026-11-01T10:00:00Z"
NOW = "2026-12-15T00:00:00Z"

CAMPAIGN = """campaign "c"
  holdout 30%
template a sms "A {first_name|there}"
template b sms "B"
template hi sms "hi"
rule vip: when orders >= 5 then split
            50% send sms a
            50% send sms b
rule rest: when orders < 5 then send sms hi
"""
CONFIG = """[store]
url = "sqlite:///shop.db"
[state]
url = "sqlite:///state.db"
"""


def _event(n: int, customer: int, kind: str, at: str, **more: object) -> str:
    base = {"event_id": f"e{n}", "customer_id": customer, "type": kind, "occurred_at": at}
    return json.dumps(base | more)


def _sms(template: str, campaign: str = "c") -> dict[str, str]:
    return {"channel": "sms", "campaign": campaign, "template": template}


EVENTS = [
    # 1 (A): the whole funnel, and a purchase 4 days after the message
    _event(1, 1, "delivered", "2026-11-01T10:01:00Z", **_sms("a")),
    _event(2, 1, "open", "2026-11-01T11:00:00Z", **_sms("a")),
    _event(3, 1, "click", "2026-11-01T11:01:00Z", **_sms("a")),
    _event(4, 1, "purchase", "2026-11-05T09:00:00Z", amount=20.0),
    # 2 (A): delivered; an open of another template; a purchase 34 days later (out of 30)
    _event(5, 2, "delivered", "2026-11-01T10:01:00Z", **_sms("a")),
    _event(6, 2, "open", "2026-11-01T12:00:00Z", **_sms("b")),
    _event(7, 2, "purchase", "2026-12-05T10:00:00Z"),
    # 3 (B): delivered; an open *before* the message; a click without an open
    _event(8, 3, "delivered", "2026-11-01T10:02:00Z", **_sms("b")),
    _event(9, 3, "open", "2026-10-31T10:00:00Z", **_sms("b")),
    _event(10, 3, "click", "2026-11-02T08:00:00Z", **_sms("b")),
    # held out 4 bought 2 days after the firing, held out 5 39 days after
    _event(11, 4, "purchase", "2026-11-03T10:00:00Z"),
    _event(12, 5, "purchase", "2026-12-10T10:00:00Z"),
    # 7: delivered and opened; a purchase before the message
    _event(13, 7, "delivered", "2026-11-01T10:01:00Z", **_sms("hi")),
    _event(14, 7, "open", "2026-11-01T10:30:00Z", **_sms("hi")),
    _event(15, 7, "purchase", "2026-10-20T10:00:00Z"),
    # 8: a delivery of another campaign; a purchase the next day
    _event(16, 8, "delivered", "2026-11-01T10:01:00Z", **_sms("hi", campaign="other")),
    _event(17, 8, "purchase", "2026-11-02T10:00:00Z"),
    # held out 9 bought 19 days after the firing; 11 never did
    _event(18, 9, "purchase", "2026-11-20T10:00:00Z"),
    # after the report's clock: never counted
    _event(19, 10, "purchase", "2026-12-20T10:00:00Z"),
]


def make_project(folder: Path) -> Path:
    db = sqlite3.connect(folder / "shop.db")
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
        " phone TEXT, consent_sms BOOLEAN)"
    )
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, ?, 1)",
        [(i, f"n{i}", 5 if i <= 6 else 1, f"+{i}") for i in range(1, 13)],
    )
    # 6 (A) bought 9 days after the message: in the store's own events
    db.execute("INSERT INTO events VALUES (6, 'purchase', '2026-11-10 10:00:00')")
    db.commit()
    db.close()
    (folder / "winlang.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    (folder / "events.jsonl").write_text("\n".join(EVENTS) + "\n", encoding="utf-8")
    return folder


def invoke(project: Path, *args: str):
    config = ["--config", str(project / "winlang.toml")]
    return CliRunner().invoke(cli, [*args, *config])


def report(project: Path, *args: str, now: str = NOW) -> dict:
    result = invoke(
        project, "report", str(project / "c.win"), "--now", now, "--format", "json", *args
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def project(tmp_path) -> Path:
    make_project(tmp_path)
    ran = invoke(tmp_path, "run", str(tmp_path / "c.win"), "--now", RUN)
    assert ran.exit_code == 0, ran.output
    ingested = invoke(tmp_path, "ingest", str(tmp_path / "events.jsonl"))
    assert ingested.exit_code == 0, ingested.output
    return tmp_path


def test_the_scenario_is_the_one_the_numbers_assume():
    ids = [str(i) for i in range(1, 13)]
    assert [i for i, held in zip(ids, holdout("c", ids, 30), strict=True) if held] == [
        "4", "5", "9", "11"
    ]  # fmt: skip
    assert variant("c", "vip", ids[:6], [50, 50]).tolist() == [0, 0, 1, 1, 0, 0]


def funnel(found: dict) -> tuple:
    return (
        found["sent"], found["failed"], found["held_out"],
        found["delivered"], found["opened"], found["clicked"],
        found["reactivation"]["customers"], found["reactivation"]["purchased"],
        found["control"]["customers"], found["control"]["purchased"],
    )  # fmt: skip


def test_the_funnel_per_rule_variant_and_campaign(project):
    found = report(project)
    assert found["campaign"] == "c" and found["runs"] == 1 and found["window_days"] == 30
    assert found["now"] == NOW
    vip, rest = found["rules"]
    assert vip["name"] == "vip" and vip["channels"] == {"sms": 4}
    assert funnel(vip) == (4, 0, 2, 3, 1, 2, 4, 2, 2, 1)
    a, b = vip["variants"]
    assert (a["name"], b["name"]) == ("A", "B")
    # held-out customers get no variant: each variant is compared with the rule's control
    assert funnel(a) == (3, 0, 0, 2, 1, 1, 3, 2, 2, 1)
    assert funnel(b) == (1, 0, 0, 1, 0, 1, 1, 0, 2, 1)
    assert rest["name"] == "rest" and rest["variants"] == []
    assert funnel(rest) == (4, 0, 2, 1, 1, 0, 4, 1, 2, 1)
    assert funnel(found["total"]) == (8, 0, 4, 4, 2, 2, 8, 3, 4, 2)
    assert vip["shares"] == {"delivered": 0.75, "opened": 0.25, "clicked": 0.5}
    assert found["total"]["reactivation"]["rate"] == 0.375
    assert found["total"]["control"]["rate"] == 0.5
    lift = found["total"]["lift"]
    assert lift["points"] is None and lift["note"].startswith("too few to compare: 8 messaged")


def test_the_window_and_the_clock(project):
    wider = report(project, "--window", "40")  # 2 bought 34 days on, held-out 5 39 days on
    assert funnel(wider["rules"][0])[6:] == (4, 3, 2, 2)
    early = report(project, now="2026-11-04T00:00:00Z")  # 1's purchase is not yet
    assert funnel(early["rules"][0])[6:] == (4, 0, 2, 1)
    assert funnel(early["rules"][1])[6:] == (4, 1, 2, 0)
    before = report(project, now="2026-10-01T00:00:00Z")  # before the run: nothing fired
    assert funnel(before["total"]) == (0,) * 10


def test_the_text_table(project):
    result = invoke(project, "report", str(project / "c.win"), "--now", NOW)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "campaign c — report at 2026-12-15T00:00:00Z · 1 run · reactivated: a purchase "
        "within 30 days"
    )
    assert lines[2].split() == ["rule", "vip", "4", "0", "2", "3", "75%", "1", "25%", "2",
                                "50%", "2/4", "50.0%", "1/2", "50.0%"]  # fmt: skip
    assert lines[3].split() == ["channels:", "sms", "4"]
    assert lines[4].split()[:3] == ["variant", "A", "3"]
    lift = lines.index("lift (reactivated minus control, in points)")
    assert lines[lift + 5].split(maxsplit=1) == [
        "total",
        "too few to compare: 8 messaged, 4 held out (at least 30 each)",
    ]
    assert lines[lift + 6 :] == [
        "A/B (first variant minus second, in points)",
        "  rule vip  A vs B  clicked      too few to compare: 3 in A, 1 in B (at least 30 each)",
        "  rule vip  A vs B  reactivated  too few to compare: 3 in A, 1 in B (at least 30 each)",
        "revenue in the window: messaged 20.00 (2.50 per customer) · control 0.00 (0.00 per "
        "customer)",
        "sms: 8 parts sent · no price_per_part set",
    ]


def test_a_report_writes_nothing(project):
    state = (project / "state.db").read_bytes()
    report(project)
    assert (project / "state.db").read_bytes() == state


def test_before_any_run_the_report_is_empty_and_says_why(tmp_path):
    make_project(tmp_path)
    result = invoke(tmp_path, "report", str(tmp_path / "c.win"), "--now", NOW, "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["runs"] == 0 and [r["name"] for r in found["rules"]] == ["vip", "rest"]
    assert funnel(found["total"]) == (0,) * 10
    assert "campaign `c` has no firings in the ledger yet" in result.stderr
    assert not (tmp_path / "state.db").exists()


def test_a_campaign_with_errors_is_not_reported(tmp_path):
    make_project(tmp_path)
    (tmp_path / "c.win").write_text('campaign "c"\nrule r: when nope > 1 then send sms hi\n')
    result = invoke(tmp_path, "report", str(tmp_path / "c.win"))
    assert result.exit_code == 1
    assert "has errors" in result.stderr
