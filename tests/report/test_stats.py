"""The report's statistics against known values: Newcombe's (1998) worked examples and
statsmodels 0.15 / SciPy 1.17, computed once offline and pasted here, so the tests need
neither (``proportion_confint(method="wilson")``, ``confint_proportions_2indep(
method="newcomb")``, ``proportions_ztest``)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from winlang.report.stats import difference_interval, proportion_interval, z_test, z_value

WILSON = [  # k, n, low, high
    (81, 263, 0.2552885198782742, 0.36620957698280004),
    (0, 10, 0.0, 0.27753279986288926),
    (10, 10, 0.7224672001371106, 1.0),
    (1, 30, 0.005908590381612455, 0.16670390991409176),
    (15, 148, 0.06238639953073628, 0.16048724172330803),
    (30, 100, 0.21894885294932756, 0.39584854633346667),
]
NEWCOMBE = [  # k1, n1, k2, n2, low, high (the first three are Newcombe's Table II)
    (56, 70, 48, 80, 0.05243147240236498, 0.33387265403690614),
    (9, 10, 3, 10, 0.1705227239345029, 0.809017973535488),
    (6, 7, 2, 7, 0.05822792748231209, 0.8062496375242278),
    (5, 56, 0, 29, -0.038137147903536936, 0.19256001385511165),
    (0, 10, 0, 20, -0.1611251580528194, 0.27753279986288926),
    (10, 10, 0, 20, 0.6790860371419145, 1.0),
    (30, 100, 15, 100, 0.03410770350141119, 0.26148598204811313),
]
Z_TESTS = [  # k1, n1, k2, n2, z, two-sided p
    (30, 100, 15, 100, 2.5400025400038095, 0.011085166380602711),
    (56, 70, 48, 80, 2.6501719512585336, 0.00804508136819656),
    (1, 30, 6, 40, -1.6101529717988265, 0.10736446520661455),
    (340, 1000, 300, 1000, 1.9174124721184278, 0.05518555099113365),
]


@pytest.mark.parametrize(("k", "n", "low", "high"), WILSON)
def test_wilson_interval_matches_statsmodels(k, n, low, high):
    assert proportion_interval(k, n) == pytest.approx((low, high), abs=1e-9)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "low", "high"), NEWCOMBE)
def test_newcombe_interval_matches_the_paper_and_statsmodels(k1, n1, k2, n2, low, high):
    assert difference_interval(k1, n1, k2, n2) == pytest.approx((low, high), abs=1e-9)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "z", "p"), Z_TESTS)
def test_z_test_matches_statsmodels(k1, n1, k2, n2, z, p):
    found = z_test(k1, n1, k2, n2)
    assert found.z == pytest.approx(z, abs=1e-9)
    assert found.p_value == pytest.approx(p, abs=1e-12)


def test_the_z_of_95_percent():
    assert z_value() == pytest.approx(1.959963984540054, abs=1e-12)
    assert z_value(0.99) == pytest.approx(2.5758293035489004, abs=1e-12)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_empty_groups_have_no_interval():
    assert proportion_interval(0, 0) is None
    assert difference_interval(1, 2, 0, 0) is None
    with pytest.raises(ValueError):
        z_test(1, 0, 1, 2)
    with pytest.raises(ValueError):
        proportion_interval(3, 2)


counts = st.integers(min_value=1, max_value=5_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts)
def test_a_wilson_interval_holds_its_rate_inside_zero_and_one(found):
    k, n = found
    low, high = proportion_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(counts, counts)
def test_a_difference_interval_holds_the_difference_and_mirrors(first, second):
    (k1, n1), (k2, n2) = first, second
    low, high = difference_interval(k1, n1, k2, n2)
    assert -1.0 <= low <= k1 / n1 - k2 / n2 + 1e-12
    assert k1 / n1 - k2 / n2 - 1e-12 <= high <= 1.0
    mirrored = difference_interval(k2, n2, k1, n1)
    assert mirrored == pytest.approx((-high, -low), abs=1e-12)


@given(counts, counts)
def test_the_p_value_is_a_probability_and_symmetric(first, second):
    (k1, n1), (k2, n2) = first, second
    found = z_test(k1, n1, k2, n2)
    assert 0.0 <= found.p_value <= 1.0
    assert z_test(k2, n2, k1, n1).p_value == pytest.approx(found.p_value, abs=1e-12)
    assert not math.isnan(found.z)
