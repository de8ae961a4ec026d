"""`winlang preview`: what chosen customers would get now, exactly what a run then sends."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli

NOW = "2026-11-22T13:00:00Z"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "delivery.md"
_SECTION = DOCS.read_text(encoding="utf-8").split("## Seeing the messages before a run")[1]
# The campaign and the output shown in docs/delivery.md, so the page stays true.
CAMPAIGN = re.search(r"```win\n(.*?)```", _SECTION, re.S)[1]
SHOWN = re.search(r"```console\n\$ (.*?)\n(.*?)```", _SECTION, re.S)
# id, name, orders, ltv, last, country, phone, consent_sms, token, consent_push, email,
# consent_email, timezone
CUSTOMERS = [
    (1, "지훈", 1, 1500000.0, "2026-08-05 11:26:28.399", "KR", "+8210", 1, None, 0, None, 0, "UTC"),
    (2, "Ana", 2, 33.3333, None, "RO", "+4070", 0, "tok", 1, None, 0, "UTC"),  # push failover
    (3, "Bo", 1, 10.0, None, "KR", "+8211", 1, None, 0, None, 0, "Asia/Seoul"),  # quiet hours
    (4, "Cy", 1, 10.0, None, "XX", "+1", 1, None, 0, None, 0, "UTC"),  # not in the audience
    (5, "Di", 0, 10.0, None, "KR", "+1", 1, None, 0, None, 0, "UTC"),  # no rule matches
    (6, "Ed", 3, 10.0, None, "KR", "+1", 0, None, 0, None, 0, "UTC"),  # no consent anywhere
    (7, None, 12, 19.5, None, "RO", None, 0, None, 0, "ed@example.com", 1, "UTC"),  # email
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    db = sqlite3.connect(tmp_path / "shop.db")
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, orders INTEGER, ltv REAL,"
        " last DATETIME, country TEXT, phone TEXT, consent_sms BOOLEAN, push_token TEXT,"
        " consent_push BOOLEAN, email TEXT, consent_email BOOLEAN, timezone TEXT)"
    )
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.executemany(f"INSERT INTO customers VALUES ({', '.join('?' * 13)})", CUSTOMERS)
    db.commit()
    db.close()
    (tmp_path / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n', "utf-8"
    )
    (tmp_path / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    return tmp_path


def invoke(project: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [
            *args[:1],
            str(project / "c.win"),
            *args[1:],
            *([] if "--now" in args else ["--now", NOW]),
            "--config",
            str(project / "winlang.toml"),
        ],
    )
    return result.exit_code, result.output


def preview_json(project: Path, *args: str) -> dict[str, dict]:
    code, output = invoke(project, "preview", *args, "--format", "json")
    assert code == 0, output
    return {c["customer"]: c for c in json.loads(output)["customers"]}


ALL = [arg for i in range(1, 8) for arg in ("--customer", str(i))]


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_each_customer_gets_a_message_or_the_reason(project: Path, engine: str) -> None:
    found = preview_json(project, *ALL, "--engine", engine)
    assert list(found) == [str(i) for i in range(1, 8)]
    sms = found["1"]["message"]
    assert sms["channel"] == "sms" and sms["to"] == "+8210"
    link = f"https://shop.example.com/back?wl_c=c&wl_r=hello&wl_m={sms['message_id']}"
    assert sms["text"] == f"지훈님, 누적 ₩1,500,000, 마지막 구매 2026년 8월 5일: {link}"
    assert (sms["encoding"], sms["parts"], sms["link"]) == ("UCS-2", 2, link)
    push = found["2"]["message"]
    assert push["channel"] == "push" and push["text"] == "Ana: 12.5% off, last order never"
    assert found["2"]["rule"] == "hello" and found["2"]["failover"] == []
    assert (found["3"]["reason"], found["3"]["until"]) == ("quiet_hours", "2026-11-23T00:00:00Z")
    assert found["4"]["reason"] == "not_in_audience" and found["4"]["rule"] is None
    assert found["5"]["reason"] == "no_rule_matched"
    assert (found["6"]["rule"], found["6"]["reason"]) == ("hello", "no_consent")
    email = found["7"]["message"]
    assert email["subject"] == "For you: 19.5" and email["html"] is True
    assert email["body"].startswith("<p>Hi there &amp; welcome</p>")
    assert email["text_part"] == "Hi there & welcome\n€19.50\n"
    assert email["link"].startswith("https://shop.example.com/back?wl_c=c&wl_r=big&wl_m=")


def test_preview_is_what_the_run_writes_to_the_outbox(project: Path) -> None:
    found = preview_json(project, *ALL)
    assert not (project / "state.db").exists(), "preview wrote a state"
    code, output = invoke(project, "run")
    assert code == 0, output
    sent = {}
    for channel in ("sms", "push", "email"):
        for line in (project / "outbox" / f"{channel}.jsonl").read_text().splitlines():
            message = json.loads(line)
            sent[message["customer_id"]] = message
    previewed = {c: p["message"] for c, p in found.items() if p["message"]}
    assert sorted(previewed) == sorted(sent) == ["1", "2", "7"]
    for customer, message in previewed.items():
        extra = ("link", "encoding", "characters", "text_part")
        assert {k: v for k, v in message.items() if k not in extra} == sent[customer]


def test_after_the_run_the_same_customers_already_fired(project: Path) -> None:
    assert invoke(project, "run")[0] == 0
    state = project / "state.db"
    before = state.stat().st_mtime_ns
    # a minute later: what the run wrote at its own clock is history only after it
    later = "2026-11-22T13:01:00Z"
    found = preview_json(project, "--customer", "1", "--customer", "7", "--now", later)
    assert found["1"]["reason"] == found["7"]["reason"] == "already_fired"
    assert state.stat().st_mtime_ns == before


def test_text_output(project: Path) -> None:
    code, output = invoke(
        project, "preview", "--customer", "1", "--customer", "3", "--customer", "7"
    )
    assert code == 0, output
    assert (
        "customer 1: rule hello\n  sms to +8210 · template hi · UCS-2, 105 characters, 2 parts"
        in output
    )
    assert (
        "customer 3: no message from rule hello — quiet_hours: deferred until 2026-11-23T00:00:00Z"
        in output
    )
    assert (
        "  subject: For you: 19.5\n  text:\n    Hi there & welcome\n    €19.50\n  html:\n" in output
    )


def test_sample_is_stable_and_among_matched_customers(project: Path) -> None:
    first = preview_json(project, "--sample", "3")
    assert len(first) == 3 and set(first) <= {"1", "2", "3", "6", "7"}
    assert list(preview_json(project, "--sample", "3")) == list(first)
    assert list(preview_json(project, "--sample", "5"))[:3] == list(first)


def test_usage_and_unknown_customers(project: Path) -> None:
    code, output = invoke(project, "preview")
    assert code == 2 and "--customer ID" in output
    code, output = invoke(project, "preview", "--customer", "99")
    assert code == 1 and "no customer with id 99" in output


def test_a_held_out_customer_gets_nothing(project: Path) -> None:
    text = CAMPAIGN.replace('  locale "ko_KR"', '  locale "ko_KR"\n  holdout 99%')
    (project / "c.win").write_text(text, encoding="utf-8")
    found = preview_json(project, "--customer", "1")
    assert (found["1"]["rule"], found["1"]["reason"]) == ("hello", "holdout")


def test_the_example_of_the_delivery_guide(project: Path) -> None:
    command, output = SHOWN[1].split(), SHOWN[2]
    assert command[:3] == ["winlang", "preview", "c.win"] and command[-2] == "--now"
    result = CliRunner().invoke(
        cli,
        [
            "preview",
            str(project / "c.win"),
            *command[3:],
            "--config",
            str(project / "winlang.toml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == output
