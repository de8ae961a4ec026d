"""SQLite keeps times as text, written in more than one way; comparisons must not care.

Text order is time order only between values written alike: "2026-08-23 10:00:00" sorts
before "2026-08-23 10:00:00.000000" (the same moment), and "2026-08-23T09:00:00" after
"2026-08-23 10:00:00" (" " < "T"). So the backend compares only the dates as text and
converts the values that fall on the bound's own day.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from winlang.plan import ir

from .sql_support import NOW, EngineSource, col, num, values

WRITTEN = [
    "2026-08-23 10:00:00",  # no fraction
    "2026-08-23 10:00:00.000000",  # SQLAlchemy's own format
    "2026-08-23T10:00:00",  # ISO "T"
    "2026-08-23T10:00:00.5",  # a short fraction
    "2026-08-23 09:59:59.999999",
    "2026-08-23 10:00:00.000001",
    "2026-08-23",  # a date: midnight
    "2026-08-24",
    "2026-08-22 23:59:59",
    "1969-12-31 23:59:59.999999",  # before 1970
    None,
]


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@pytest.fixture
def source(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, t TEXT)")
        connection.exec_driver_sql(
            "CREATE TABLE events (customer_id INTEGER, type TEXT, "
            "channel TEXT, campaign TEXT, template TEXT, occurred_at TEXT)"
        )
        for i, text in enumerate(WRITTEN, start=1):
            connection.exec_driver_sql("INSERT INTO customers VALUES (?, ?)", (i, text))
            if text is not None:
                connection.exec_driver_sql(
                    "INSERT INTO events VALUES (?, 'visit', NULL, NULL, NULL, ?)", (i, text)
                )
    yield EngineSource(engine)
    engine.dispose()


BOUND = datetime(2026, 8, 23, 10)  # NOW - 91 days


def _compare(op, a, b):
    if a is None:
        return None
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_comparisons_with_a_moment_ignore_how_it_was_written(source, op):
    t = col("t", "timestamp")
    seconds = (NOW.replace(tzinfo=None) - BOUND).total_seconds()
    got = values(
        source,
        [
            ir.Compare(op, t, ir.NowMinus(seconds)),
            ir.Compare(op, t, ir.Literal(BOUND.replace(tzinfo=UTC), "timestamp")),
        ],
    )
    expected = [_compare(op, _moment(w), BOUND) for w in WRITTEN]
    assert got == [expected, expected]


@pytest.mark.parametrize("op", ["=", "<", ">="])
def test_comparisons_between_two_columns(source, op):
    # every value against every other: a cross product through a self-join is not
    # available, so compare with a constant column written the other way
    with source.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE customers ADD COLUMN u TEXT")
        connection.exec_driver_sql("UPDATE customers SET u = '2026-08-23T10:00:00.000'")
    got = values(source, ir.Compare(op, col("t", "timestamp"), col("u", "timestamp")))
    assert got == [_compare(op, _moment(w), BOUND) for w in WRITTEN]


def test_days_since_and_last_and_anniversary(source):
    t = col("t", "timestamp")
    last = ir.EventAggregate("last", ir.EventFilter("visit"))
    got = values(
        source,
        [
            ir.DaysSince(t),
            ir.Compare(">", ir.DaysSince(t), num(90)),
            ir.IsAnniversary(t),
            last,
            ir.Compare("<=", last, ir.NowMinus(0)),
        ],
        now=datetime(2027, 8, 23, 12, tzinfo=UTC),
    )
    moments = [_moment(w) for w in WRITTEN]
    later = datetime(2027, 8, 23, 12)
    assert got[0] == [
        None if m is None else math.floor((later - m) / timedelta(days=1)) for m in moments
    ]
    assert got[1] == [
        None if m is None else math.floor((later - m) / timedelta(days=1)) > 90 for m in moments
    ]
    assert got[2] == [None if m is None else (m.month, m.day) == (8, 23) for m in moments]
    assert got[3] == moments
    assert got[4] == [None if m is None else True for m in moments]
