"""`winlang explain` on an id the store does not have: one line naming the table, the id column
and the store that were searched, exit status 1, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli

CAMPAIGN = 'campaign "c"\nrule hello: when orders > 0 then add to list "buyers"\n'


def make_project(folder: Path, id_type: str) -> Path:
    """A store whose customers live in `clients`, keyed by `client_id` (mapped in the config)."""
    db = sqlite3.connect(folder / "crm.db")
    db.execute(f"CREATE TABLE clients (client_id {id_type} PRIMARY KEY, orders INTEGER)")
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.executemany("INSERT INTO clients VALUES (?, ?)", [("7", 1), ("8", 2)])
    db.commit()
    db.close()
    (folder / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///crm.db"\ncustomers = "clients"\n'
        '[store.columns]\nid = "client_id"\n[state]\nurl = "sqlite:///state.db"\n',
        encoding="utf-8",
    )
    (folder / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def explain(folder: Path, customer: str):
    return CliRunner().invoke(
        cli,
        ["explain", str(folder / "c.win"), "--customer", customer, "--now",
         "2026-11-22T10:00:00Z", "--config", str(folder / "winlang.toml")],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("id_type", "customer", "message"),
    [
        ("INTEGER", "99", "no customer with id 99 in the `clients` table (column `client_id`)"),
        ("TEXT", "c-99", "no customer with id c-99 in the `clients` table (column `client_id`)"),
        (
            "INTEGER",
            "abc",
            "`abc` is not a customer id: the ids in the `clients` table (column `client_id`) "
            "of the store sqlite:///{folder}/crm.db are numbers",
        ),
    ],
    ids=["number", "text", "text-for-number-ids"],
)
def test_a_missing_customer_names_the_table_column_and_store_searched(
    tmp_path: Path, id_type: str, customer: str, message: str
) -> None:
    folder = make_project(tmp_path, id_type)
    result = explain(folder, customer)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert message.format(folder=folder) in line
    assert line.startswith("winlang: ") and f"of the store sqlite:///{folder}/crm.db" in line


def test_a_customer_the_store_has_is_explained(tmp_path: Path) -> None:
    result = explain(make_project(tmp_path, "INTEGER"), "7")
    assert result.exit_code == 0, result.output
    assert "hello" in result.stdout
