"""Unsubscribes, complaints and hard bounces in the store's own events table suppress, like
ingested ones and a rule's ``unsubscribe`` action: on every store kind and both engines, in a
dry run, a real run and ``winlang explain`` (docs/policies.md, "Suppressions")."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from winlang.cli import cli
from winlang.state import open_state
from winlang.state import tables as T

NOW = "2026-11-22T13:00:00Z"
CAMPAIGN = """campaign "c"
template hi_email email subject "Hi" body "hi"
template hi sms "hi"
rule hello: when orders > 0 then send email hi_email else send sms hi
"""
CUSTOMERS = [f"c{i}" for i in range(1, 13)]
# The store's own names: events are (cust, kind, medium, happened, bounce_class).
EVENTS = [
    ("c2", "unsubscribe", "email", "2026-11-20 08:00:00", None),  # email only: sms instead
    ("c3", "unsubscribe", None, "2026-11-20 08:00:00", None),  # every channel
    ("c4", "complaint", "email", "2026-11-20 08:00:00", None),  # a spam report
    ("c5", "bounce", "email", "2026-11-20 08:00:00", "HardBounce"),  # Postmark's name
    ("c6", "bounce", "email", "2026-11-20 08:00:00", "SoftBounce"),  # suppresses nothing
    ("c7", "unsubscribe", "email", "2026-11-23 08:00:00", None),  # after now: not yet
    ("c8", "unsubscribe", "email", "2026-11-20 08:00:00", None),
    ("c8", "unsubscribe", "sms", "2026-11-21 08:00:00", None),  # both channels of the chain
    ("c9", "hard_bounce", "email", "2026-11-20 08:00:00", None),
    ("c10", "click", "email", "2026-11-20 08:00:00", None),  # not a suppression
    ("c12", "unsubscribe", "sms", "2026-11-20 08:00:00", None),
]
# c11: a complaint with no channel, ingested. c12: a rule's `unsubscribe from email` action,
# an unsubscribe from sms in the store and an ingested hard bounce: suppressed three times.
INGESTED = [
    {
        "event_id": "esp-1",
        "customer_id": "c11",
        "type": "complaint",
        "occurred_at": "2026-11-21T09:30:00Z",
    },
    {
        "event_id": "esp-2",
        "customer_id": "c12",
        "type": "hard_bounce",
        "channel": "email",
        "occurred_at": "2026-11-21T09:30:00Z",
    },
]
EMAIL = ["c1", "c6", "c7", "c10"]
SMS = ["c2", "c4", "c5", "c9"]
SUPPRESSED = ["c11", "c12", "c3", "c8"]  # skipped `unsubscribed` on their chain's first channel
CONFIG = """[store]
url = "{url}"
[store.columns]
customer_id = "cust"
type = "kind"
channel = "medium"
occurred_at = "happened"
bounce_type = "bounce_class"
[state]
url = "sqlite:///state.db"
"""


def customers() -> pa.Table:
    n = len(CUSTOMERS)
    return pa.table(
        {
            "id": CUSTOMERS,
            "orders": [1] * n,
            "email": [f"{c}@example.com" for c in CUSTOMERS],
            "consent_email": [True] * n,
            "phone": [f"+4072200{i:02d}" for i in range(n)],
            "consent_sms": [True] * n,
        }
    )


def events() -> pa.Table:
    cust, kind, medium, at, bounce = zip(*EVENTS, strict=True)
    return pa.table(
        {
            "cust": list(cust),
            "kind": list(kind),
            "medium": pa.array(medium, pa.string()),
            "happened": pa.array([datetime.fromisoformat(t) for t in at], pa.timestamp("us")),
            "bounce_class": pa.array(bounce, pa.string()),
        }
    )


def write_sql(url: str) -> None:
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    c = sa.Table(
        "customers",
        metadata,
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("orders", sa.Integer),
        sa.Column("email", sa.String(100)),
        sa.Column("consent_email", sa.Boolean),
        sa.Column("phone", sa.String(30)),
        sa.Column("consent_sms", sa.Boolean),
    )
    e = sa.Table(
        "events",
        metadata,
        sa.Column("cust", sa.String(20)),
        sa.Column("kind", sa.String(40)),
        sa.Column("medium", sa.String(20)),
        sa.Column("happened", sa.DateTime),
        sa.Column("bounce_class", sa.String(40)),
    )
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(c.insert(), customers().to_pylist())
        connection.execute(e.insert(), events().to_pylist())
    engine.dispose()


def write_store(kind: str, folder: Path, postgres_url: str | None = None) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'shop.db'}"
        write_sql(url)
    elif kind == "duckdb":
        url = f"duckdb:///{folder / 'shop.duckdb'}"
        with duckdb.connect(str(folder / "shop.duckdb")) as db:
            for name, table in (("customers", customers()), ("events", events())):
                db.register("t", table)
                db.execute(f"CREATE TABLE {name} AS SELECT * FROM t")
                db.unregister("t")
    elif kind == "parquet":
        (folder / "pq").mkdir()
        pq.write_table(customers(), folder / "pq" / "customers.parquet")
        pq.write_table(events(), folder / "pq" / "events.parquet")
        url = f"parquet://{folder / 'pq'}"
    elif kind == "csv":
        (folder / "csv").mkdir()
        pacsv.write_csv(customers(), folder / "csv" / "customers.csv")
        pacsv.write_csv(events(), folder / "csv" / "events.csv")
        url = f"csv://{folder / 'csv'}"
    else:
        assert postgres_url is not None
        url = postgres_url
        write_sql(url)
    return url


def make_project(folder: Path, url: str) -> Path:
    (folder / "winlang.toml").write_text(CONFIG.format(url=url), encoding="utf-8")
    (folder / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    state = open_state(f"sqlite:///{folder / 'state.db'}")
    with state.engine.begin() as connection:  # as `then unsubscribe from email` writes it
        connection.execute(
            T.suppressions.insert().values(
                customer_id="c12", channel="email", campaign="ladder", at=datetime(2026, 11, 1)
            )
        )
    state.engine.dispose()
    (folder / "esp.jsonl").write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in INGESTED))
    result = invoke(folder, "ingest", str(folder / "esp.jsonl"))
    assert result.exit_code == 0, result.output
    return folder


def invoke(project: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--config", str(project / "winlang.toml")])


def run(project: Path, *args: str, now: str = NOW) -> dict:
    result = invoke(project, "run", str(project / "c.win"), "--now", now, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def outbox(project: Path, channel: str) -> list[str]:
    path = project / "outbox" / f"{channel}.jsonl"
    lines = path.read_bytes().splitlines() if path.exists() else []
    return sorted(orjson.loads(line)["customer_id"] for line in lines)


def skips(project: Path) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{project / 'state.db'}")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(T.skips.c.customer_id, T.skips.c.reason)).all()
    engine.dispose()
    return sorted(tuple(r) for r in rows)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "policies.md"
DOCS_EXPLAIN = re.search(
    r"^```text\n(suppressed \(.*?)^```$", DOCS.read_text(encoding="utf-8"), re.S | re.M
)[1]
EXPECTED_RULE = {
    "name": "hello",
    "matched": 12,
    "sent": 8,
    "held_out": 0,
    "failed": 0,
    "skipped": {"unsubscribed": 4},
    "channels": {"email": 4, "sms": 4},
    "sms_parts": 4,
}
CASES = [
    ("sqlite", "numpy"),
    ("sqlite", "sql"),
    ("duckdb", "numpy"),
    ("duckdb", "sql"),
    ("parquet", "numpy"),
    ("csv", "numpy"),
]


@pytest.mark.parametrize(("kind", "engine"), CASES)
def test_store_suppressions_in_a_dry_run_and_a_real_run(kind, engine, tmp_path):
    project = make_project(tmp_path, write_store(kind, tmp_path))
    (rule,) = run(project, "--dry-run", "--engine", engine)["rules"]
    assert rule == EXPECTED_RULE
    (rule,) = run(project, "--engine", engine)["rules"]
    assert rule == EXPECTED_RULE
    assert outbox(project, "email") == sorted(EMAIL)
    assert outbox(project, "sms") == sorted(SMS)
    assert skips(project) == [(c, "unsubscribed") for c in sorted(SUPPRESSED)]


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_store_suppressions_on_postgresql(engine, tmp_path, postgres_url, postgres_engine):
    """``postgres_engine`` empties the database afterwards, so no later test finds the
    store's tables there (a state refuses a database holding other tables)."""
    project = make_project(tmp_path, write_store("postgresql", tmp_path, postgres_url))
    (rule,) = run(project, "--dry-run", "--engine", engine)["rules"]
    assert rule == EXPECTED_RULE


