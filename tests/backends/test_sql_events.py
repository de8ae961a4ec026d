"""Event aggregates and state flags on the SQL backend: fused (one grouped scan) and unfused
(one pass each) must agree, on every database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from winlang.contracts.source import Layout
from winlang.plan import ir

from .sql_support import (
    DATABASES,
    DAY,
    HOUR,
    NOW,
    US,
    EngineSource,
    FakeState,
    ago,
    customers,
    events,
    load,
    make_engine,
    num,
    store,
    values,
)


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path):
    engine = make_engine(request, request.param, tmp_path)
    yield engine
    engine.dispose()


def _plan(aggregates, fused: bool, scan: ir.Scan | None = None) -> ir.Plan:
    return ir.Plan("shop", ir.TRUE, (), scan=scan, fused=tuple(aggregates) if fused else None)


def _scan(aggregates) -> ir.Scan:
    windows = [a.filter.window for a in aggregates]
    return ir.Scan(
        (),
        tuple(sorted({a.filter.event_type for a in aggregates})),
        tuple(sorted({a.prop for a in aggregates if a.prop})),
        None if None in windows else max(windows),
    )


WINDOW = 30 * 86400.0
PURCHASES = ir.EventFilter("purchase")
RECENT = ir.EventFilter("purchase", window=WINDOW)
EMAIL_OPENS = ir.EventFilter("open", channel="email")
SURVEY_OPENS = ir.EventFilter("open", campaign="shop", template="survey")
VIEWS = ir.EventFilter("view")

AGGREGATES = [
    ir.EventAggregate("exists", PURCHASES),
    ir.EventAggregate("exists", RECENT),
    ir.EventAggregate("count", PURCHASES),
    ir.EventAggregate("count", RECENT),
    ir.EventAggregate("sum", PURCHASES, "amount"),
    ir.EventAggregate("sum", RECENT, "amount"),
    ir.EventAggregate("last", PURCHASES),
    ir.EventAggregate("last_value", VIEWS, "product_name", "text"),
    ir.EventAggregate("last_value", PURCHASES, "amount", "number"),
    ir.EventAggregate("exists", EMAIL_OPENS),
    ir.EventAggregate("exists", SURVEY_OPENS),
]

EVENTS = events(
    [
        # customer 1: a purchase exactly at the window's start, one just outside, one at now,
        # one after now (never counts), a null amount (skipped by sum, counted by count)
        {"customer_id": 1, "type": "purchase", "occurred_at": ago(30 * DAY), "amount": 10.0},
        {"customer_id": 1, "type": "purchase", "occurred_at": ago(30 * DAY + US), "amount": 100.0},
        {"customer_id": 1, "type": "purchase", "occurred_at": ago(0 * DAY), "amount": None},
        {"customer_id": 1, "type": "purchase", "occurred_at": ago(-US), "amount": 1000.0},
        # customer 2: only old purchases; views tied at the latest moment (greatest value wins)
        {"customer_id": 2, "type": "purchase", "occurred_at": ago(400 * DAY), "amount": 5.5},
        {"customer_id": 2, "type": "view", "occurred_at": ago(DAY), "product_name": "Hat"},
        {"customer_id": 2, "type": "view", "occurred_at": ago(DAY), "product_name": "Shoes"},
        {"customer_id": 2, "type": "view", "occurred_at": ago(2 * DAY), "product_name": "Zebra"},
        {"customer_id": 2, "type": "open", "channel": "email", "occurred_at": ago(HOUR)},
        # customer 3: opens of another channel and campaign only; a view after now
        {"customer_id": 3, "type": "open", "channel": "sms", "occurred_at": ago(HOUR)},
        {
            "customer_id": 3,
            "type": "open",
            "campaign": "other",
            "template": "survey",
            "occurred_at": ago(HOUR),
        },
        {
            "customer_id": 3,
            "type": "open",
            "campaign": "shop",
            "template": "survey",
            "occurred_at": ago(-HOUR),
        },
        {"customer_id": 3, "type": "view", "occurred_at": ago(-HOUR), "product_name": "Later"},
        # customer 4: nothing; an event of nobody (null customer) and of a customer not in store
        {"customer_id": None, "type": "purchase", "occurred_at": ago(DAY), "amount": 1.0},
        {
            "customer_id": 99,
            "type": "open",
            "campaign": "shop",
            "template": "survey",
            "occurred_at": ago(DAY),
        },
        {
            "customer_id": 4,
            "type": "open",
            "campaign": "shop",
            "template": "survey",
            "occurred_at": ago(DAY),
        },
    ]
)

EXPECTED = [
    [True, True, False, False],  # exists purchase
    [True, False, False, False],  # exists purchase within 30 days (start included)
    [3, 1, 0, 0],  # count: the null-amount one counts, the one after now doesn't
    [2, 0, 0, 0],
    [110.0, 5.5, 0, 0],  # sum skips null amounts; 0 for none
    [10.0, 0, 0, 0],
    [ago(0 * DAY), ago(400 * DAY), None, None],  # last
    [None, "Shoes", None, None],  # last view: tie at the latest moment → greatest value
    [None, 5.5, None, None],  # last purchase's amount: the latest purchase has null amount
    [False, True, False, False],
    [False, False, False, True],
]


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unfused"])
@pytest.mark.parametrize("scanned", [True, False], ids=["scan", "no-scan"])
def test_aggregates(engine, fused, scanned):
    source = store(engine, customers(x=[1, 2, 3, 4]), EVENTS)
    plan = _plan(AGGREGATES, fused, _scan(AGGREGATES) if scanned else None)
    assert values(source, AGGREGATES, plan=plan) == EXPECTED


def test_aggregates_without_a_plan_are_fused(engine):
    source = store(engine, customers(x=[1, 2, 3, 4]), EVENTS)
    assert values(source, AGGREGATES) == EXPECTED


def test_a_windowed_scan_still_counts_the_wider_aggregates(engine):
    """The scan's window is the widest; an aggregate with that same window needs no check
    of its own, a narrower one still does."""
    week = ir.EventAggregate("count", ir.EventFilter("purchase", window=7 * 86400.0))
    month = ir.EventAggregate("count", RECENT)
    found = events(
        [
            {"customer_id": 1, "type": "purchase", "occurred_at": ago(3 * DAY)},
            {"customer_id": 1, "type": "purchase", "occurred_at": ago(20 * DAY)},
            {"customer_id": 1, "type": "purchase", "occurred_at": ago(40 * DAY)},
        ]
    )
    source = store(engine, customers(x=[1, 2]), found)
    for fused in (True, False):
        plan = _plan([week, month], fused, _scan([week, month]))
        assert values(source, [week, month], plan=plan) == [[1, 0], [2, 0]]


def test_aggregates_in_conditions_are_never_null(engine):
    source = store(engine, customers(x=[1, 2, 3, 4]), EVENTS)
    opened = ir.EventAggregate("exists", EMAIL_OPENS)
    count = ir.EventAggregate("count", PURCHASES)
    got = values(
        source,
        [
            ir.Not(opened),
            ir.Compare(">=", count, num(1)),
            ir.IsNull(ir.EventAggregate("last", PURCHASES)),
        ],
    )
    assert got == [
        [True, False, True, True],
        [True, True, False, False],
        [False, False, True, True],
    ]


# ---- state flags --------------------------------------------------------------------------------


def test_state_flags_read_temporary_tables(engine):
    vip = ir.StateFlag("in_list", "vip")
    received = ir.StateFlag("received", "coupon", window=7 * 86400.0)
    fired = ir.StateFlag("fired", "survey")
    state = FakeState({("in_list", "vip"): [2, 4, 4, 77], ("received", "coupon"): [1]})
    source = store(engine, customers(x=[1, 2, 3, 4]))
    got = values(source, [vip, received, fired, ir.Not(vip), ir.Or((vip, received))], state=state)
    assert got == [
        [False, True, False, True],
        [True, False, False, False],
        [False, False, False, False],  # nobody: the constant FALSE, never null
        [True, False, True, False],
        [True, True, False, True],
    ]
    assert {flag for flag, _ in state.asked} == {vip, received, fired}
    # the temporary tables are gone afterwards, and a second run can make them again
    assert values(source, vip, state=state) == [False, True, False, True]
    with engine.connect() as connection:
        assert not [t for t in _temporary_tables(connection) if t.startswith("winlang_state")]


def _temporary_tables(connection: sa.Connection) -> list[str]:
    name = connection.dialect.name
    if name == "sqlite":
        sql = "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
    elif name == "duckdb":
        sql = "SELECT table_name FROM duckdb_tables() WHERE temporary"
    else:
        sql = "SELECT relname FROM pg_class WHERE relpersistence = 't'"
    return [row[0] for row in connection.exec_driver_sql(sql)]


def test_state_flags_with_text_ids(engine):
    people = customers(x=[1, 2, 3])
    people = people.set_column(0, "id", people.column("id").cast("string"))
    load(engine, people, "customers")
    load(engine, events([]), "events")
    flag = ir.StateFlag("in_list", "vip")

    class TextState:
        def customers(self, flag, campaign, now):
            import numpy as np

            return np.array(["2", "3"], dtype=object)

    assert values(EngineSource(engine), flag, state=TextState()) == [False, True, True]


# ---- another layout -----------------------------------------------------------------------------


def test_table_and_column_names_come_from_the_layout(engine):
    people = customers(age=[30, 40]).rename_columns(["pid", "age"])
    found = events([{"customer_id": 2, "type": "purchase", "occurred_at": ago(DAY)}])
    found = found.rename_columns(
        ["who", "kind", "via", "camp", "tmpl", "at", "amount", "product_name"]
    )
    load(engine, people, "people")
    load(engine, found, "activity")
    layout = Layout(
        customers="people",
        events="activity",
        id="pid",
        customer_id="who",
        type="kind",
        channel="via",
        campaign="camp",
        template="tmpl",
        occurred_at="at",
    )
    source = EngineSource(engine, layout)
    nodes = [ir.EventAggregate("exists", PURCHASES), ir.Column("age", "number")]
    assert values(source, nodes) == [[False, True], [30, 40]]


def test_the_clock_is_bound_per_run(engine):
    source = store(engine, customers(x=[1, 2, 3, 4]), EVENTS)
    recent = ir.EventAggregate("exists", RECENT)
    assert values(source, recent) == [True, False, False, False]
    # 390 days earlier, customer 2's purchase (400 days before NOW) was recent, and none of
    # customer 1's had happened yet
    assert values(source, recent, now=NOW - 390 * DAY) == [False, True, False, False]


def test_a_scan_that_does_not_cover_the_nodes_is_not_used(engine):
    """``values`` of nodes from elsewhere with a plan whose scan reads less: read it all."""
    source = store(engine, customers(x=[1, 2, 3, 4]), EVENTS)
    every_type = _scan(AGGREGATES).event_types
    narrow = ir.Scan((), every_type, ("amount", "product_name"), WINDOW)  # only 30 days
    plan = _plan([], fused=True, scan=narrow)
    assert values(source, AGGREGATES, plan=plan) == EXPECTED
