"""Decisions of the NumPy backend: the 30/60/90 ladder by hand, and the same decisions
whatever the batch size, optimizer passes, fusion, projection or source."""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pyarrow as pa
import pytest

from winlang.backends.base import RunContext
from winlang.backends.numpy import NumpyBackend
from winlang.plan.lower import Lowering
from winlang.plan.passes import PASSES
from winlang.sources.memory import MemorySource

from .numpy_support import (
    DAY,
    HOUR,
    LADDER_TEXT,
    NOW,
    FakeState,
    ago,
    checked_text,
    compile_plan,
    events,
)

LADDER = "sms-reengagement-ladder"
PASS_NAMES = [p.__name__ for p in PASSES]

# (country, lifetime_value, days since the last purchase or None)
PEOPLE = {
    1: ("KR", 50.0, 45),  # survey
    2: ("RO", 20.0, 70),  # contest
    3: ("US", 100.0, 70),  # opened the survey: no contest, not lapsed 90: nothing
    4: ("US", 100.0, 100),  # coupon
    5: ("US", 100.0, 100),  # opened the contest; clicked the coupon 3 days ago: won_back
    6: ("KR", 30.0, 130),  # opened the survey, received the coupon, no click: give_up
    7: ("KR", 30.0, 130),  # as 6 but clicked the coupon 20 days ago: nothing
    8: ("HU", 100.0, 45),  # not in the audience
    9: ("US", None, 45),  # audience unknown: not in it
    10: ("US", 10.0, 45),  # audience false
    11: ("KR", 50.0, None),  # no purchase: every days_since rule is unknown
    12: ("KR", 50.0, 45),  # survey already fired; clicked the coupon yesterday: won_back
    13: ("RO", 50.0, 70),  # opened "survey" of another campaign: still contest
    14: ("US", 50.0, 100),  # opened the survey, but after now: still coupon
    15: ("US", 50.0, 60 - 1 / 24),  # 59 days 23 hours: survey
    16: ("US", 50.0, 60),  # exactly 60 days: contest
}
EXPECTED = {1: 0, 2: 1, 4: 2, 5: 3, 6: 4, 12: 3, 13: 1, 14: 2, 15: 0, 16: 1}
AUDIENCE = 13


def ladder_customers() -> pa.Table:
    ids = sorted(PEOPLE)
    rows = [PEOPLE[i] for i in ids]
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "first_name": pa.array([f"n{i}" for i in ids]),
            "country": pa.array([r[0] for r in rows]),
            "lifetime_value": pa.array([r[1] for r in rows], pa.float64()),
            "last_purchase_at": pa.array(
                [None if r[2] is None else ago(r[2] * DAY) for r in rows], pa.timestamp("us")
            ),
            "phone": pa.array(["+1"] * len(ids)),
            "consent_sms": pa.array([True] * len(ids)),
            "push_token": pa.array(["t"] * len(ids)),
            "consent_push": pa.array([True] * len(ids)),
        }
    )


def message(customer: int, verb: str, template: str, when, campaign: str = LADDER) -> dict:
    return {
        "customer_id": customer,
        "type": verb,
        "channel": "sms",
        "campaign": campaign,
        "template": template,
        "occurred_at": ago(when),
    }


LADDER_EVENTS = events(
    [
        message(3, "open", "survey", 10 * DAY),
        message(5, "open", "contest", 5 * DAY),
        message(5, "click", "coupon", 3 * DAY),
        message(6, "open", "survey", 50 * DAY),
        message(7, "open", "survey", 50 * DAY),
        message(7, "click", "coupon", 20 * DAY),
        message(12, "click", "coupon", DAY),
        message(13, "open", "survey", 5 * DAY, campaign="other"),
        message(14, "open", "survey", -HOUR),
        message(99, "open", "survey", DAY),  # not a customer
        {"customer_id": 4, "type": "purchase", "occurred_at": ago(100 * DAY), "amount": 5.0},
    ]
)
STATE = {("received", "coupon"): [6, 7], ("fired", "survey"): [12]}