def test_events_after_now_do_not_count(tmp_path):
    project = make_project(tmp_path, write_store("sqlite", tmp_path))
    # 2026-11-20 07:00: no store event yet, the ingested complaint not yet; only the action.
    (rule,) = run(project, "--dry-run", now="2026-11-20T07:00:00Z")["rules"]
    assert rule["skipped"] == {} and rule["channels"] == {"email": 11, "sms": 1}
    # 2026-11-23 09:00: c7 has unsubscribed from email too: sms instead.
    (rule,) = run(project, "--dry-run", now="2026-11-23T09:00:00Z")["rules"]
    assert rule["skipped"] == {"unsubscribed": 4} and rule["channels"] == {"email": 3, "sms": 5}


def test_explain_shows_each_suppression_and_where_it_comes_from(tmp_path):
    project = make_project(tmp_path, write_store("sqlite", tmp_path))
    campaign = str(project / "c.win")

    def explain(customer: str, *args: str):
        result = invoke(project, "explain", campaign, "--customer", customer, "--now", NOW, *args)
        assert result.exit_code == 0, result.output
        return result.stdout

    text = explain("c8")
    assert text.endswith(
        "suppressed (the contact policies skip these channels):\n"
        "  email: unsubscribe event in the store's `events` table at 2026-11-20 08:00:00\n"
        "  sms: unsubscribe event in the store's `events` table at 2026-11-21 08:00:00\n"
    )
    assert (
        "every channel: complaint event ingested with `winlang ingest` at 2026-11-21 09:30:00"
        in (explain("c11"))
    )
    shown = explain("c12")  # docs/policies.md shows this very output
    assert shown.endswith(DOCS_EXPLAIN) and DOCS_EXPLAIN.count("\n") == 4
    assert "email: hard bounce event in the store's `events` table" in explain("c5")
    assert "suppressed" not in explain("c6") + explain("c7") + explain("c10")
    found = json.loads(explain("c5", "--format", "json"))["suppressions"]
    assert found == [
        {
            "channel": "email",
            "at": "2026-11-20T08:00:00Z",
            "origin": "store",
            "event": "bounce",
            "campaign": None,
        }
    ]


