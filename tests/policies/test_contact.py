"""Consent, address, suppressions and failover along a send chain."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from winlang.policies.contact import (
    ALL,
    ChannelContact,
    has_consent,
    is_consent,
    resolve_chains,
)


def contact(addresses, consents) -> ChannelContact:
    return ChannelContact(np.array(addresses, dtype=object), np.array(consents, dtype=object))


def test_consent_is_true_or_the_number_one():
    values = [True, np.True_, 1, 1.0, np.int64(1), False, None, 0, 2, -1, "true", "yes", "1"]
    values.append(float("nan"))
    expected = [True] * 5 + [False] * 9
    assert has_consent(np.array(values, dtype=object)).tolist() == expected


def test_a_zero_one_column_is_consent_in_bulk():
    assert has_consent(np.array([1, 0, 1, 2])).tolist() == [True, False, True, False]
    assert has_consent(np.array([1.0, 0.0, np.nan])).tolist() == [True, False, False]


def test_failover_and_the_first_channels_reason():
    sms = contact(["+1", None, "+1", None, "+1"], [True, True, None, None, True])
    push = contact(["t", "t", "t", None, "t"], [True, True, True, None, True])
    result = resolve_chains(
        ["1", "2", "3", "4", "5"],
        [0] * 5,
        [("sms", "push")],
        {"sms": sms, "push": push},
        {("5", ALL)},
    )
    assert result.step.tolist() == [0, 1, 1, -1, -1]
    assert result.reason.tolist() == ["", "", "", "no_consent", "unsubscribed"]


def test_unsubscribed_from_one_channel_fails_over():
    both = contact(["x", "x"], [True, True])
    result = resolve_chains(
        ["1", "2"], [0, 0], [("sms", "push")], {"sms": both, "push": both}, {("1", "sms")}
    )
    assert result.step.tolist() == [1, 0]


def test_start_after_a_permanent_failure():
    both = contact(["x"], [True])
    chains = [("sms", "push")]
    after = resolve_chains(["1"], [0], chains, {"sms": both, "push": both}, set(), start=[1])
    assert after.step.tolist() == [1]
    done = resolve_chains(["1"], [0], chains, {"sms": both, "push": both}, set(), start=[2])
    assert done.step.tolist() == [-1] and done.reason.tolist() == [""]


def test_a_channel_without_data_is_an_error():
    with pytest.raises(ValueError, match="push"):
        resolve_chains(["1"], [0], [("push",)], {}, set())


consents = st.sampled_from([True, False, None, 1, "true", np.True_, np.False_])
addresses = st.sampled_from(["+40722", "a@b.c", None, "", "  ", float("nan")])
CHANNELS = ("sms", "push", "email")


@st.composite
def situations(draw):
    n = draw(st.integers(0, 25))
    ids = [str(i) for i in range(n)]
    contacts = {
        ch: contact(
            draw(st.lists(addresses, min_size=n, max_size=n)),
            draw(st.lists(consents, min_size=n, max_size=n)),
        )
        for ch in CHANNELS
    }
    chains = draw(
        st.lists(
            st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True).map(tuple),
            min_size=1,
            max_size=3,
        )
    )
    which = draw(st.lists(st.integers(0, len(chains) - 1), min_size=n, max_size=n))
    sup = draw(st.sets(st.tuples(st.sampled_from(ids or ["0"]), st.sampled_from((*CHANNELS, ALL)))))
    return ids, which, chains, contacts, sup


@given(situations())
def test_never_a_channel_without_consent_address_or_with_a_suppression(situation):
    ids, which, chains, contacts, sup = situation
    result = resolve_chains(ids, which, chains, contacts, sup)
    for i, cid in enumerate(ids):
        chain = chains[which[i]]
        if result.step[i] < 0:
            assert result.reason[i] in ("no_consent", "no_address", "unsubscribed")
            continue
        ch = chain[result.step[i]]
        consent = contacts[ch].consent[i]
        address = contacts[ch].address[i]
        assert is_consent(consent)
        assert isinstance(address, str) and address.strip()
        assert (cid, ch) not in sup and (cid, ALL) not in sup
        # failover only past channels that could not be used
        for earlier in chain[: result.step[i]]:
            c = contacts[earlier]
            assert not (
                type(c.consent[i]) in (bool, np.bool_)
                and bool(c.consent[i])
                and isinstance(c.address[i], str)
                and c.address[i].strip()
                and (cid, earlier) not in sup
                and (cid, ALL) not in sup
            )