@cache
def ladder_plan(skip: tuple[str, ...] = ()):
    schema = MemorySource(ladder_customers(), LADDER_EVENTS).schema()
    return compile_plan(LADDER_TEXT, schema, skip)


def decide(plan, source, batch_size=1000, state=None):
    context = RunContext(now=NOW, state=FakeState(state or STATE), batch_size=batch_size)
    return NumpyBackend().decide(plan, source, context)


def as_dict(decisions) -> dict[int, int]:
    return dict(zip(decisions.ids.tolist(), decisions.rules.tolist(), strict=True))


SKIPS = [
    (),
    tuple(PASS_NAMES),
    *((name,) for name in PASS_NAMES),
    ("fuse_event_aggregates", "push_down_projection"),
]


@pytest.mark.parametrize("skip", SKIPS, ids=lambda s: "+".join(s) or "all-passes")
@pytest.mark.parametrize("batch_size", [1, 4, 1000])
def test_ladder_by_hand(skip, batch_size):
    source = MemorySource(ladder_customers(), LADDER_EVENTS)
    decisions = decide(ladder_plan(skip), source, batch_size)
    assert decisions.audience == AUDIENCE
    assert as_dict(decisions) == EXPECTED
    assert decisions.rules.dtype == np.int32
    assert decisions.matched(5) == [2, 3, 2, 2, 1]


def test_ladder_on_an_indexed_source():
    decisions = decide(ladder_plan(), MemorySource(ladder_customers(), LADDER_EVENTS), 3)
    assert (decisions.audience, as_dict(decisions)) == (AUDIENCE, EXPECTED)


def test_the_state_is_asked_with_the_campaign_name():
    state = FakeState(STATE)
    NumpyBackend().decide(
        ladder_plan(),
        MemorySource(ladder_customers(), LADDER_EVENTS),
        RunContext(now=NOW, state=state),
    )
    assert {campaign for _flag, campaign in state.asked} == {LADDER}


def test_a_repeat_window_is_passed_to_the_state():
    schema = MemorySource(ladder_customers(), LADDER_EVENTS).schema()
    text = LADDER_TEXT.replace("then send sms survey", "then send sms survey repeat every 7 days")
    plan = compile_plan(text, schema)
    state = FakeState({})
    NumpyBackend().decide(
        plan, MemorySource(ladder_customers(), LADDER_EVENTS), RunContext(now=NOW, state=state)
    )
    windows = {flag.key: flag.window for flag, _ in state.asked if flag.state == "fired"}
    assert windows["survey"] == 7 * 86400


def test_no_customers_means_an_empty_audience():
    empty = ladder_customers().slice(0, 0)
    decisions = decide(ladder_plan(), MemorySource(empty, LADDER_EVENTS))
    assert (decisions.audience, len(decisions.ids), len(decisions.rules)) == (0, 0, 0)


def test_values_of_with_values_and_conditions():
    plan = ladder_plan()
    checked = checked_text(LADDER_TEXT, MemorySource(ladder_customers(), LADDER_EVENTS).schema())
    coupon = checked.campaign.rules[2].actions[0]
    discount_node = Lowering(checked).lower(coupon.params[0].value)  # `with discount = 15`
    nodes = [plan.rules[0].condition, discount_node, plan.audience]
    ids, (survey, discount, audience) = NumpyBackend().values(
        nodes, MemorySource(ladder_customers(), LADDER_EVENTS), RunContext(now=NOW), plan
    )
    assert ids.tolist() == sorted(PEOPLE)
    assert survey.type == pa.bool_() and discount.type == pa.float64()
    assert survey.to_pylist()[10] is None  # customer 11 has no purchase
    assert discount.to_pylist() == [15.0] * len(PEOPLE)
    assert audience.to_pylist()[8] is None  # customer 9: null lifetime value


# ---- differential: generated data ------------------------------------------------------------


