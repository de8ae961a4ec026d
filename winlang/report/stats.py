"""The statistics of the report, as small pure functions of counts (no I/O, no SciPy).

- :func:`proportion_interval`: the Wilson score interval of one rate (``k`` of ``n``), which
  stays inside [0, 1] and keeps its coverage for small ``n`` and rates near 0 or 1, where the
  textbook ``p ± z·√(p(1-p)/n)`` interval collapses or leaves the range;
- :func:`difference_interval`: Newcombe's hybrid score interval of a difference of two rates
  (method 10 of Newcombe 1998), built from the two Wilson intervals; it is the interval of
  the lift and of an A/B difference;
- :func:`z_test`: the pooled two-proportion z-test, two-sided, for the p-value.

The normal distribution is the standard library's :class:`statistics.NormalDist`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95  # the level of every interval the report prints
_NORMAL = NormalDist()


def z_value(confidence: float = CONFIDENCE) -> float:
    """The two-sided normal quantile of ``confidence``.

    >>> round(z_value(0.95), 6)
    1.959964
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return _NORMAL.inv_cdf(0.5 + confidence / 2)


def proportion_interval(
    k: int, n: int, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """The Wilson score interval of the rate ``k / n``; None when ``n`` is 0.

    >>> [round(x, 4) for x in proportion_interval(81, 263)]
    [0.2553, 0.3662]
    >>> proportion_interval(0, 10)[0]
    0.0
    """
    if n <= 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"{k} successes of {n} trials")
    z = z_value(confidence)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # at k = 0 or k = n the bound is exactly 0 or 1; rounding must not leave the range
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def difference_interval(
    k1: int, n1: int, k2: int, n2: int, confidence: float = CONFIDENCE
) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval of ``k1/n1 - k2/n2``; None when a group is empty.

    >>> [round(x, 4) for x in difference_interval(56, 70, 48, 80)]
    [0.0524, 0.3339]
    """
    first, second = proportion_interval(k1, n1, confidence), proportion_interval(k2, n2, confidence)
    if first is None or second is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = first, second
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return max(-1.0, low), min(1.0, high)


@dataclass(frozen=True)
class ZTest:
    """The pooled two-proportion z statistic and its two-sided p-value."""

    z: float
    p_value: float


def z_test(k1: int, n1: int, k2: int, n2: int) -> ZTest:
    """The pooled two-proportion z-test of ``k1/n1 == k2/n2``, two-sided. With no spread
    (both rates 0, or both 1) there is no evidence of a difference: z 0, p-value 1.

    >>> test = z_test(30, 100, 15, 100)
    >>> round(test.z, 4), round(test.p_value, 4)
    (2.54, 0.0111)
    >>> z_test(0, 50, 0, 40)
    ZTest(z=0.0, p_value=1.0)
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both groups need at least one customer")
    pooled = (k1 + k2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return ZTest(0.0, 1.0)
    z = (k1 / n1 - k2 / n2) / spread
    return ZTest(z, math.erfc(abs(z) / math.sqrt(2)))
