"""`winlang run` on stores whose data does not fit: one clear line, never a traceback."""

from __future__ import annotations

import json
import sqlite3

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
    assert result.exit_code == 1
    assert "`customers`.`lifetime_value` holds text values in the store" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_an_empty_store_says_so(tmp_path, engine):
    _project(tmp_path, "REAL", [])
    result = _run(tmp_path, engine)
    assert result.exit_code == 0
    assert "audience" in result.stdout
    assert "the store's `customers` table is empty" in result.stderr
