"""A store that does not follow the demo's names, written as SQLite, DuckDB and Parquet.

A new user's store has its own habits: tables ``clients`` and ``activity``, text ids in
``client_ref``, the phone in ``mobile``, SMS consent in ``sms_optin`` as a 0/1 INTEGER, the IANA
zone in ``tz``, and events with columns ``who``, ``kind``, ``via`` and ``at``. Everything is
mapped in ``winlang.toml`` (``[store]``, ``[store.columns]``, ``[channels.sms]``), and
:data:`EXPECTED` says who a run at :data:`NOW` must message, and why each other client is not.

Reusable: ``write_own_names(folder, kind)`` returns the config to pass to ``winlang --config``;
:data:`CLIENTS` and :data:`EVENTS` are the rows, to extend for another promise.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

NOW = "2026-11-22T10:00:00Z"  # 05:00 in New York, 10:00 in London, 19:00 in Seoul
KINDS = ("sqlite", "duckdb", "parquet", pytest.param("spark", marks=pytest.mark.spark))

# client_ref, first_name, mobile, sms_optin (0/1, None), tz, last_order_at
CLIENTS: list[tuple] = [
    ("c-ana", "Ana", "+447700900001", 1, "Europe/London", "2026-08-01 12:00:00"),
    ("c-bob", "Bob", "+447700900002", 0, "Europe/London", "2026-08-01 12:00:00"),
    ("c-nyc", "Nora", "+12125550103", 1, "America/New_York", "2026-08-01 12:00:00"),
    ("c-dan", "Dan", "   ", 1, "Europe/London", "2026-08-01 12:00:00"),
    ("c-eve", "Eve", "", 1, "Europe/London", "2026-08-01 12:00:00"),
    ("c-fay", "Fay", "+40722000006", 1, "Mars/Olympus_Mons", "2026-08-01 12:00:00"),
    ("c-gus", "Gus", "+40722000007", None, "Europe/Bucharest", "2026-08-01 12:00:00"),
    ("c-hal", "Hal", "+40722000008", 1, "Europe/Bucharest", "2026-08-01 12:00:00"),
    ("c-ivy", "Ivy", "+82100000009", 1, "", "2026-08-01 12:00:00"),
    ("c-seo", "Seo", "+82100000010", 1, "Asia/Seoul", "2026-08-01 12:00:00"),
]
# who, kind, via, at: Hal bought last week, so he is no longer lapsed
EVENTS: list[tuple] = [
    ("c-hal", "purchase", None, "2026-11-15 09:00:00"),
    ("c-ana", "open", "sms", "2026-11-01 09:00:00"),
    ("c-bob", "purchase", None, "2026-01-01 09:00:00"),
]

CAMPAIGN = """\
campaign "own-names"
  timezone "Europe/London"
  quiet hours 21:00 to 09:00

template nudge sms "Hi {first_name|there}, 10% off your next order with code BACK10"

rule nudge: when not purchased within 30 days then send sms nudge
"""

# What a run at NOW does with each client of the audience that the rule matches.
SENT = ["c-ana", "c-fay", "c-ivy", "c-seo"]  # Fay's unknown zone falls back to London
EXPECTED = {
    "sent": SENT,
    "no_consent": ["c-bob", "c-gus"],  # 0 and null are not consent
    "no_address": ["c-dan", "c-eve"],  # blank and empty mobiles
    "quiet_hours": ["c-nyc"],  # 05:00 in her own zone
}
INVALID_ZONES = ["Mars/Olympus_Mons"]

CONFIG = """\
[store]
url = "{url}"
customers = "clients"
events = "activity"

[store.columns]
id = "client_ref"
timezone = "tz"
customer_id = "who"
type = "kind"
channel = "via"
occurred_at = "at"

[state]
url = "sqlite:///{folder}/winlang-state.db"

[channels.sms]
plugin = "outbox"
address = "mobile"
consent = "sms_optin"
path = "outbox/sms.jsonl"
"""

_CLIENTS_DDL = (
    "CREATE TABLE clients (client_ref VARCHAR PRIMARY KEY, first_name VARCHAR, "
    "mobile VARCHAR, sms_optin INTEGER, tz VARCHAR, last_order_at TIMESTAMP)"
)
_EVENTS_DDL = 'CREATE TABLE activity (who VARCHAR, kind VARCHAR, via VARCHAR, "at" TIMESTAMP)'


def write_own_names(folder: Path, kind: str, config: str = CONFIG) -> Path:
    """The store of ``kind`` (sqlite, duckdb, parquet) in ``folder``, its campaign
    ``own-names.win`` and its ``winlang.toml``; returns the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    url = {
        "sqlite": lambda: f"sqlite:///{_sqlite(folder / 'shop.db')}",
        "duckdb": lambda: f"duckdb:///{_duckdb(folder / 'shop.duckdb')}",
        "parquet": lambda: f"parquet://{_parquet(folder / 'parquet')}",
        "spark": lambda: f"spark://{_parquet(folder / 'parquet')}",
    }[kind]()
    (folder / "own-names.win").write_text(CAMPAIGN, encoding="utf-8")
    path = folder / "winlang.toml"
    path.write_text(config.format(url=url, folder=folder), encoding="utf-8")
    return path


def _sqlite(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as db:
        db.execute(_CLIENTS_DDL)
        db.execute(_EVENTS_DDL)
        db.executemany("INSERT INTO clients VALUES (?, ?, ?, ?, ?, ?)", CLIENTS)
        db.executemany("INSERT INTO activity VALUES (?, ?, ?, ?)", EVENTS)
        db.commit()
    return path


def _duckdb(path: Path) -> Path:
    import duckdb

    with closing(duckdb.connect(str(path))) as db:
        db.execute(_CLIENTS_DDL)
        db.execute(_EVENTS_DDL)
        db.executemany("INSERT INTO clients VALUES (?, ?, ?, ?, ?, ?)", CLIENTS)
        db.executemany("INSERT INTO activity VALUES (?, ?, ?, ?)", EVENTS)
    return path


def _parquet(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ref, first, mobile, optin, tz, last = zip(*CLIENTS, strict=True)
    clients = pa.table(
        {
            "client_ref": pa.array(ref, pa.string()),
            "first_name": pa.array(first, pa.string()),
            "mobile": pa.array(mobile, pa.string()),
            "sms_optin": pa.array(optin, pa.int64()),
            "tz": pa.array(tz, pa.string()),
            "last_order_at": pa.array(map(_moment, last), pa.timestamp("us")),
        }
    )
    who, kind, via, at = zip(*EVENTS, strict=True)
    activity = pa.table(
        {
            "who": pa.array(who, pa.string()),
            "kind": pa.array(kind, pa.string()),
            "via": pa.array(via, pa.string()),
            "at": pa.array(map(_moment, at), pa.timestamp("us")),
        }
    )
    pq.write_table(clients, folder / "clients.parquet")
    pq.write_table(activity, folder / "activity.parquet")
    return folder


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
