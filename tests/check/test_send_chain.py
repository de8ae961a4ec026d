"""The one walk over a rule's arms and send chains (`send ... else send ...`), which the
checker, the delivery plan (and through it the policies and the planner) all use."""

from __future__ import annotations

from pathlib import Path

from winlang import ast as A
from winlang.check.templates import arms_of, channels_sent_on, failovers, send_chain, sends_of
from winlang.parse import parse_campaign
from winlang.plan.delivery import delivery_plan
from winlang.project import checked_text
from winlang.schema import load_schema_file

SCHEMA = Path(__file__).resolve().parents[2] / "campaigns" / "schema.json"
TEXT = """campaign "c"
template hi sms "hi"
template hi_push push "hi"
template hi_mail email subject "s" body "b"
template later sms "later"
rule nudge: when orders > 1
            then send sms hi else send push hi_push else send email hi_mail
                 and add to list "nudged"
                 and send sms later
rule ab: when orders > 5 then split
           40% send push hi_push
           60% add to list "b"
rule tidy: when orders = 0 then unsubscribe
"""


def rules() -> tuple[A.Rule, ...]:
    return parse_campaign(TEXT, "c.win").campaign.rules


def steps(sends) -> list[tuple[str, str]]:
    return [(s.channel.name, s.template.name) for s in sends]


def test_failovers_walk_a_send_and_each_else_send_in_the_order_tried():
    first = rules()[0].actions[0]
    assert steps(failovers(first)) == [("sms", "hi"), ("push", "hi_push"), ("email", "hi_mail")]
    assert list(failovers(None)) == []


def test_the_chain_of_an_arm_is_its_first_send_and_that_sends_failovers():
    nudge, ab, tidy = rules()
    assert steps(send_chain(nudge.actions)) == [
        ("sms", "hi"),
        ("push", "hi_push"),
        ("email", "hi_mail"),
    ]
    (_, forty), (_, sixty) = arms_of(ab)
    assert steps(send_chain(forty)) == [("push", "hi_push")]
    assert send_chain(sixty) == () and send_chain(tidy.actions) == ()


def test_arms_of_gives_shares_and_one_arm_of_100_without_split():
    nudge, ab, _ = rules()
    assert [share for share, _ in arms_of(ab)] == [40.0, 60.0]
    ((share, actions),) = arms_of(nudge)
    assert share == 100.0 and actions is nudge.actions


def test_sends_of_sees_every_send_a_rule_writes_for_the_checker():
    nudge, ab, tidy = rules()
    assert steps(sends_of(nudge)) == [
        ("sms", "hi"),
        ("push", "hi_push"),
        ("email", "hi_mail"),
        ("sms", "later"),  # checked, though the message is the first send's chain
    ]
    assert steps(sends_of(ab)) == [("push", "hi_push")] and list(sends_of(tidy)) == []


def test_the_delivery_plan_walks_the_same_chains():
    checked = checked_text(TEXT, load_schema_file(SCHEMA))
    plan = delivery_plan(checked)
    for rule, planned in zip(checked.campaign.rules, plan.rules, strict=True):
        for (share, actions), arm in zip(arms_of(rule), planned.arms, strict=True):
            assert arm.share == share
            assert [(s.channel, s.template) for s in arm.chain] == steps(send_chain(actions))
    assert channels_sent_on(checked.campaign) == ["sms", "push", "email"]


def test_the_delivery_plan_places_each_customer_on_their_arm():
    plan = delivery_plan(checked_text(TEXT, load_schema_file(SCHEMA)))
    assert len(plan.arms) == 4  # nudge, ab/40%, ab/60%, tidy
    arms = plan.arm_index([0, 1, 1, 2], [-1, 0, 1, -1])
    assert arms.tolist() == [0, 1, 2, 3]
    assert plan.arm_index([], []).tolist() == []
