"""Stable holdout and variant assignment: pinned values, distribution, order independence."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from winlang.policies.hashing import draw, holdout, variant

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
