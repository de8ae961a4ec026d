"""The pure funnel (winlang.report.funnel) on hand-made ledger rows and events."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from winlang.report.funnel import Event, Firing, Rate, build_report, lift, p_value

T0 = datetime(2026, 11, 1, 10)
NOW = datetime(2026, 12, 15)


def sent(customer: str, rule: str = "r", template: str = "t", at: datetime = T0, **more):
    return Firing(
        rule=rule, customer_id=customer, status="sent", planned_at=at, sent_at=at,
        channel=more.pop("channel", "sms"), template=template, **more,
    )  # fmt: skip


def held(customer: str, rule: str = "r", at: datetime = T0) -> Firing:
    return Firing(rule=rule, customer_id=customer, status="held_out", planned_at=at)


def event(customer: str, kind: str, at: datetime, template: str | None = "t", campaign="c"):
    return Event(
        customer_id=customer, type=kind, occurred_at=at, campaign=campaign, template=template
    )


def test_funnel_events_count_once_per_customer_and_only_after_the_message():
    firings = [sent("1"), sent("2"), sent("3")]
    events = [
        event("1", "open", T0 + timedelta(hours=1)),
        event("1", "open", T0 + timedelta(hours=2)),  # twice: one customer
        event("2", "open", T0 - timedelta(hours=1)),  # before the message
        event("3", "open", T0 + timedelta(hours=1), template="other"),
        event("3", "click", T0 + timedelta(hours=1), campaign="other"),
        event("3", "delivered", T0),  # at sent_at: counts
        event("2", "click", NOW + timedelta(days=1)),  # after now
    ]
    (rule,) = build_report("c", ["r"], firings, events, NOW).rules
    assert (rule.sent, rule.reached) == (3, {"delivered": 1, "opened": 1, "clicked": 0})
    assert rule.as_json()["shares"] == {"delivered": 0.3333, "opened": 0.3333, "clicked": 0.0}


def test_reactivation_counts_purchases_inside_the_window_up_to_now():
    firings = [sent("1"), sent("2"), sent("3"), sent("4", at=NOW - timedelta(days=2))]
    events = [
        event("1", "purchase", T0 + timedelta(days=30), None, None),  # the window's last moment
        event("2", "purchase", T0 + timedelta(days=30, seconds=1), None, None),
        event("3", "purchase", T0 - timedelta(seconds=1), None, None),
        event("4", "purchase", NOW + timedelta(days=1), None, None),  # window open, after now
    ]
    rule = build_report("c", ["r"], firings, events, NOW).rules[0]
    assert rule.reactivation == Rate(4, 1)
    wider = build_report("c", ["r"], firings, events, NOW, window_days=31).rules[0]
    assert wider.reactivation == Rate(4, 2)


def test_held_out_customers_are_measured_from_the_firing():
    firings = [sent("1"), held("2"), held("3"), held("3", at=T0 + timedelta(days=60))]
    events = [
        event("2", "purchase", T0 + timedelta(days=1), None, None),
        event("3", "purchase", T0 + timedelta(days=61), None, None),  # its second firing's
    ]
    rule = build_report("c", ["r"], firings, events, NOW + timedelta(days=60)).rules[0]
    assert (rule.held_out, rule.control) == (2, Rate(2, 2))


def test_rules_come_in_file_order_then_unknown_ones_and_variants_share_the_control():
    firings = [
        sent("1", rule="b", variant="A"),
        sent("2", rule="b", variant="B", channel="email"),
        held("3", rule="b"),
        sent("4", rule="gone"),
        Firing(rule="b", customer_id="5", status="failed", planned_at=T0, variant="A"),
        Firing(rule="a", customer_id="6", status="planned", planned_at=T0),
        sent("7", rule="a", at=NOW + timedelta(days=1)),  # planned after now: left out
    ]
    report = build_report("c", ["a", "b"], firings, [], NOW, runs=2)
    assert [r.name for r in report.rules] == ["a", "b", "gone"]
    a, b, _gone = report.rules
    assert (a.sent, a.planned, a.variants) == (0, 1, ())
    assert b.channels == {"email": 1, "sms": 1} and b.failed == 1
    assert [(v.name, v.sent, v.failed, v.control) for v in b.variants] == [
        ("A", 1, 1, Rate(1, 0)),
        ("B", 1, 0, Rate(1, 0)),
    ]
    total = report.total
    assert (total.sent, total.held_out, total.failed, total.planned) == (3, 1, 1, 1)
    shape = report.as_json()
    assert shape["runs"] == 2 and shape["now"] == "2026-12-15T00:00:00Z"
    assert "variants" not in shape["total"] and shape["rules"][0]["variants"] == []


def test_lift_needs_thirty_customers_on_each_side():
    assert lift(Rate(29, 10), Rate(100, 10)).points is None
    assert lift(Rate(100, 10), Rate(29, 10)).note == (
        "too few to compare: 100 messaged, 29 held out (at least 30 each)"
    )
    found = lift(Rate(30, 9), Rate(30, 3))
    assert (found.points, found.ratio, found.note) == (20.0, 3.0, None)
    assert lift(Rate(40, 4), Rate(40, 0)).ratio is None  # no control purchase: no ratio


def test_the_p_value_is_the_two_proportion_z_test():
    # by hand: pooled 0.225, se = sqrt(0.225 * 0.775 * 2/100) = 0.0590551, z = 2.54000
    z = 0.15 / math.sqrt(0.225 * 0.775 * 0.02)
    assert p_value(Rate(100, 30), Rate(100, 15)) == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert p_value(Rate(100, 30), Rate(100, 15)) == pytest.approx(0.01108, abs=1e-5)
    assert p_value(Rate(100, 20), Rate(200, 40)) == 1.0  # same rate
    assert lift(Rate(1000, 100), Rate(1000, 100)).points == 0.0


def test_a_lift_over_a_big_enough_holdout():
    firings = [sent(str(i)) for i in range(100)] + [held(str(i)) for i in range(100, 140)]
    buys = [*range(30), *range(100, 104)]  # 30% messaged, 10% held out
    events = [event(str(i), "purchase", T0 + timedelta(days=3), None, None) for i in buys]
    found = build_report("c", ["r"], firings, events, NOW).rules[0].lift
    assert (found.points, found.ratio) == (20.0, 3.0)
    assert 0.01 < found.p_value < 0.02
