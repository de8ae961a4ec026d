"""The policies in their order, and the invariants no run may break."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.policies.strategies import DST_ZONES, instants, windows, zone_values
from winlang.plan import ir
from winlang.plan.delivery import Arm, RuleDelivery, SendStep, delivery_plan
from winlang.policies.apply import PolicyInputs, QuietWindow, apply_policies
from winlang.policies.caps import CapLimit, History
from winlang.policies.contact import ALL, ChannelContact, channel_reasons, is_consent
from winlang.policies.hashing import holdout
from winlang.policies.quiet import window_contains
from winlang.policies.steps import ORDER
from winlang.project import checked_text
from winlang.schema import load_schema_file

SCHEMA = Path(__file__).resolve().parents[2] / "campaigns" / "schema.json"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # 15:00 in Bucharest, 08:00 in New York
COUPON = RuleDelivery(
    "coupon", (Arm(100, (SendStep("sms", "coupon"), SendStep("push", "coupon_push"))),)
)
HELLO = RuleDelivery(
    "hello",
    (Arm(50, (SendStep("email", "hello_a"),)), Arm(50, (SendStep("email", "hello_b"),))),
    split=True,
)
BIRTHDAY = RuleDelivery(
    "birthday", (Arm(100, (SendStep("sms", "greeting"),)),), repeat_seconds=365 * 86_400
)
LIST_ONLY = RuleDelivery("won_back", (Arm(100, ()),))
RULES = (COUPON, HELLO, BIRTHDAY, LIST_ONLY)


def contact(addresses, consents) -> ChannelContact:
    return ChannelContact(np.array(addresses, dtype=object), np.array(consents, dtype=object))


def reachable(n: int) -> dict[str, ChannelContact]:
    return {ch: contact(["x"] * n, [True] * n) for ch in ("sms", "push", "email")}


def inputs(n: int, **changes) -> PolicyInputs:
    base = dict(
        campaign="ladder",
        now=NOW,
        rules=RULES,
        customer_ids=np.array([str(i) for i in range(n)]),
        rule_index=np.zeros(n, dtype=np.int64),
        contacts=reachable(n),
    )
    return PolicyInputs(**(base | changes))


def test_order_is_the_steps_reasons():
    assert [r.value for r in ORDER] == [
        "holdout",
        "no_consent",
        "no_address",
        "bad_address",
        "unsubscribed",
        "cap",
        "global_cap",
        "quiet_hours",
    ]


def test_everyone_reachable_is_sent():
    out = apply_policies(inputs(3))
    assert out.status.tolist() == ["send"] * 3 and out.channel.tolist() == ["sms"] * 3
    assert out.summary() == {
        "sent": 3,
        "actions_only": 0,
        "held_out": 0,
        "skipped": {},
        "channels": {"sms": 3},
    }


def test_first_stopping_policy_gives_the_reason():
    n = 5
    contacts = reachable(n)
    contacts["sms"] = contact(["x", "x", None, "x", "x"], [True, True, True, True, True])
    contacts["push"] = contact(["x", "x", None, "x", "x"], [True, True, True, True, True])
    history = History(
        np.array(["3"]), np.array(["ladder"]), np.array(["2026-05-30"], "datetime64[s]")
    )
    out = apply_policies(
        inputs(
            n,
            contacts=contacts,
            history=history,
            cap=CapLimit(1, 7 * 86_400),
            suppressions=frozenset({("1", ALL)}),
            quiet=QuietWindow(time(21), time(9)),
            zones=np.array([None, None, None, None, "Asia/Seoul"], dtype=object),  # 21:00 in Seoul
            timezone="Europe/Bucharest",
        )
    )
    assert out.reason.tolist() == ["", "unsubscribed", "no_address", "cap", "quiet_hours"]
    assert out.status.tolist() == ["send"] + ["skipped"] * 3 + ["deferred"]
    assert out.deferred_until[4] == np.datetime64("2026-06-02T00:00")  # 09:00 in Seoul
    assert out.summary()["skipped"] == {
        "cap": 1,
        "no_address": 1,
        "quiet_hours": 1,
        "unsubscribed": 1,
    }


FIRED_TEXT = """campaign "ladder"
template greeting sms "Happy birthday"
template coupon sms "10% off"
rule birthday: when orders > 0 then send sms greeting repeat every 365 days
rule coupon: when orders > 0 then send sms coupon
"""


def _fired_decisions(fired_ids):
    """The ladder's decisions for customers 1 and 2 when ``birthday`` fired for
    ``fired_ids`` within its repeat window (the state's `fired` flag)."""
    import pyarrow as pa

    from tests.backends.numpy_support import FakeState
    from winlang.backends.base import RunContext
    from winlang.backends.numpy import NumpyBackend
    from winlang.plan import plan_campaign
    from winlang.sources.memory import MemorySource

    checked = checked_text(FIRED_TEXT, load_schema_file(SCHEMA))
    plan = plan_campaign(checked)
    assert plan.rules[0].already_fired == ir.StateFlag("fired", "birthday", 365 * 86_400)
    customers = pa.table({"id": [1, 2], "orders": [3.0, 3.0]})
    events = pa.table(
        {
            "customer_id": pa.array([], pa.int64()),
            "type": pa.array([], pa.string()),
            "occurred_at": pa.array([], pa.timestamp("us")),
        }
    )
    state = FakeState({("fired", "birthday"): fired_ids})
    context = RunContext(now=NOW, state=state)
    return checked, NumpyBackend().decide(plan, MemorySource(customers, events), context)


def test_a_rule_that_already_fired_does_not_match_so_no_policy_sees_it():
    """`already fired` is the plan's rule, not a policy: within its `repeat every` window a
    fired rule does not match, and the customer goes on to the next rule."""
    checked, decisions = _fired_decisions([1])
    assert dict(zip(decisions.ids.tolist(), decisions.rules.tolist(), strict=True)) == {
        1: 1,
        2: 0,
    }
    out = apply_policies(
        inputs(
            2,
            rules=delivery_plan(checked).rules,
            customer_ids=decisions.ids,
            rule_index=decisions.rules,
        )
    )
    assert out.template.tolist() == ["coupon", "greeting"]
    assert "already_fired" not in out.reason.tolist()


def test_repeat_every_allows_a_new_firing():
    """Past the window the state no longer holds the firing: the rule matches again."""
    _, decisions = _fired_decisions([])
    assert decisions.rules.tolist() == [0, 0]


def test_split_variant_recorded_and_chooses_the_template():
    out = apply_policies(inputs(200, rule_index=np.ones(200, dtype=np.int64)))
    assert set(out.variant.tolist()) == {0, 1}
    assert (out.template == np.where(out.variant == 0, "hello_a", "hello_b")).all()


def test_holdout_is_never_messaged_and_has_no_variant():
    out = apply_policies(inputs(1000, rule_index=np.ones(1000, dtype=np.int64), holdout_percent=10))
    held = out.status == "held_out"
    assert 50 < held.sum() < 150
    assert (out.channel[held] == None).all() and (out.variant[held] == -1).all()  # noqa: E711


def test_rule_without_send_is_actions_only():
    out = apply_policies(
        inputs(
            2,
            rule_index=np.array([3, 3]),
            contacts={ch: contact([None, None], [None, None]) for ch in ("sms", "push", "email")},
        )
    )
    assert out.status.tolist() == ["send", "send"] and out.channel.tolist() == [None, None]
    assert out.summary()["actions_only"] == 2


def test_invalid_zones_reported():
    zones = np.array(["Mars/Base", "Asia/Seoul"], dtype=object)
    out = apply_policies(inputs(2, zones=zones, quiet=QuietWindow(time(21), time(9))))
    assert out.invalid_zones == ("Mars/Base",)


def test_the_delivery_plan_gives_the_policies_their_chains():
    text = """campaign "c"
template coupon sms "x"
template coupon_push push "y"
template a email subject "s" body "b"
template b email subject "s" body "b"
rule coupon: when orders > 1 then send sms coupon else send push coupon_push
rule hello: when orders > 2 then split
  30% send email a
  70% send email b
rule bday: when birthday is today then send sms coupon repeat every 1 year
"""
    rules = delivery_plan(checked_text(text, load_schema_file(SCHEMA))).rules
    assert rules[0] == RuleDelivery(
        "coupon", (Arm(100.0, (SendStep("sms", "coupon"), SendStep("push", "coupon_push"))),)
    )
    assert rules[1].split and [a.share for a in rules[1].arms] == [30, 70]
    assert rules[2].repeat_seconds == 365 * 86_400


# ---- the invariants, for any inputs --------------------------------------------------------

consents = st.sampled_from([True, False, None, 1, np.True_])
addresses = st.sampled_from(["x", None, "", " "])


@st.composite
def runs(draw):
    n = draw(st.integers(0, 30))
    ids = [f"c{i}" for i in range(n)]
    contacts = {
        ch: contact(
            draw(st.lists(addresses, min_size=n, max_size=n)),
            draw(st.lists(consents, min_size=n, max_size=n)),
        )
        for ch in ("sms", "push", "email")
    }
    window = draw(st.none() | windows())
    return inputs(
        n,
        now=draw(instants()),
        customer_ids=np.array(ids, dtype=object),
        rule_index=np.array(
            draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int64
        ),
        contacts=contacts,
        zones=np.array(draw(st.lists(zone_values, min_size=n, max_size=n)), dtype=object),
        suppressions=frozenset(
            draw(
                st.sets(
                    st.tuples(
                        st.sampled_from(ids or ["c0"]),
                        st.sampled_from(("sms", "push", "email", ALL)),
                    )
                )
            )
        ),
        holdout_percent=draw(st.sampled_from([0, 10, 50])),
        quiet=None if window is None else QuietWindow(*window),
        timezone=draw(st.sampled_from(DST_ZONES)),
    )


def _own_clock_quiet(run: PolicyInputs, i: int) -> bool:
    name = run.zones[i]
    try:
        tz = ZoneInfo(name) if isinstance(name, str) and name.strip() else ZoneInfo(run.timezone)
    except Exception:
        tz = ZoneInfo(run.timezone)
    return window_contains(run.now.astimezone(tz).time(), run.quiet.start, run.quiet.end)


@given(runs())
def test_no_message_breaks_a_policy(run):
    out = apply_policies(run)

    held = holdout(run.campaign, run.customer_ids, run.holdout_percent)
    for i, cid in enumerate(run.customer_ids):
        if held[i]:
            assert out.status[i] == "held_out" and out.channel[i] is None
        if out.status[i] != "send" or out.channel[i] is None:
            continue
        ch = out.channel[i]
        consent, address = run.contacts[ch].consent[i], run.contacts[ch].address[i]
        assert is_consent(consent)
        assert isinstance(address, str) and address.strip()
        assert (cid, ch) not in run.suppressions and (cid, ALL) not in run.suppressions
        if run.quiet is not None:
            assert not _own_clock_quiet(run, i)
    assert all(r in {"", *ORDER} for r in out.reason.tolist())
    summary = out.summary()
    total = summary["sent"] + summary["actions_only"] + summary["held_out"]
    assert total + sum(summary["skipped"].values()) == len(run.customer_ids)


@given(runs())
def test_usable_channels_are_the_contact_checks(run):
    # The planner fails over along `usable` instead of checking every channel again: for
    # each customer the contact step checked (not held out, a rule that sends), the same.
    out = apply_policies(run)
    checked = (out.status != "held_out") & (run.rule_index != RULES.index(LIST_ONLY))
    for channel in ("sms", "push", "email"):
        again = channel_reasons(run.customer_ids, channel, run.contacts[channel], run.suppressions)
        assert out.usable[channel][checked].tolist() == (again[checked] == "").tolist()
        assert not out.usable[channel][~checked].any()


@given(runs(), st.randoms())
def test_same_inputs_same_outcome_in_any_order(run, rnd):
    first = apply_policies(run)
    order = list(range(len(run.customer_ids)))
    rnd.shuffle(order)
    perm = np.array(order, dtype=np.int64)
    shuffled = PolicyInputs(
        **{
            **run.__dict__,
            "customer_ids": run.customer_ids[perm],
            "rule_index": run.rule_index[perm],
            "zones": run.zones[perm],
            "contacts": {
                ch: ChannelContact(c.address[perm], c.consent[perm])
                for ch, c in run.contacts.items()
            },
        }
    )
    again = apply_policies(shuffled)
    for field in ("status", "reason", "channel", "template", "variant", "deferred_until"):
        a, b = getattr(first, field)[perm], getattr(again, field)
        assert a.astype(str).tolist() == b.astype(str).tolist(), field
    assert apply_policies(run).status.tolist() == first.status.tolist()
