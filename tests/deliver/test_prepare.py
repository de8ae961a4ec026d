"""Planning: the policies' outcome becomes ledger firings, each with the rendered message of
every usable step of its send chain, and skips."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tests.deliver.test_preview_counts import counted_per_firing, counts
from winlang import ast as A
from winlang.config import Config
from winlang.deliver.prepare import Planner, Skip, occurrence, variant_label
from winlang.deliver.preview import preview_plan
from winlang.plan.delivery import delivery_plan
from winlang.plan.lower import Lowering
from winlang.policies.apply import PolicyOutcome
from winlang.project import checked_text
from winlang.schema import load_schema_file

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
DAY = 86_400

TEXT = """campaign "shop"
template hi sms "Hi {first_name|there}, {pct}% off"
template hi_push push "{pct}% off, {first_name|friend}"
template hi_mail email subject "Hi {first_name|there}" body "Hello {city|you}"
rule nudge: when orders > 1
            then send sms hi with pct = 10
                 else send push hi_push with pct = 10
                 else send email hi_mail
rule ab: when orders > 5 then split
           50% send sms hi with pct = 5
           50% send sms hi with pct = 20 and add to list "b"
rule tidy: when orders = 0 then add to list "x" and remove from list "x" and unsubscribe
rule daily: when orders = 3 then send sms hi with pct = 1 repeat every 1 day
"""
NUDGE, AB, TIDY, DAILY = range(4)  # rule indexes
ARM = {"nudge": 0, "ab/A": 1, "ab/B": 2, "tidy": 3, "daily": 4}  # positions in plan.arms


@pytest.fixture(scope="module")
def checked():
    return checked_text(TEXT, load_schema_file(REPO / "campaigns" / "schema.json"))


@pytest.fixture(scope="module")
def delivery(checked):
    return delivery_plan(checked)


@pytest.fixture(scope="module")
def arms(delivery):
    return delivery.arms


def _customer(**given):
    """One planned customer: which rule and arm, the policies' word, and their data."""
    row = {
        "rule": NUDGE,
        "arm": "nudge",
        "status": "send",
        "reason": "",
        "step": 0,
        "variant": -1,
        "until": None,
        "usable": {"sms": True, "push": True, "email": True},
        "first_name": "Ana",
        "city": "Iasi",
    }
    row.update(given)
    return row


def _planner(checked, arms, rows: list[dict]) -> Planner:
    n = len(rows)
    delivery = delivery_plan(checked)
    nodes = delivery.nodes()
    lowering = Lowering(checked)
    by_name = {lowering.name("first_name"): "first_name", lowering.name("city"): "city"}
    values = {}
    for node in nodes:
        if node in by_name:
            values[node] = np.array([r[by_name[node]] for r in rows], dtype=object)
        else:  # a `with` literal
            values[node] = np.full(n, node.value, dtype=object)
    until = [np.datetime64(r["until"], "us") if r["until"] else np.datetime64("NaT") for r in rows]
    outcome = PolicyOutcome(
        status=np.array([r["status"] for r in rows], dtype=object),
        reason=np.array([r["reason"] for r in rows], dtype=object),
        channel=np.array([None] * n, dtype=object),
        template=np.array([None] * n, dtype=object),
        step=np.array([r["step"] for r in rows], dtype=np.int64),
        variant=np.array([r["variant"] for r in rows], dtype=np.int64),
        deferred_until=np.array(until, dtype="datetime64[us]"),
        invalid_zones=(),
    )
    campaign = checked.campaign
    return Planner(
        campaign=campaign,
        now=NOW,
        delivery=delivery,
        channels=Config().channels,
        ids=np.array([str(100 + i) for i in range(n)]),
        rule_index=np.array([r["rule"] for r in rows], dtype=np.int64),
        arm_index=np.array([ARM[r["arm"]] for r in rows], dtype=np.int64),
        outcome=outcome,
        usable={c: np.array([r["usable"][c] for r in rows]) for c in ("sms", "push", "email")},
        addresses={
            "sms": np.array([f" +4070000{i} " for i in range(n)], dtype=object),
            "push": np.array([f"token-{i}" for i in range(n)], dtype=object),
            "email": np.array([f"c{i}@example.com" for i in range(n)], dtype=object),
        },
        values=values,
    )


def _plan(checked, arms, *rows: dict):
    return _planner(checked, arms, list(rows)).plan(range(len(rows)))


# ---- pure helpers --------------------------------------------------------------------------


def test_occurrence_is_zero_without_repeat_and_the_period_index_with_one():
    assert occurrence(NOW, None) == 0
    assert occurrence(NOW, DAY) == int(NOW.timestamp()) // DAY
    later_same_day = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
    next_day = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    assert occurrence(later_same_day, DAY) == occurrence(NOW, DAY)
    assert occurrence(next_day, DAY) == occurrence(NOW, DAY) + 1


