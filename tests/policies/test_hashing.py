"""Stable holdout and variant assignment: pinned values, distribution, order independence."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from winlang.policies.hashing import draw, holdout, id_texts, variant

IDS = np.array([f"c-{i:06d}" for i in range(100_000)])


def test_draw_is_the_documented_formula():
    key = "holdout\x00ladder\x0042"
    expected = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) / 2**48
    assert draw(["holdout", "ladder", "42"]) == expected


def test_pinned_values_never_change():
    # If these change, every recorded holdout and variant would silently move.
    assert holdout("ladder", ["1", "2", "3", "4", "5"], 50).tolist() == _pinned_holdout()
    assert variant("ladder", "hello", ["1", "2", "3", "4", "5"], [50, 50]).tolist() == (
        _pinned_variant()
    )


def _pinned_holdout() -> list[bool]:
    return [
        int(hashlib.sha256(f"holdout\x00ladder\x00{i}".encode()).hexdigest()[:12], 16) / 2**48 < 0.5
        for i in range(1, 6)
    ]


def _pinned_variant() -> list[int]:
    return [
        int(
            int(hashlib.sha256(f"split\x00ladder\x00hello\x00{i}".encode()).hexdigest()[:12], 16)
            / 2**48
            >= 0.5
        )
        for i in range(1, 6)
    ]


# Recorded assignments (id, campaign) -> the draw's 48 bits, the holdout at 10% and 50%, the arm
# of a 20/30/50 split of rule `coupon`: the ledger's contract, a customer's group must never
# move between versions. Written down once, not recomputed by the formula in the test.
PINNED_IDS = ["1", "2", "3", "42", "1000", "c-0042", "007", "é-client", "x" * 60]
PINNED = {
    "sms-reengagement-ladder": (
        [
            136377553973674,
            54704713314940,
            29356127523964,
            227164500711945,
            185044134394603,
            125528069418453,
            179529036378056,
            120574858961097,
            20420632993777,
        ],
        "........H",
        "HHH..H.HH",
        [2, 2, 2, 2, 2, 0, 2, 1, 0],
    ),
    "winback": (
        [
            263149232736074,
            280812546504028,
            258966947234584,
            201106856913148,
            85521948491537,
            41685402581789,
            192735559280107,
            212675726325721,
            96776157803984,
        ],
        ".........",
        "....HH..H",
        [2, 0, 2, 2, 2, 2, 2, 0, 0],
    ),
}


@pytest.mark.parametrize("campaign", sorted(PINNED))
def test_recorded_assignments_never_move(campaign):
    bits, at_10, at_50, arms = PINNED[campaign]
    draws = [draw(["holdout", campaign, i]) for i in PINNED_IDS]
    assert [int(d * 2**48) for d in draws] == bits
    assert "".join("H" if h else "." for h in holdout(campaign, PINNED_IDS, 10)) == at_10
    assert "".join("H" if h else "." for h in holdout(campaign, PINNED_IDS, 50)) == at_50
    assert variant(campaign, "coupon", PINNED_IDS, [20, 30, 50]).tolist() == arms
    # The ids as one batch, as numbers where they are: the same groups.
    assert holdout(campaign, np.array([1, 2, 3, 42, 1000]), 50).tolist() == [
        c == "H" for c in at_50[:5]
    ]


def test_a_newline_in_an_id_is_hashed_as_it_is():
    ids = ["a\nb", "a", "b"]
    expected = [draw(["holdout", "c", i]) < 0.5 for i in ids]
    assert holdout("c", ids, 50).tolist() == expected


def test_same_in_another_process():
    code = (
        "from winlang.policies.hashing import holdout;"
        "print(holdout('ladder', [str(i) for i in range(200)], 30).tolist())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        cwd=str(__import__("pathlib").Path(__file__).parents[2]),
    )
    assert other.stdout.strip() == str(holdout("ladder", [str(i) for i in range(200)], 30).tolist())


def test_int_and_text_ids_agree():
    assert (
        holdout("c", np.arange(50), 40).tolist()
        == holdout("c", [str(i) for i in range(50)], 40).tolist()
    )


@pytest.mark.parametrize("percent", [1, 10, 25, 50])
def test_holdout_share(percent):
    share = holdout("ladder", IDS, percent).mean()
    assert abs(share - percent / 100) < 0.005  # ~5 standard deviations at 100k ids


def test_holdout_is_per_campaign_and_nested():
    # A larger percent holds out a superset: raising 10% to 20% keeps the old control group.
    assert not (holdout("a", IDS, 10) & ~holdout("a", IDS, 20)).any()
    assert (holdout("a", IDS, 10) != holdout("b", IDS, 10)).any()


@pytest.mark.parametrize("shares", [[50, 50], [10, 30, 60], [33.3, 33.3, 33.4], [0, 100]])
def test_variant_shares_respected(shares):
    counts = np.bincount(variant("ladder", "hello", IDS, shares), minlength=len(shares))
    assert np.allclose(counts / IDS.size, np.array(shares) / 100, atol=0.006)


def test_variant_independent_of_holdout():
    held = holdout("ladder", IDS, 10)
    arms = variant("ladder", "hello", IDS, [50, 50])
    assert abs(arms[held].mean() - 0.5) < 0.02


@pytest.mark.parametrize("shares", [[], [50, 40], [120, -20]])
def test_variant_rejects_bad_shares(shares):
    with pytest.raises(ValueError):
        variant("c", "r", ["1"], shares)


def test_holdout_rejects_bad_percent():
    with pytest.raises(ValueError):
        holdout("c", ["1"], 101)


@given(
    st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=40, unique=True), st.randoms()
)
def test_order_of_customers_does_not_matter(ids, rnd):
    shuffled = ids[:]
    rnd.shuffle(shuffled)
    by_id = dict(zip(ids, holdout("c", ids, 30).tolist(), strict=True))
    assert dict(zip(shuffled, holdout("c", shuffled, 30).tolist(), strict=True)) == by_id
    arms = dict(zip(ids, variant("c", "r", ids, [20, 30, 50]).tolist(), strict=True))
    assert (
        dict(zip(shuffled, variant("c", "r", shuffled, [20, 30, 50]).tolist(), strict=True)) == arms
    )


def test_keys_hashed_a_slice_at_a_time_draw_as_one_by_one(monkeypatch):
    """Millions of keys are hashed in slices (bounded memory); each draw is still its own key's."""
    from winlang.policies import hashing

    ids = [str(i) for i in range(10)] + ["c-é", "x\ny"]  # a newline: the one-by-one path
    expected = [draw(["holdout", "ladder", i]) for i in ids]
    monkeypatch.setattr(hashing, "_CHUNK", 3)
    found = hashing._draws("holdout\x00ladder\x00", np.array(ids))
    assert found.tolist() == expected


@given(
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30),
    st.sampled_from([np.int64, np.int32, np.uint8, np.uint64]),
)
def test_integer_ids_as_text_are_str_of_each(values, kind):
    info = np.iinfo(kind)
    ids = np.array([v for v in values if info.min <= v <= info.max], dtype=kind)
    texts = id_texts(ids)
    assert texts.dtype.kind == "U"
    assert texts.tolist() == [str(int(v)) for v in ids.tolist()]
    # As wide as the longest id, not NumPy's widest int: the copies made of it stay small.
    if ids.size:
        assert texts.dtype.itemsize == 4 * max(len(t) for t in texts.tolist())
