"""The policy steps: their order is the documented one, and each does its one job alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from functools import reduce
from pathlib import Path

import numpy as np
import pytest

from winlang.plan.delivery import Arm, RuleDelivery, SendStep
from winlang.policies.apply import PolicyInputs, QuietWindow, apply_policies, outcome_of
from winlang.policies.caps import CapLimit, History
from winlang.policies.contact import ALL, ChannelContact
from winlang.policies.hashing import holdout, variant
from winlang.policies.reasons import Reason, Status
from winlang.policies.steps import (
    ORDER,
    STATUS_CODE,
    STEPS,
    PolicyState,
    check_caps,
    check_contact,
    check_quiet_hours,
    draw_variants,
    hold_out,
    send_the_rest,
)

PAGE = Path(__file__).resolve().parents[2] / "docs" / "policies.md"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # 15:00 in Bucharest, 21:00 in Seoul
COUPON = RuleDelivery(
    "coupon", (Arm(100, (SendStep("sms", "coupon"), SendStep("push", "coupon_push"))),)
)
HELLO = RuleDelivery(
    "hello",
    (Arm(50, (SendStep("email", "hello_a"),)), Arm(50, (SendStep("push", "hello_b"),))),
    split=True,
)
LIST_ONLY = RuleDelivery("won_back", (Arm(100, ()),))


def contact(addresses, consents) -> ChannelContact:
    return ChannelContact(np.array(addresses, dtype=object), np.array(consents, dtype=object))


def state_of(n: int, **changes) -> PolicyState:
    base = dict(
        campaign="ladder",
        now=NOW,
        rules=(COUPON, HELLO, LIST_ONLY),
        customer_ids=np.array([str(i) for i in range(n)]),
        rule_index=np.zeros(n, dtype=np.int64),
        contacts={ch: contact(["x"] * n, [True] * n) for ch in ("sms", "push", "email")},
    )
    return PolicyState.start(PolicyInputs(**(base | changes)))


def stopped(state: PolicyState) -> list[tuple[str, str]]:
    """(status, reason) of each customer; ("", "") for the undecided."""
    out = outcome_of(state)
    return list(zip(out.status.tolist(), out.reason.tolist(), strict=True))


# ---- the order: the code's tuple is the page's table ---------------------------------------


def documented_steps() -> list[tuple[str, tuple[str, ...]]]:
    """(step name, its reasons in order) from the table under "The order" in policies.md."""
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index("## The order") :]
    section = section[: section.index("\n## ", 1)]
    found: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].isdigit():
            continue
        name = cells[4].strip("`")
        reason = re.fullmatch(r"`(\w+)`", cells[3])
        found.setdefault(name, [])
        if reason:
            found[name].append(reason.group(1))
    return [(name, tuple(reasons)) for name, reasons in found.items()]


def test_the_steps_run_in_the_documented_order():
    documented = documented_steps()
    assert len(documented) == len(STEPS) >= 5
    assert documented == [(s.name, tuple(r.value for r in s.reasons)) for s in STEPS]


def test_order_is_every_steps_reasons_in_turn():
    assert tuple(r for s in STEPS for r in s.reasons) == ORDER
    assert len(set(ORDER)) == len(ORDER)
    assert Reason.ALREADY_FIRED not in ORDER  # the plan's rule, not a policy


def test_apply_policies_is_the_steps_one_after_the_other():
    start = state_of(
        6,
        rule_index=np.array([0, 0, 1, 1, 2, 0]),
        holdout_percent=30,
        quiet=QuietWindow(time(14), time(16)),
        timezone="Europe/Bucharest",
    )
    by_hand = outcome_of(reduce(lambda state, step: step(state), STEPS, start))
    at_once = apply_policies(start.inputs)
    for field in ("status", "reason", "channel", "template", "step", "variant"):
        assert getattr(by_hand, field).tolist() == getattr(at_once, field).tolist(), field


# ---- each step alone -------------------------------------------------------------------------


def test_hold_out_stops_exactly_the_hashed_share():
    state = state_of(400, holdout_percent=20)
    after = hold_out(state)
    held = holdout("ladder", state.texts, 20)
    assert 40 < held.sum() < 120
    assert (after.status == STATUS_CODE[Status.HELD_OUT]).tolist() == held.tolist()
    assert (after.undecided == ~held).all()
    assert state.undecided.all()  # the step made a new state; the old one is unchanged


def test_hold_out_without_a_holdout_is_nothing():
    state = state_of(3)
    assert hold_out(state) is state


def test_hold_out_leaves_decided_customers_alone():
    state = state_of(50, holdout_percent=100)
    first = state.stop(np.arange(50) < 10, Status.SKIPPED, Reason.CAP)
    after = hold_out(first)
    assert [r for _, r in stopped(after)] == ["cap"] * 10 + ["holdout"] * 40


def test_draw_variants_picks_each_split_customers_arm_and_stops_nobody():
    state = state_of(100, rule_index=np.array([1] * 60 + [0] * 40))
    after = draw_variants(state)
    expected = variant("ladder", "hello", state.texts[:60], [50, 50])
    assert after.arm[:60].tolist() == expected.tolist() and set(expected.tolist()) == {0, 1}
    assert (after.arm[60:] == 0).all()
    assert after.undecided.all()
    assert after.chain_index[:60].tolist() == (1 + expected).tolist()  # HELLO's arms: 1, 2


def test_check_contact_fails_over_and_gives_the_first_channels_reason():
    state = state_of(
        4,
        contacts={
            "sms": contact(["+40", None, "+40", None], [True, True, True, True]),
            "push": contact(["t", "t", "t", None], [True, True, True, True]),
            "email": contact([None] * 4, [None] * 4),
        },
        suppressions=frozenset({("2", "sms")}),
    )
    after = check_contact(state)
    assert after.step.tolist() == [0, 1, 1, -1]
    assert stopped(after) == [("", ""), ("", ""), ("", ""), ("skipped", "no_address")]


def test_check_contact_skips_rules_without_send():
    state = state_of(
        2,
        rule_index=np.array([2, 2]),
        contacts={ch: contact([None, None], [None, None]) for ch in ("sms", "push", "email")},
    )
    after = check_contact(state)
    assert after.undecided.all() and after.step.tolist() == [-1, -1]


def test_check_caps_counts_the_campaigns_then_everyones_messages():
    history = History(
        np.array(["0", "1", "1"]),
        np.array(["ladder", "other", "other"]),
        np.array(["2026-05-30", "2026-05-30", "2026-05-31"], "datetime64[s]"),
    )
    state = state_of(
        3, history=history, cap=CapLimit(1, 7 * 86_400), global_cap=CapLimit(2, 7 * 86_400)
    )
    assert stopped(check_caps(state)) == [("skipped", "cap"), ("skipped", "global_cap"), ("", "")]
    assert check_caps(state_of(3, history=history)).status.tolist() == [0, 0, 0]


def test_check_quiet_hours_defers_on_the_customers_own_clock():
    state = state_of(
        2,
        zones=np.array(["Asia/Seoul", "Mars/Base"], dtype=object),
        quiet=QuietWindow(time(21), time(9)),
        timezone="Europe/Bucharest",
    )
    after = check_quiet_hours(state)
    assert stopped(after) == [("deferred", "quiet_hours"), ("", "")]
    assert after.deferred_until[0] == np.datetime64("2026-06-02T00:00")  # 09:00 in Seoul
    assert np.isnat(after.deferred_until[1])
    assert after.zones is not None and after.zones.invalid == ("Mars/Base",)


def test_check_quiet_hours_resolves_zones_even_without_quiet_hours():
    state = state_of(1, zones=np.array(["Mars/Base"], dtype=object))
    after = check_quiet_hours(state)
    assert after.undecided.all() and after.zones.invalid == ("Mars/Base",)


def test_send_the_rest_sends_only_the_undecided():
    state = state_of(3).stop(np.array([True, False, False]), Status.SKIPPED, Reason.CAP)
    after = send_the_rest(state)
    assert stopped(after) == [("skipped", "cap"), ("send", ""), ("send", "")]


@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_every_step_keeps_the_customers_another_step_stopped(step):
    state = state_of(
        4,
        holdout_percent=100,
        cap=CapLimit(0, 86_400),
        quiet=QuietWindow(time(0), time(23, 59)),
        suppressions=frozenset({(str(i), ALL) for i in range(4)}),
    )
    decided = state.stop(np.ones(4, dtype=bool), Status.SKIPPED, Reason.UNSUBSCRIBED)
    after = step(decided)
    assert stopped(after) == [("skipped", "unsubscribed")] * 4


def test_a_step_reports_a_reason_outside_the_enum_unchanged():
    state = state_of(2)
    after = state.stop(np.array([True, False]), Status.SKIPPED, np.array(["odd", ""], object))
    assert stopped(after) == [("skipped", "odd"), ("", "")]


@pytest.mark.parametrize(
    ("zones", "deferred"),
    [
        (None, [True, True, True]),  # no zone column: everyone on the fallback's clock
        (np.array(["Asia/Seoul", None, "Mars/Base"], dtype=object), [False, True, True]),
    ],
)
def test_quiet_hours_defer_on_each_customers_clock_until_the_window_ends(zones, deferred):
    # 15:00 in Bucharest (the fallback) is inside 14:00-16:00, 21:00 in Seoul is not.
    state = state_of(
        3,
        zones=zones,
        quiet=QuietWindow(time(14), time(16)),
        timezone="Europe/Bucharest",
    )
    after = check_quiet_hours(state)
    assert [s == ("deferred", "quiet_hours") for s in stopped(after)] == deferred
    ends = np.datetime64("2026-06-01T13:00:00", "us")  # 16:00 in Bucharest, in UTC
    assert after.deferred_until.tolist() == [ends.item() if d else None for d in deferred]
