"""Text customer ids that look like numbers stay text end to end: store → decisions → ledger →
the next run's state reads, on both engines ("007" and "7" are two customers)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli

CAMPAIGN = """campaign "ids"
template t sms "hi"
rule first: when orders > 0 then send sms t
rule again: when received t then add to list "got"
"""


def _project(folder: Path) -> None:
    db = sqlite3.connect(folder / "shop.db")
    db.execute(
        "CREATE TABLE customers (id TEXT PRIMARY KEY, orders INTEGER, phone TEXT,"
        " consent_sms BOOLEAN, timezone TEXT)"
    )
    db.execute("CREATE TABLE events (customer_id TEXT, type TEXT, occurred_at DATETIME)")
    db.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, 1, 'UTC')",
        [("007", 1, "+100"), ("7", 0, "+200"), ("12", 0, "+300"), ("0042", 1, "+400")],
    )
    db.commit()
    db.close()
    (folder / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n',
        encoding="utf-8",
    )
    (folder / "ids.win").write_text(CAMPAIGN, encoding="utf-8")


def _run(folder: Path, engine: str, now: str) -> dict:
    result = CliRunner().invoke(
        cli,
        [
            *("run", str(folder / "ids.win"), "--engine", engine, "--now", now),
            *("--format", "json", "--config", str(folder / "winlang.toml")),
        ],
    )
    assert result.exit_code == 0, result.output
    return {rule["name"]: rule["matched"] for rule in json.loads(result.stdout)["rules"]}


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_ids_that_look_like_numbers_stay_text_across_runs(tmp_path, engine):
    _project(tmp_path)
    assert _run(tmp_path, engine, "2030-03-01T12:00:00Z") == {"first": 2, "again": 0}
    # "007" and "0042" received t (sent now, before 2030); "7" did not, though int("007") == 7.
    assert _run(tmp_path, engine, "2030-03-02T12:00:00Z") == {"first": 0, "again": 2}
    assert _run(tmp_path, engine, "2030-03-03T12:00:00Z") == {"first": 0, "again": 0}  # fired
    state = sqlite3.connect(tmp_path / "state.db")
    members = sorted(row[0] for row in state.execute("SELECT customer_id FROM list_members"))
    messages = {row[0] for row in state.execute("SELECT customer_id FROM messages")}
    assert members == ["0042", "007"] and messages == {"007", "0042"}
    sent = [json.loads(line)["to"] for line in (tmp_path / "outbox" / "sms.jsonl").open()]
    assert sorted(sent) == ["+100", "+400"]


def test_explain_takes_the_id_as_the_store_types_it(tmp_path):
    _project(tmp_path)
    _run(tmp_path, "sql", "2030-03-01T12:00:00Z")
    explained = {}
    for customer in ("007", "7"):
        result = CliRunner().invoke(
            cli,
            [
                *("explain", str(tmp_path / "ids.win"), "--customer", customer),
                *("--now", "2030-03-02T12:00:00Z", "--config", str(tmp_path / "winlang.toml")),
            ],
        )
        assert result.exit_code == 0, result.output
        explained[customer] = result.stdout
    assert explained["007"].startswith("customer 007 ")
    assert "received t → true" in explained["007"]
    assert "received t → false" in explained["7"]
