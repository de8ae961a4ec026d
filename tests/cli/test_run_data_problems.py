"""`winlang run` on stores whose data does not fit: one clear line, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli

CAMPAIGN = 'campaign "c"\ntemplate t sms "hi"\nwhen lifetime_value > 10 then send sms t\n'


def _project(tmp_path, value_type: str, rows: list[tuple]) -> None:
    db = sqlite3.connect(tmp_path / "shop.db")
    db.execute(
        f"CREATE TABLE customers (id INTEGER PRIMARY KEY, lifetime_value {value_type},"
        " phone TEXT, consent_sms BOOLEAN)"
    )
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", rows)
    db.commit()
    db.close()
    schema = {
        "customers": {
            "id": "number",
            "lifetime_value": "number",
            "phone": "text",
            "consent_sms": "bool",
        },
        "events": {"customer_id": "number", "type": "text", "occurred_at": "timestamp"},
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\nschema = "schema.json"\n', encoding="utf-8"
    )
    (tmp_path / "c.win").write_text(CAMPAIGN, encoding="utf-8")


def _run(tmp_path, engine: str):
    return CliRunner().invoke(
        cli,
        [
            "run",
            str(tmp_path / "c.win"),
            "--dry-run",
            "--engine",
            engine,
            "--config",
            str(tmp_path / "winlang.toml"),
        ],
    )


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_a_stale_schema_file_is_caught_before_coercing(tmp_path, engine):
    _project(tmp_path, "TEXT", [(1, "abc", "+1", 1)])
    result = _run(tmp_path, engine)
    assert result.exit_code == 2
    assert "`customers`.`lifetime_value` holds text values in the store" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_an_empty_store_says_so(tmp_path, engine):
    _project(tmp_path, "REAL", [])
    result = _run(tmp_path, engine)
    assert result.exit_code == 0
    assert "audience" in result.stdout
    assert "the store's `customers` table is empty" in result.stderr


WRONG_TYPED = "winlang: `customers.lifetime_value` holds 'abc', which is not a number\n"


@pytest.mark.parametrize("engine", ["numpy", "sql"])
@pytest.mark.parametrize("where", [0, 1, 999])  # first row, among numbers, last row
def test_text_in_a_number_column_is_refused_alike_by_both_engines(tmp_path, engine, where):
    # SQLite keeps 'abc' in a REAL column; the SQL engine must not decide on it silently.
    rows = [(i, 50.0 + i, f"+{i}", 1) for i in range(1000)]
    rows[where] = (where, "abc", "+1", 1)
    _project(tmp_path, "REAL", rows)
    result = _run(tmp_path, engine)
    assert (result.exit_code, result.stderr) == (2, WRONG_TYPED)
    assert result.stdout == ""


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_text_in_a_bool_column_is_refused(tmp_path, engine):
    _project(tmp_path, "REAL", [(1, 50.0, "+1", 1), (2, 50.0, "+2", "yes")])
    result = _run(tmp_path, engine)
    assert result.exit_code == 2
    assert "`customers.consent_sms` holds 'yes', which is not a bool" in result.stderr


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_text_in_an_events_amount_is_refused_alike(tmp_path, engine):
    _project(tmp_path, "REAL", [(1, 50.0, "+1", 1)])
    db = sqlite3.connect(tmp_path / "shop.db")
    db.execute("ALTER TABLE events ADD COLUMN amount REAL")
    events = [(1, "purchase", f"2026-01-{day:02} 10:00:00", 9.5) for day in range(1, 29)]
    events.insert(20, (1, "purchase", "2026-01-20 11:00:00", "abc"))
    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", events)
    db.commit()
    db.close()
    schema = json.loads((tmp_path / "schema.json").read_text())
    schema["events"]["amount"] = "number"
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    (tmp_path / "c.win").write_text(
        'campaign "c"\ntemplate t sms "hi"\n'
        "when sum(purchase.amount within 90 days) > 10 then send sms t\n"
    )
    result = CliRunner().invoke(
        cli,
        [
            *("run", str(tmp_path / "c.win"), "--dry-run", "--engine", engine),
            *("--now", "2026-02-01T00:00:00Z", "--config", str(tmp_path / "winlang.toml")),
        ],
    )
    assert result.exit_code == 2
    assert result.stderr == "winlang: `events.amount` holds 'abc', which is not a number\n"


def test_the_engine_guide_shows_the_message_as_it_is():
    guide = Path(__file__).resolve().parents[2] / "docs" / "engine.md"
    assert f"```text\n{WRONG_TYPED}```" in guide.read_text(encoding="utf-8")


def test_a_huge_wrong_value_is_shown_cut_short(tmp_path):
    _project(tmp_path, "REAL", [(1, "x" * 1_000_000, "+1", 1)])
    result = _run(tmp_path, "sql")
    assert result.exit_code == 2 and len(result.stderr) < 200
