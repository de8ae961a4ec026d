"""SQLite keeps times as text; pushdown reads ISO text in UTC and refuses any other form
rather than misreading it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from winlang.backends.base import RunContext
from winlang.backends.sql import SqlBackend
from winlang.contracts.errors import DataError
from winlang.contracts.source import Layout
from winlang.plan import ir
from winlang.sources import open_source

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
RECENT = ir.Compare(">=", ir.Column("last_purchase_at", "timestamp"), ir.NowMinus(86_400 * 30))
OPENED = ir.EventAggregate("exists", ir.EventFilter("open"))


def _store(path, purchase: object, opened: object) -> str:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, last_purchase_at DATETIME)")
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    db.execute("INSERT INTO customers VALUES (1, ?)", (purchase,))
    db.execute("INSERT INTO events VALUES (1, 'open', ?)", (opened,))
    db.commit()
    db.close()
    return f"sqlite:///{path}"


def _values(url: str, node: ir.Node) -> list:
    _ids, (column,) = SqlBackend().values([node], open_source(url, Layout()), RunContext(now=NOW))
    return column.to_pylist()


@pytest.mark.parametrize(
    "stored",
    [
        "2026-11-20 10:00:00",
        "2026-11-20T10:00:00Z",
        "2026-11-20 10:00:00.250000",
        "2026-11-20T10:00:00.5+00:00",
        "2026-11-20",
    ],
)
def test_iso_text_in_utc_is_read(tmp_path, stored):
    url = _store(tmp_path / "s.db", stored, stored)
    assert _values(url, RECENT) == [True]
    assert _values(url, OPENED) == [True]


@pytest.mark.parametrize("stored", ["2026-11-20T10:00:00+02:00", 1763632800, "11/20/2026"])
@pytest.mark.parametrize("node, table", [(RECENT, "customers"), (OPENED, "events")])
def test_other_forms_are_refused_naming_the_column(tmp_path, stored, node, table):
    good = "2026-11-20 10:00:00"
    url = _store(
        tmp_path / "s.db",
        stored if table == "customers" else good,
        stored if table == "events" else good,
    )
    with pytest.raises(DataError, match=rf"`{table}`\.`\w+` holds .*not an ISO time in UTC"):
        _values(url, node)