def test_ingest_records_complaints_and_hard_bounces_but_not_soft_bounces(tmp_path):
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    (tmp_path / "winlang.toml").write_text(f'[state]\nurl = "{state_url}"\n', encoding="utf-8")
    lines = [
        {"event_id": "1", "customer_id": "a", "type": "complaint", "channel": "email"},
        {"event_id": "2", "customer_id": "b", "type": "hard_bounce", "channel": "email"},
        {"event_id": "3", "customer_id": "c", "type": "bounce", "channel": "email"},
        {"event_id": "4", "customer_id": "d", "type": "unsubscribe"},
    ]
    at = "2026-11-20T08:00:00Z"
    (tmp_path / "e.jsonl").write_bytes(
        b"".join(orjson.dumps({**r, "occurred_at": at}) + b"\n" for r in lines)
    )
    result = invoke(tmp_path, "ingest", str(tmp_path / "e.jsonl"))
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(state_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(T.suppressions.c.customer_id, T.suppressions.c.channel))
        assert sorted(tuple(r) for r in rows) == [("a", "email"), ("b", "email"), ("d", "*")]
    engine.dispose()


def test_a_store_without_a_channel_column_suppresses_every_channel(tmp_path):
    db = sqlite3.connect(tmp_path / "shop.db")
    db.execute(
        "CREATE TABLE customers (id TEXT PRIMARY KEY, orders INTEGER, email TEXT,"
        " consent_email BOOLEAN, phone TEXT, consent_sms BOOLEAN)"
    )
    db.executemany(
        "INSERT INTO customers VALUES (?, 1, 'x@example.com', 1, '+40722', 1)", [("a",), ("b",)]
    )
    db.execute("CREATE TABLE events (customer_id TEXT, type TEXT, occurred_at DATETIME)")
    db.execute("INSERT INTO events VALUES ('a', 'unsubscribe', '2026-11-20 08:00:00')")
    db.commit()
    db.close()
    (tmp_path / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n', "utf-8"
    )
    (tmp_path / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    (rule,) = run(tmp_path, "--dry-run")["rules"]
    assert rule["skipped"] == {"unsubscribed": 1} and rule["channels"] == {"email": 1}


def test_a_mapped_bounce_type_column_the_store_lacks_is_an_error(tmp_path):
    project = make_project(tmp_path, write_store("sqlite", tmp_path))
    config = project / "winlang.toml"
    config.write_text(config.read_text("utf-8").replace("bounce_class", "severity"), "utf-8")
    result = invoke(project, "run", str(project / "c.win"), "--dry-run", "--now", NOW)
    assert result.exit_code == 2
    assert "error[E709]: the store's `events` table has no column `severity`" in result.output
    assert "(the mapped `bounce_type` column)" in result.output