@cache
def demo_store():
    from winlang.demo import generate

    data = generate(3_000, seed=11)
    return data


@cache
def demo_reference(text: str):
    data = demo_store()
    plan = compile_plan(text, MemorySource(data.customers, data.events).schema())
    context = RunContext(now=data.now, state=FakeState({("received", "coupon"): range(0, 3000, 7)}))
    return NumpyBackend().decide(plan, MemorySource(data.customers, data.events), context)


RICH = """campaign "rich"
  audience (tier = "gold" or lifetime_value >= 100) and country not in ("JP")
template t sms "hi"
template p push "hi"
rule a: when count(view within 30 days) >= 2 and not purchased within 7 days then send sms t
rule b: when sum(purchase.amount within 1 year) > 300 and lower(city) contains "s"
        then send sms t
rule c: when days_since(last(purchase)) between 20 and 60 and last(view).product_name is not null
        then send push p
rule d: when birthday is today or first_name starts with "M" then send sms t
rule e: when opened any within 90 days and not clicked any within 90 days then send sms t
rule f: when received t or coalesce(lifetime_value / orders, 0) > 80 then send sms t
"""


@pytest.mark.parametrize("text", [LADDER_TEXT, RICH], ids=["ladder", "rich"])
@pytest.mark.parametrize(
    ("skip", "batch_size"),
    [
        ((), 100_000),
        ((), 999),
        (tuple(PASS_NAMES), 1000),
        (("fuse_event_aggregates",), 512),
        (("push_down_projection",), 2048),
    ],
)
def test_same_decisions_on_generated_data(text, skip, batch_size):
    data = demo_store()
    plan = compile_plan(text, MemorySource(data.customers, data.events).schema(), skip)
    source = MemorySource(data.customers, data.events)
    context = RunContext(
        now=data.now,
        batch_size=batch_size,
        state=FakeState({("received", "coupon"): range(0, 3000, 7)}),
    )
    decisions = NumpyBackend().decide(plan, source, context)
    reference = demo_reference(text)
    assert decisions.audience == reference.audience
    assert decisions.ids.tolist() == reference.ids.tolist()
    assert decisions.rules.tolist() == reference.rules.tolist()


def test_generated_rich_campaign_matches_every_rule():
    matched = demo_reference(RICH).matched(6)
    assert all(count > 0 for count in matched), matched


def test_fused_and_unfused_aggregates_agree():
    data = demo_store()
    schema = MemorySource(data.customers, data.events).schema()
    plan = compile_plan(RICH, schema)
    fused = compile_plan(RICH, schema)
    unfused = compile_plan(RICH, schema, ("fuse_event_aggregates",))
    assert fused.fused and unfused.fused is None
    nodes = list(plan.aggregates())
    results = []
    for each in (fused, unfused):
        nodes = list(each.aggregates())
        _ids, arrays = NumpyBackend().values(
            nodes, MemorySource(data.customers, data.events), RunContext(now=data.now), each
        )
        results.append([a.to_pylist() for a in arrays])
    assert results[0] == results[1]


def test_batches_agree_with_one_batch_for_values():
    data = demo_store()
    plan = compile_plan(RICH, MemorySource(data.customers, data.events).schema())
    nodes = [r.condition for r in plan.rules]
    got = []
    for size in (3000, 7, 1024):
        _ids, arrays = NumpyBackend().values(
            nodes,
            MemorySource(data.customers, data.events),
            RunContext(now=data.now, batch_size=size),
            plan,
        )
        got.append([a.to_pylist() for a in arrays])
    assert got[0] == got[1] == got[2]


def test_every_subset_of_passes_agrees_on_the_ladder():
    source = MemorySource(ladder_customers(), LADDER_EVENTS)
    for count in range(len(PASS_NAMES) + 1):
        for skip in itertools.combinations(PASS_NAMES, count):
            decisions = decide(ladder_plan(skip), source, 5)
            assert as_dict(decisions) == EXPECTED, skip
