"""The policies' bulk paths give exactly what the value-by-value definitions give: consent and
address checks through Arrow, zones by dictionary encoding, the hash keys encoded in one
piece, and Arrow columns passed straight from a source."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from datetime import UTC, datetime, time

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from winlang.addresses import valid_address
from winlang.plan.delivery import Arm, RuleDelivery, SendStep
from winlang.policies.apply import PolicyInputs, QuietWindow, apply_policies
from winlang.policies.contact import (
    PYTHON_WHITESPACE,
    ChannelContact,
    _present,
    channel_reasons,
    has_address,
    has_consent,
    is_consent,
)
from winlang.policies.hashing import HASH_BITS, holdout, variant
from winlang.policies.quiet import resolve_zones

ADDRESS_VALUES = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.text(alphabet=PYTHON_WHITESPACE + "ab@+1\u200b", max_size=4),
    st.binary(max_size=2),
    st.integers(-2, 2),
    st.floats(allow_nan=False, width=32),
)
CONSENT_VALUES = st.one_of(
    st.none(), st.booleans(), st.just(np.True_), st.integers(0, 1), st.just("true"), st.just(1.0)
)


def test_the_whitespace_list_is_pythons():
    found = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert found == PYTHON_WHITESPACE


@given(st.lists(ADDRESS_VALUES, max_size=12))
def test_has_address_is_present_value_by_value(values):
    array = np.array([*values, None], dtype=object)[:-1]  # 1-D even for lists of bytes
    assert has_address(array).tolist() == [_present(v) for v in values]


@given(st.lists(st.one_of(st.none(), st.text(alphabet=PYTHON_WHITESPACE + "ab", max_size=3))))
def test_has_address_on_arrow_text(values):
    expected = [_present(v) for v in values]
    assert has_address(pa.array(values, pa.string())).tolist() == expected
    assert has_address(pa.array(values, pa.string()).dictionary_encode()).tolist() == expected


@given(st.lists(CONSENT_VALUES, max_size=12))
def test_has_consent_is_a_yes_value_by_value(values):
    array = np.array([*values, None], dtype=object)[:-1]
    expected = [
        (type(v) in (bool, np.bool_) and bool(v)) or (type(v) in (int, float) and v == 1)
        for v in values
    ]
    assert has_consent(array).tolist() == expected


def test_has_consent_on_arrow():
    assert has_consent(pa.array([True, None, False])).tolist() == [True, False, False]
    assert has_consent(pa.array([1, 0, None, 2])).tolist() == [True, False, False, False]
    assert has_consent(pa.array([1.0, 0.5, None])).tolist() == [True, False, False]
    assert has_consent(pa.array(["1", "true"])).tolist() == [False, False]
    assert has_consent(pa.nulls(2)).tolist() == [False, False]


@given(st.lists(st.sampled_from(["Asia/Seoul", "Asia/Soul", "", "  ", None, "UTC", "America"])))
def test_zones_in_bulk_match_the_definition(values):
    numpy = resolve_zones(np.array([*values, None], dtype=object)[:-1], "Europe/Bucharest")
    arrow = resolve_zones(pa.array(values, pa.string()), "Europe/Bucharest")
    assert arrow.names.tolist() == numpy.names.tolist()
    assert arrow.invalid == numpy.invalid
    for name, value in zip(numpy.names.tolist(), values, strict=True):
        valid = value in ("Asia/Seoul", "UTC")
        assert name == (value if valid else "Europe/Bucharest")


def test_zones_that_are_not_all_text_are_compared_one_by_one():
    found = resolve_zones(np.array(["UTC", 5, None], dtype=object), None)
    assert found.names.tolist() == ["UTC", "UTC", "UTC"] and found.invalid == ("5",)


def _reference_draws(keys: list[str]) -> np.ndarray:
    digests = [hashlib.sha256(k.encode("utf-8")).digest() for k in keys]
    words = np.array([int.from_bytes(d[:8], "big") for d in digests], dtype=np.uint64)
    return (words >> np.uint64(64 - HASH_BITS)).astype(np.float64) / 2.0**HASH_BITS


@given(st.lists(st.text(max_size=5), max_size=20), st.text(max_size=4))
def test_hash_keys_encoded_in_one_piece_are_the_keys(ids, campaign):
    texts = np.array(ids, dtype=str)  # NumPy text drops trailing NULs, before and after
    expected = _reference_draws([f"holdout\x00{campaign}\x00{i}" for i in texts.tolist()]) < 0.3
    assert holdout(campaign, texts, 30).tolist() == expected.tolist()


def test_hash_keys_with_newlines():
    ids = ["a\nb", "c"]
    u = _reference_draws([f"split\x00x\x00r\n\x00{i}" for i in ids]) * 100
    arms = variant("x", "r\n", ids, [50, 50])
    assert arms.tolist() == [int(v >= 50) for v in u]


def test_arrow_contacts_give_the_same_outcome_as_object_arrays():
    rng = np.random.default_rng(3)
    n = 400
    phones = np.array([None, "", " ", "+407"], dtype=object)[rng.integers(0, 4, n)]
    consent = np.array([True, False, None], dtype=object)[rng.integers(0, 3, n)]
    zones = np.array(["Asia/Seoul", None, "Mars/Base", "America/New_York"], dtype=object)[
        rng.integers(0, 4, n)
    ]
    rules = (
        RuleDelivery("a", (Arm(100.0, (SendStep("sms", "t"), SendStep("push", "p"))),)),
        RuleDelivery("b", (Arm(50.0, (SendStep("push", "p"),)), Arm(50.0, ())), split=True),
    )
    numpy_inputs = PolicyInputs(
        campaign="c",
        now=datetime(2026, 1, 5, 3, tzinfo=UTC),
        rules=rules,
        customer_ids=np.arange(1, n + 1),
        rule_index=rng.integers(0, 2, n),
        contacts={
            "sms": ChannelContact(phones, consent),
            "push": ChannelContact(phones[::-1].copy(), consent[::-1].copy()),
        },
        zones=zones,
        holdout_percent=10.0,
        quiet=QuietWindow(time(21), time(9)),
        timezone="Europe/Bucharest",
    )
    arrow_inputs = dataclasses.replace(
        numpy_inputs,
        contacts={
            name: ChannelContact(pa.array(c.address, pa.string()), pa.array(c.consent, pa.bool_()))
            for name, c in numpy_inputs.contacts.items()
        },
        zones=pa.array(zones, pa.string()).dictionary_encode(),
    )
    expected, found = apply_policies(numpy_inputs), apply_policies(arrow_inputs)
    for name in ("status", "reason", "channel", "template", "step", "variant"):
        assert getattr(found, name).tolist() == getattr(expected, name).tolist(), name
    assert (
        found.deferred_until.astype("i8").tolist() == expected.deferred_until.astype("i8").tolist()
    )
    assert found.invalid_zones == expected.invalid_zones == ("Mars/Base",)
    assert found.summary() == expected.summary()


EMAILS = st.one_of(
    ADDRESS_VALUES,
    st.sampled_from(["a@b.co", " a@b.co ", "Ann <a@b.co>", "a@b", "a@b.co, c@d.co", "@b.co"]),
)


@given(st.lists(st.tuples(EMAILS, CONSENT_VALUES), max_size=12), st.booleans())
def test_channel_reasons_are_the_definition_value_by_value(rows, arrow):
    # No consent, then no address, then a bad one: the missing check only looks at the
    # invalid addresses, which must not change a reason.
    addresses = np.array([*(a for a, _ in rows), None], dtype=object)[:-1]
    consent = np.array([*(c for _, c in rows), None], dtype=object)[:-1]
    texts = all(a is None or isinstance(a, str) for a in addresses.tolist())
    given_addresses = pa.array(addresses.tolist(), pa.string()) if arrow and texts else addresses
    contact = ChannelContact(given_addresses, consent, "email")
    ids = [str(i) for i in range(len(rows))]
    expected = [
        "no_consent"
        if not is_consent(c)
        else "no_address"
        if not _present(a)
        else ""
        if isinstance(a, str) and valid_address(a.strip(), "email")
        else "bad_address"
        for a, c in rows
    ]
    assert channel_reasons(ids, "email", contact, set()).tolist() == expected
