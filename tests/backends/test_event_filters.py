"""One event filter description (``ir.EventFilter``), translated by each backend: the NumPy
mask of an event batch and the SQL condition of the events scan keep the same events, for
filters and events hypothesis makes up (nulls, other campaigns, events after now, windows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from winlang.backends.numpy.columns import micros
from winlang.backends.numpy.events import EventBatch, request_for
from winlang.backends.sql.binds import Binder
from winlang.backends.sql.dialects import dialect_named
from winlang.backends.sql.events import EventScan
from winlang.contracts.source import Layout
from winlang.plan import ir

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
# Mapped column names, so a backend reading the field's name instead of the layout's fails.
LAYOUT = Layout(type="kind", channel="via", campaign="camp", template="tpl", occurred_at="at")
TYPES = ["open", "click", "purchase"]
CHANNELS = ["sms", "email"]
CAMPAIGNS = ["ladder", "other"]
TEMPLATES = ["survey", "coupon"]
WINDOWS = [None, 3600.0, 86_400.0, 7 * 86_400.0]

filters = st.builds(
    ir.EventFilter,
    st.sampled_from(TYPES),
    st.none() | st.sampled_from(CHANNELS),
    st.none() | st.sampled_from(CAMPAIGNS),
    st.none() | st.sampled_from(TEMPLATES),
    st.sampled_from(WINDOWS),
)
events = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.none() | st.sampled_from(CHANNELS),
        st.none() | st.sampled_from(CAMPAIGNS),
        st.none() | st.sampled_from(TEMPLATES),
        # hours before now (negative: after now, which never counts); on a window's edge too
        st.sampled_from([-2, 0, 1, 23, 24, 25, 24 * 7, 24 * 8]),
    ),
    max_size=30,
)


def _record(rows) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [()] * 5
    kinds, channels, campaigns, templates, hours = columns
    times = [NOW.replace(tzinfo=None) - timedelta(hours=h) for h in hours]
    return pa.record_batch(
        {
            "customer_id": pa.array(range(len(rows)), pa.int64()),
            LAYOUT.type: pa.array(kinds, pa.string()),
            LAYOUT.channel: pa.array(channels, pa.string()),
            LAYOUT.campaign: pa.array(campaigns, pa.string()),
            LAYOUT.template: pa.array(templates, pa.string()),
            LAYOUT.occurred_at: pa.array(times, pa.timestamp("us")),
        }
    )


def numpy_rows(record: pa.RecordBatch, found: ir.EventFilter) -> list[int]:
    rows = EventBatch(record, LAYOUT, micros(NOW)).rows(found)
    return list(range(record.num_rows)) if rows is None else rows.tolist()


@pytest.fixture(scope="module")
def sqlite() -> sa.Engine:
    return sa.create_engine("sqlite://")


def sql_rows(engine: sa.Engine, record: pa.RecordBatch, found: ir.EventFilter) -> list[int]:
    metadata = sa.MetaData()
    table = sa.Table(
        LAYOUT.events,
        metadata,
        sa.Column("customer_id", sa.BigInteger()),
        *(sa.Column(getattr(LAYOUT, f), sa.String()) for f in ("type", *ir.FILTER_FIELDS)),
        sa.Column(LAYOUT.occurred_at, sa.DateTime()),
    )
    binder = Binder()
    scan = EventScan.of(dialect_named(engine.dialect.name), binder, LAYOUT, [], None)
    query = (
        sa.select(scan.customer_id)
        .select_from(scan.table)
        .where(*scan.where(), *[c for c in [scan.matches(found)] if c is not None])
        .order_by(scan.customer_id)
    )
    with engine.begin() as connection:
        metadata.drop_all(connection)
        metadata.create_all(connection)
        if record.num_rows:
            connection.execute(table.insert(), record.to_pylist())
        return [row[0] for row in connection.execute(query, binder.values(NOW))]


@settings(max_examples=150, deadline=None)
@given(rows=events, found=filters)
def test_numpy_and_sql_keep_the_same_events(sqlite, rows, found):
    record = _record(rows)
    assert numpy_rows(record, found) == sql_rows(sqlite, record, found)


@settings(max_examples=50, deadline=None)
@given(rows=events, found=filters)
def test_a_scan_of_the_filter_reads_every_event_it_keeps(rows, found):
    """What a projection reads (types, columns, time span) holds every event the filter
    keeps: reading less than the plan's scan must never lose one."""
    record = _record(rows)
    scan = ir.Scan.of([ir.EventAggregate("count", found)])
    request = request_for(scan, LAYOUT, NOW)
    assert set(request.columns) == {getattr(LAYOUT, f) for f in found.fields}
    for row in numpy_rows(record, found):
        event = record.slice(row, 1).to_pylist()[0]
        assert event[LAYOUT.type] in request.types
        if request.since is not None:
            assert event[LAYOUT.occurred_at] >= request.since.replace(tzinfo=None)


def test_the_description_lists_each_test_once_type_first():
    found = ir.EventFilter("open", channel="sms", template="survey", window=60.0)
    assert found.tests == (("type", "open"), ("channel", "sms"), ("template", "survey"))
    assert found.fields == ("channel", "template")
    assert ir.EventFilter("visit").fields == ()


def test_the_plans_scan_covers_only_what_it_reads():
    week = ir.EventAggregate("count", ir.EventFilter("open", window=7 * 86_400.0))
    ever = ir.EventAggregate("exists", ir.EventFilter("open"))
    click = ir.EventAggregate("exists", ir.EventFilter("click", window=60.0))
    scan = ir.Scan.of([week])
    assert scan.covers([week]) and not scan.covers([ever]) and not scan.covers([click])
    assert ir.Scan.of([week, ever]).covers([week, ever])
    assert ir.Scan.of([week, ever]).since(NOW) is None
    assert scan.since(NOW) == NOW - timedelta(days=7)
