"""``SqlBackend.decide``: the 30/60/90 ladder on a hand-made store, decisions worked out by hand,
on every database and with any optimizer pass switched off."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from winlang.backends.base import RunContext
from winlang.backends.sql import SqlBackend
from winlang.plan import ir
from winlang.plan.passes import PASSES

from .sql_support import (
    DATABASES,
    DAY,
    HOUR,
    LADDER,
    NOW,
    SCHEMA,
    US,
    FakeState,
    ago,
    compile_plan,
    customers,
    events,
    make_engine,
    store,
)

CAMPAIGN = "sms-reengagement-ladder"


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path):
    engine = make_engine(request, request.param, tmp_path)
    yield engine
    engine.dispose()


def _event(customer: int, kind: str, template: str, delta, campaign: str = CAMPAIGN) -> dict:
    return {
        "customer_id": customer,
        "type": kind,
        "channel": "sms",
        "campaign": campaign,
        "template": template,
        "occurred_at": ago(delta),
    }


# id: country, lifetime value, last purchase (ago), and what the ladder does with them
PEOPLE = {
    1: ("KR", 50, 45 * DAY),  # lapsed 30-59: survey
    2: ("KR", 50, 70 * DAY),  # lapsed 60-89, no survey opened: contest
    3: ("KR", 50, 70 * DAY),  # lapsed 60-89 but opened the survey: nothing
    4: ("US", 50, 100 * DAY),  # lapsed 90+: coupon
    5: ("US", 50, 100 * DAY),  # opened the contest, clicked a coupon 3 days ago: won_back
    6: ("RO", 10, 45 * DAY),  # lifetime value too low: not in the audience
    7: ("DE", 50, 45 * DAY),  # other country: not in the audience
    8: ("KR", None, 45 * DAY),  # unknown value: not in the audience (null is not true)
    9: ("RO", 50, None),  # never bought: in the audience, no rule
    10: ("US", 50, 150 * DAY),  # coupon already fired, received, not clicked: give_up
    11: ("KR", 50, 30 * DAY),  # exactly 30 days: survey
    12: ("KR", 50, 30 * DAY - US),  # 29 days and change: nothing yet
    13: ("US", 50, 100 * DAY),  # its survey open is after now: ignored, so coupon
    14: ("US", 50, 100 * DAY),  # opened the contest, clicked 15 days ago: nothing
}
EVENTS = events(
    [
        _event(3, "open", "survey", 10 * DAY),
        _event(5, "open", "contest", 20 * DAY),
        _event(5, "click", "coupon", 3 * DAY),
        _event(13, "open", "survey", -HOUR),
        _event(14, "open", "contest", 40 * DAY),
        _event(14, "click", "coupon", 15 * DAY),
        _event(2, "open", "survey", 5 * DAY, campaign="another"),
    ]
)
STATE = {("fired", "coupon"): [10], ("received", "coupon"): [10]}
EXPECTED = {1: 0, 2: 1, 4: 2, 5: 3, 10: 4, 11: 0, 13: 2}
AUDIENCE = 11


def _store(engine):
    ids = sorted(PEOPLE)
    people = customers(
        country=[PEOPLE[i][0] for i in ids],
        lifetime_value=[None if PEOPLE[i][1] is None else float(PEOPLE[i][1]) for i in ids],
        last_purchase_at=[None if PEOPLE[i][2] is None else ago(PEOPLE[i][2]) for i in ids],
    )
    return store(engine, people, EVENTS)


SKIPS = [
    (),
    ("fuse_event_aggregates",),
    ("push_down_projection",),
    ("fold_constants", "share_subexpressions"),
    tuple(p.__name__ for p in PASSES),
]


@pytest.mark.parametrize("skip", SKIPS, ids=lambda s: "+".join(s) or "all-passes")
def test_ladder_by_hand(engine, skip):
    plan = compile_plan(LADDER, SCHEMA, skip)
    state = FakeState(STATE)
    decided = SqlBackend().decide(plan, _store(engine), RunContext(now=NOW, state=state))
    assert decided.audience == AUDIENCE
    assert dict(zip(decided.ids.tolist(), decided.rules.tolist(), strict=True)) == EXPECTED
    assert decided.ids.tolist() == sorted(EXPECTED)
    assert decided.rules.dtype == np.int32
    assert decided.matched(len(plan.rules)) == [2, 1, 2, 1, 1]
    assert {campaign for _, campaign in state.asked} == {CAMPAIGN}


def test_ladder_with_no_state_and_no_customers(engine):
    plan = compile_plan(LADDER, SCHEMA)
    decided = SqlBackend().decide(plan, _store(engine), RunContext(now=NOW))
    assert dict(zip(decided.ids.tolist(), decided.rules.tolist(), strict=True)) == {
        **EXPECTED,
        10: 2,
    }  # coupon has not fired yet, so customer 10 gets it
    people = customers(country=["KR"], lifetime_value=[1.0], last_purchase_at=[ago(DAY)])
    empty = store(engine, people.slice(0, 0), events([]))
    none = SqlBackend().decide(plan, empty, RunContext(now=NOW))
    assert (none.audience, none.ids.tolist(), none.rules.tolist()) == (0, [], [])


def test_a_campaign_for_everyone_and_a_plan_without_rules(engine):
    source = _store(engine)
    text = (
        'campaign "c"\ntemplate t sms "x"\n'
        "when days_since(last_purchase_at) >= 100 then send sms t\n"
    )
    decided = SqlBackend().decide(compile_plan(text, SCHEMA), source, RunContext(now=NOW))
    assert decided.audience == len(PEOPLE)
    assert decided.ids.tolist() == [4, 5, 10, 13, 14]
    bare = ir.Plan("c", ir.TRUE, ())
    assert SqlBackend().decide(bare, source, RunContext(now=NOW)).audience == len(PEOPLE)


def test_one_statement_reads_the_store(engine, monkeypatch):
    """Preparation aside (session settings, temp tables, SQLite's time-format samples, the
    schema's reflection), one statement reads the tables."""
    from winlang.backends.sql.dialects import dialect_named

    source = _store(engine)
    seen: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    streams = dialect_named(engine.dialect.name).decision_batches

    def streamed(connection, select, params, rows):  # run by the driver, not a cursor
        seen.append(select.compile(dialect=connection.dialect).string)
        return streams(connection, select, params, rows)

    monkeypatch.setattr(
        type(dialect_named(engine.dialect.name)), "decision_batches", staticmethod(streamed)
    )
    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        plan = compile_plan(LADDER, SCHEMA)
        SqlBackend().decide(plan, source, RunContext(now=NOW, state=FakeState(STATE)))
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    from winlang.backends.sql.dialects.setup import TIME_SAMPLE

    sample = f"LIMIT {TIME_SAMPLE}"
    reading = [
        s
        for s in seen
        if ("customers" in s or "events" in s) and sample not in s and not s.startswith("PRAGMA")
    ]
    assert len(reading) == 1, reading


def test_campaign_values_are_bound_not_written_into_the_sql(engine):
    from winlang.backends.sql.dialects import dialect_named
    from winlang.backends.sql.statement import decide_statement, display_dialect

    plan = compile_plan(LADDER, SCHEMA)
    dialect = dialect_named(engine.dialect.name)
    statement = decide_statement(plan, _store(engine).layout, dialect, {})
    sql = statement.sql(display_dialect(dialect.name))
    for value in ("KR", "RO", "survey", "coupon", CAMPAIGN, "open", "click"):
        assert f"'{value}'" not in sql
    assert "now_minus_2592000" in sql  # now - 30 days, bound when the statement runs