def test_variant_labels_are_letters_by_arm():
    assert [variant_label(i) for i in range(3)] == ["A", "B", "C"]
    assert variant_label(-1) is None


def test_the_delivery_plan_lays_out_every_arm_in_file_order(arms):
    assert [[s.channel for s in arm.chain] for arm in arms] == [
        ["sms", "push", "email"],
        ["sms"],
        ["sms"],
        [],
        ["sms"],
    ]
    assert [s.template for s in arms[ARM["nudge"]].chain] == ["hi", "hi_push", "hi_mail"]
    assert [name for name, _ in arms[ARM["nudge"]].chain[0].params] == ["pct"]
    assert [name for name, _ in arms[ARM["nudge"]].chain[0].fields] == ["first_name"]
    assert [name for name, _ in arms[ARM["nudge"]].chain[2].fields] == ["city", "first_name"]


def test_the_delivery_plan_keeps_the_other_actions_in_order(arms):
    assert arms[ARM["ab/A"]].actions == ()
    (add,) = arms[ARM["ab/B"]].actions
    assert (add.op, add.list_name) == ("add", "b")
    tidy = arms[ARM["tidy"]].actions
    assert [(a.op, a.list_name) for a in tidy[:2]] == [("add", "x"), ("remove", "x")]
    assert isinstance(tidy[2], A.Unsubscribe) and tidy[2].channel is None


def test_the_delivery_plan_fetches_each_value_once(delivery):
    nodes = delivery.nodes()
    assert len(nodes) == len(set(nodes))
    literals = sorted(n.value for n in nodes if hasattr(n, "value"))
    assert literals == [1, 5, 10, 20]  # `pct = 10` is written twice, fetched once


# ---- firings ---------------------------------------------------------------------------------


def test_a_firing_carries_a_message_for_every_usable_step(checked, arms):
    (firing,), skips = _plan(checked, arms, _customer())
    assert skips == []
    assert (firing.key, firing.rule, firing.customer_id) == ("shop/nudge/100/0", "nudge", "100")
    assert (firing.status, firing.occurrence, firing.variant) == ("planned", 0, None)
    assert [step for step, _ in firing.messages] == [0, 1, 2]
    sms, push, email = (m for _, m in firing.messages)
    assert (sms.channel, sms.to, sms.text) == ("sms", "+40700000", "Hi Ana, 10% off")
    assert (push.channel, push.text) == ("push", "10% off, Ana")
    assert (email.subject, email.body) == ("Hi Ana", "Hello Iasi")


def test_failover_messages_have_keys_of_their_own(checked, arms):
    (firing,), _ = _plan(checked, arms, _customer())
    keys = [m.idempotency_key for _, m in firing.messages]
    assert keys == ["shop/nudge/100/0", "shop/nudge/100/0/1", "shop/nudge/100/0/2"]


def test_unusable_later_steps_are_left_out(checked, arms):
    usable = {"sms": True, "push": False, "email": True}
    (firing,), _ = _plan(checked, arms, _customer(usable=usable))
    assert [(step, m.channel) for step, m in firing.messages] == [(0, "sms"), (2, "email")]
    assert firing.messages[1][1].idempotency_key == "shop/nudge/100/0/1"


def test_the_policies_first_step_leads_and_takes_the_firings_key(checked, arms):
    usable = {"sms": False, "push": True, "email": True}
    (firing,), _ = _plan(checked, arms, _customer(step=1, usable=usable))
    assert [(step, m.channel) for step, m in firing.messages] == [(1, "push"), (2, "email")]
    assert firing.messages[0][1].idempotency_key == firing.key


def test_a_held_out_customer_gets_a_firing_without_messages_or_actions(checked, arms):
    (firing,), _ = _plan(checked, arms, _customer(status="held_out", reason="holdout", step=-1))
    assert (firing.status, firing.messages, firing.actions) == ("held_out", (), ())
    assert firing.key == "shop/nudge/100/0"


def test_a_rule_without_send_is_done_with_its_actions(checked, arms):
    (firing,), _ = _plan(checked, arms, _customer(rule=TIDY, arm="tidy", step=-1))
    assert (firing.status, firing.messages) == ("done", ())
    assert firing.actions == arms[ARM["tidy"]].actions


def test_a_split_arm_sets_the_variant_and_its_own_message_and_actions(checked, arms):
    (firing,), _ = _plan(checked, arms, _customer(rule=AB, arm="ab/B", variant=1))
    assert (firing.variant, firing.rule) == ("B", "ab")
    ((_, message),) = firing.messages
    assert (message.text, message.variant) == ("Hi Ana, 20% off", "B")
    assert firing.actions == arms[ARM["ab/B"]].actions


