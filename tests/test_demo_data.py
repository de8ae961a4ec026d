"""The demo data generator and its writers: shapes, invariants and round trips."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, String, create_engine, inspect, text

from winlang.demo import (
    DemoData,
    generate,
    write_csv,
    write_duckdb,
    write_parquet,
    write_sqlite,
)

CUSTOMERS = 2_000
NOW = datetime(2026, 11, 22, 10)  # generate()'s default now, as a naive UTC timestamp

CUSTOMER_COLUMNS = {
    "id": pa.int64(),
    "first_name": pa.string(),
    "email": pa.string(),
    "phone": pa.string(),
    "push_token": pa.string(),
    "timezone": pa.string(),
    "country": pa.string(),
    "city": pa.string(),
    "tier": pa.string(),
    "lifetime_value": pa.float64(),
    "orders": pa.int64(),
    "last_purchase_at": pa.timestamp("us"),
    "last_visit_at": pa.timestamp("us"),
    "signup_at": pa.timestamp("us"),
    "birthday": pa.date32(),
    "consent_email": pa.bool_(),
    "consent_sms": pa.bool_(),
    "consent_push": pa.bool_(),
    "subscription_status": pa.string(),
    "churn_reason": pa.string(),
    "subscription_expired_at": pa.timestamp("us"),
}
EVENT_COLUMNS = {
    "id": pa.int64(),
    "customer_id": pa.int64(),
    "type": pa.string(),
    "channel": pa.string(),
    "campaign": pa.string(),
    "template": pa.string(),
    "occurred_at": pa.timestamp("us"),
    "amount": pa.float64(),
    "product_name": pa.string(),
}
MESSAGE_TYPES = {"open", "click", "bounce", "delivered", "unsubscribe"}
TIMEZONES = {
    "KR": {"Asia/Seoul"},
    "RO": {"Europe/Bucharest"},
    "US": {"America/New_York", "America/Chicago", "America/Los_Angeles"},
    "HU": {"Europe/Budapest"},
    "ES": {"Europe/Madrid"},
    "JP": {"Asia/Tokyo"},
}


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(CUSTOMERS)


def column(table: pa.Table, name: str) -> list:
    return table.column(name).to_pylist()


def null_share(table: pa.Table, name: str) -> float:
    return table.column(name).null_count / table.num_rows


# --- generation ------------------------------------------------------------------------------


def test_same_seed_gives_the_same_data(data: DemoData) -> None:
    again = generate(CUSTOMERS)
    assert again.customers.equals(data.customers)
    assert again.events.equals(data.events)
    other = generate(CUSTOMERS, seed=8)
    assert not other.customers.equals(data.customers)


def test_columns_have_the_documented_names_and_types(data: DemoData) -> None:
    assert dict(zip(data.customers.column_names, data.customers.schema.types, strict=True)) == (
        CUSTOMER_COLUMNS
    )
    assert dict(zip(data.events.column_names, data.events.schema.types, strict=True)) == (
        EVENT_COLUMNS
    )
    assert data.customers.column_names == list(CUSTOMER_COLUMNS)  # order too
    assert data.events.column_names == list(EVENT_COLUMNS)


def test_zero_customers_gives_empty_tables() -> None:
    empty = generate(0)
    assert (empty.customers.num_rows, empty.events.num_rows) == (0, 0)
    assert empty.events.column_names == list(EVENT_COLUMNS)


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("email", 0.01, 0.06),
        ("phone", 0.06, 0.15),
        ("push_token", 0.33, 0.47),
        ("timezone", 0.005, 0.04),
        ("tier", 0.03, 0.08),
        ("lifetime_value", 0.005, 0.04),
        ("birthday", 0.07, 0.14),
        ("consent_email", 0.005, 0.04),
        ("consent_sms", 0.005, 0.04),
        ("consent_push", 0.005, 0.04),
        ("id", 0.0, 0.0),
        ("first_name", 0.0, 0.0),
        ("country", 0.0, 0.0),
        ("orders", 0.0, 0.0),
        ("last_visit_at", 0.0, 0.0),
        ("signup_at", 0.0, 0.0),
        ("subscription_status", 0.0, 0.0),
    ],
)
def test_null_shares(data: DemoData, name: str, low: float, high: float) -> None:
    assert low <= null_share(data.customers, name) <= high


def test_customer_identity(data: DemoData) -> None:
    customers = data.customers
    assert column(customers, "id") == list(range(1, CUSTOMERS + 1))
    names = set(column(customers, "first_name"))
    assert {"김민준", "Ştefan", "Ágnes"} <= names
    assert any(re.search("[\u3040-\u30ff\u4e00-\u9fff]", name) for name in names)  # Japanese
    phones = [p for p in column(customers, "phone") if p is not None]
    assert all(re.fullmatch(r"\+[1-9]\d{7,14}", phone) for phone in phones)
    emails = [e for e in column(customers, "email") if e is not None]
    assert all(re.fullmatch(r"[a-z]+\d+@example\.(com|org|net)", email) for email in emails)
    for country, zone in zip(
        column(customers, "country"), column(customers, "timezone"), strict=True
    ):
        assert zone is None or zone in TIMEZONES[country]
    assert set(column(customers, "tier")) == {"bronze", "silver", "gold", None}


def test_commerce_is_consistent(data: DemoData) -> None:
    rows = data.customers.to_pylist()
    assert all(0 <= row["orders"] <= 50 for row in rows)
    assert np.median(column(data.customers, "orders")) < np.mean(column(data.customers, "orders"))
    for row in rows:
        bought = row["orders"] > 0
        assert (row["last_purchase_at"] is not None) == bought
        if row["lifetime_value"] is not None:
            assert (row["lifetime_value"] > 0) == bought
        if bought:
            assert NOW - timedelta(days=200) <= row["last_purchase_at"] <= NOW
            assert row["signup_at"] < row["last_purchase_at"] <= row["last_visit_at"] <= NOW
        assert row["signup_at"] <= row["last_visit_at"]
        expired = row["subscription_status"] == "expired"
        assert (row["subscription_expired_at"] is not None) == expired
        assert expired or row["churn_reason"] is None


def test_consents_are_mostly_given(data: DemoData) -> None:
    for name in ("consent_email", "consent_sms", "consent_push"):
        given = [value for value in column(data.customers, name) if value is not None]
        assert 0.70 <= sum(given) / len(given) <= 0.90


def test_some_birthdays_are_today_and_on_29_february(data: DemoData) -> None:
    birthdays = [day for day in column(data.customers, "birthday") if day is not None]
    assert any((day.month, day.day) == (NOW.month, NOW.day) for day in birthdays)
    assert any((day.month, day.day) == (2, 29) for day in birthdays)
    assert all(18 <= NOW.year - day.year <= 80 for day in birthdays)


def test_events_are_sorted_and_belong_to_customers(data: DemoData) -> None:
    events = data.events
    assert 8 <= events.num_rows / CUSTOMERS <= 12
    assert column(events, "id") == list(range(1, events.num_rows + 1))
    keys = list(zip(column(events, "customer_id"), column(events, "occurred_at"), strict=True))
    assert keys == sorted(keys)
    assert set(column(events, "customer_id")) <= set(column(data.customers, "id"))


def test_a_few_events_are_after_now(data: DemoData) -> None:
    moments = column(data.events, "occurred_at")
    later = sum(moment > NOW for moment in moments) / len(moments)
    assert 0.001 <= later <= 0.01
    recent = sum(moment >= NOW - timedelta(days=400) for moment in moments) / len(moments)
    assert recent > 0.9


def test_event_columns_fit_the_type(data: DemoData) -> None:
    for event in data.events.to_pylist():
        kind = event["type"]
        assert (event["channel"] is not None) == (kind in MESSAGE_TYPES)
        assert (event["amount"] is not None) == (kind == "purchase")
        assert (event["product_name"] is not None) == (kind in {"view", "purchase", "cart_add"})
        assert (event["campaign"] is None) == (event["template"] is None)
        if event["campaign"] == "sms-reengagement-ladder":
            assert (kind, event["channel"]) in {("open", "sms"), ("click", "sms")}
            assert event["template"] in {"survey", "contest", "coupon"}
        elif event["campaign"] == "winback-emails":
            assert (kind, event["channel"]) in {("open", "email"), ("click", "email")}
            assert event["template"] in {"hello", "incentive", "feedback", "last_call"}
    kinds = set(column(data.events, "type"))
    assert kinds == MESSAGE_TYPES | {"visit", "view", "purchase", "cart_add", "review"}


@pytest.mark.parametrize(
    ("kind", "field"), [("purchase", "last_purchase_at"), ("visit", "last_visit_at")]
)
def test_last_event_matches_the_customer_column(data: DemoData, kind: str, field: str) -> None:
    events = data.events
    now = pa.scalar(NOW, pa.timestamp("us"))
    mask = pc.and_(pc.equal(events["type"], kind), pc.less_equal(events["occurred_at"], now))
    latest = events.filter(mask).group_by("customer_id").aggregate([("occurred_at", "max")])
    expected = {row["id"]: row[field] for row in data.customers.to_pylist() if row[field]}
    got = dict(zip(column(latest, "customer_id"), column(latest, "occurred_at_max"), strict=True))
    assert got == expected


# --- writers ---------------------------------------------------------------------------------


def a_customer(data: DemoData) -> dict:
    """A customer with a null e-mail, a purchase and a birthday: checks nulls and types."""
    return next(
        row
        for row in data.customers.to_pylist()
        if row["email"] is None and row["last_purchase_at"] and row["birthday"]
    )


def test_sqlite_round_trip(data: DemoData, tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    write_sqlite(generate(10), path)  # overwritten below
    assert write_sqlite(data, path) == path
    customer = a_customer(data)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == CUSTOMERS
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == data.events.num_rows
        stored = db.execute(
            "SELECT email, last_purchase_at, birthday, consent_sms, lifetime_value"
            " FROM customers WHERE id = ?",
            (customer["id"],),
        ).fetchone()
        indexes = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
    assert stored[0] is None
    assert stored[1] == customer["last_purchase_at"].strftime("%Y-%m-%d %H:%M:%S.%f")
    assert stored[2] == customer["birthday"].isoformat()
    assert stored[3] in (0, 1, None)
    assert stored[4] == customer["lifetime_value"]
    assert {"ix_events_customer_id", "ix_events_type"} <= indexes


def test_sqlite_reflects_and_reads_back_through_sqlalchemy(data: DemoData, tmp_path: Path) -> None:
    path = write_sqlite(data, tmp_path / "shop.db")
    engine = create_engine(f"sqlite:///{path}")
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("customers")}
    expected = {
        "id": Integer,
        "first_name": String,
        "lifetime_value": Float,
        "consent_email": Boolean,
        "signup_at": DateTime,
        "birthday": Date,
    }
    for name, kind in expected.items():
        assert isinstance(columns[name], kind), (name, columns[name])
    assert inspect(engine).get_pk_constraint("customers")["constrained_columns"] == ["id"]
    customer = a_customer(data)
    from sqlalchemy import Column, MetaData, Table

    customers = Table(
        "customers",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("last_purchase_at", DateTime),
        Column("birthday", Date),
        Column("consent_email", Boolean),
    )
    with engine.connect() as conn:
        row = conn.execute(customers.select().where(customers.c.id == customer["id"])).one()
    engine.dispose()
    assert row.last_purchase_at == customer["last_purchase_at"]
    assert row.birthday == customer["birthday"]
    assert row.consent_email == customer["consent_email"]


def test_duckdb_round_trip(data: DemoData, tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    write_duckdb(generate(10), path)  # overwritten below
    assert write_duckdb(data, path) == path
    customer = a_customer(data)
    with duckdb.connect(str(path), read_only=True) as db:
        assert db.execute("SELECT count(*) FROM customers").fetchone()[0] == CUSTOMERS
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == data.events.num_rows
        types = {row[0]: row[1] for row in db.execute("DESCRIBE customers").fetchall()}
        stored = db.execute(
            "SELECT email, last_purchase_at, birthday, lifetime_value FROM customers WHERE id = ?",
            [customer["id"]],
        ).fetchone()
        first_event = db.execute("SELECT * FROM events ORDER BY id LIMIT 1").fetchone()
    assert types["id"] == "BIGINT"
    assert types["lifetime_value"] == "DOUBLE"
    assert types["consent_sms"] == "BOOLEAN"
    assert types["signup_at"] == "TIMESTAMP"
    assert types["birthday"] == "DATE"
    assert stored == (
        None,
        customer["last_purchase_at"],
        customer["birthday"],
        customer["lifetime_value"],
    )
    assert first_event == tuple(data.events.slice(0, 1).to_pylist()[0].values())


def test_duckdb_store_works_through_sqlalchemy(data: DemoData, tmp_path: Path) -> None:
    path = write_duckdb(data, tmp_path / "shop.duckdb")
    engine = create_engine(f"duckdb:///{path}")
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM events WHERE type = 'purchase'")).scalar()
        signup = conn.execute(text("SELECT signup_at FROM customers WHERE id = 1")).scalar()
    engine.dispose()
    assert count == pc.sum(pc.equal(data.events["type"], "purchase")).as_py()
    assert signup == data.customers["signup_at"][0].as_py()


def test_parquet_round_trip(data: DemoData, tmp_path: Path) -> None:
    customers, events = write_parquet(data, tmp_path / "store")
    assert (customers.name, events.name) == ("customers.parquet", "events.parquet")
    assert pq.read_table(customers).equals(data.customers)
    assert pq.read_table(events).equals(data.events)


def test_csv_round_trip(data: DemoData, tmp_path: Path) -> None:
    customers, _ = write_csv(data, tmp_path / "store")
    write_csv(data, tmp_path / "store")  # overwriting is fine
    options = pa_csv.ConvertOptions(column_types=data.customers.schema, strings_can_be_null=True)
    read = pa_csv.read_csv(customers, convert_options=options)
    assert read.num_rows == CUSTOMERS
    assert read.equals(data.customers)
    text_of = customers.read_text(encoding="utf-8")
    assert "김민준" in text_of or "Ştefan" in text_of


def test_now_is_kept_and_may_be_naive() -> None:
    naive = generate(50, now=NOW)
    assert naive.now == NOW
    assert naive.customers.equals(generate(50).customers)
    assert max(column(naive.customers, "last_visit_at")) <= NOW
    assert date(2026, 11, 22) == NOW.date()