def test_a_repeating_rule_keys_its_firing_by_period(checked, arms):
    (firing,), _ = _plan(checked, arms, _customer(rule=DAILY, arm="daily"))
    nth = occurrence(NOW, DAY)
    assert firing.occurrence == nth
    assert firing.key == f"shop/daily/100/{nth}"
    assert firing.messages[0][1].idempotency_key == firing.key


def test_a_missing_field_renders_the_templates_fallback(checked, arms):
    (firing,), _ = _plan(checked, arms, _customer(first_name=None))
    assert firing.messages[0][1].text == "Hi there, 10% off"


def test_skipped_customers_become_skips_and_deferred_ones_deferred_firings(checked, arms):
    until = datetime(2026, 11, 22, 7)
    firings, skips = _plan(
        checked,
        arms,
        _customer(status="skipped", reason="no_consent", step=-1),
        _customer(status="deferred", reason="quiet_hours", step=0, until=until),
        _customer(),
    )
    assert [(f.customer_id, f.status, f.due) for f in firings] == [
        ("101", "deferred", until),
        ("102", "planned", None),
    ]
    assert firings[0].messages[0][1].text == "Hi Ana, 10% off"  # rendered, for the record
    assert firings[0].actions == ()  # actions wait until the firing is sent
    assert skips == [
        Skip("nudge", "100", "no_consent", None),
        Skip("nudge", "101", "quiet_hours", until),
    ]


def test_a_deferred_firing_is_planned_again_under_its_own_key(checked, arms):
    planner = _planner(checked, arms, [_customer(rule=DAILY, arm="daily")])
    later = replace(planner, deferred={("daily", "100"): 7})
    (firing,), _ = later.plan(range(1))
    assert firing.key == "shop/daily/100/7" and firing.occurrence == 7


def test_an_sms_over_the_limit_fails_over_to_the_next_usable_step(checked, arms):
    long_name = "N" * 400  # 3 parts of SMS on its own
    planner = replace(_planner(checked, arms, [_customer(first_name=long_name)]), sms_max_parts=2)
    (firing,), skips = planner.plan(range(1))
    assert [step for step, _ in firing.messages] == [1, 2]  # push, then email
    assert firing.messages[0][1].channel == "push" and skips == []


def test_a_customer_whose_every_message_is_too_long_is_skipped_too_long(checked, arms):
    rows = [
        _customer(first_name="N" * 400, usable={"sms": True, "push": False, "email": False}),
        _customer(first_name="안녕하세요" * 20),  # UCS-2: 110 units, 2 parts
        _customer(status="deferred", reason="quiet_hours", until=datetime(2026, 11, 22, 7),
                  first_name="N" * 400, usable={"sms": True, "push": False, "email": False}),
    ]  # fmt: skip
    planner = replace(_planner(checked, arms, rows), sms_max_parts=1)
    firings, skips = planner.plan(range(3))
    assert skips == [Skip("nudge", "100", "too_long"), Skip("nudge", "102", "too_long")]
    assert [m.channel for _, m in firings[0].messages] == ["push", "email"]


def test_plan_covers_only_the_rows_of_its_slice(checked, arms):
    planner = _planner(checked, arms, [_customer() for _ in range(5)])
    firings, _ = planner.plan(range(2, 4))
    assert [f.customer_id for f in firings] == ["102", "103"]


@pytest.mark.parametrize("link", [False, True])
def test_a_dry_run_counts_what_the_real_planner_renders(arms, link):
    """A dry run counts the plan with arrays, rendering each distinct SMS text once: its
    messages, channels, SMS parts and too-long skips are the real planner's."""
    text = TEXT
    if link:
        text = text.replace('"shop"\n', '"shop"\nlink "https://x.example/a?b=1"\n')
        text = text.replace('"Hi {first_name|there}, {pct}% off"', '"Hi {first_name|there} {link}"')
    checked = checked_text(text, load_schema_file(REPO / "campaigns" / "schema.json"))
    arms = delivery_plan(checked).arms
    names = ["Ana", "N" * 130, "Ana", "안녕" * 30, None, "N" * 400, "Zoë", "N" * 130, "€" * 70]
    only_sms = {"sms": True, "push": False, "email": False}
    rows = [
        _customer(first_name=name, usable=only_sms if i % 2 else _customer()["usable"])
        for i, name in enumerate(names)
    ] + [
        _customer(rule=AB, arm="ab/B", variant=1, first_name="N" * 150),
        _customer(status="deferred", reason="quiet_hours", until=datetime(2026, 11, 22, 7)),
        _customer(status="skipped", reason="no_consent"),
    ]
    real = replace(_planner(checked, arms, rows), sms_max_parts=2)
    assert counts(preview_plan(real)) == counts(counted_per_firing(real, len(rows)))
