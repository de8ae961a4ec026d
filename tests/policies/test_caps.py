"""Frequency caps: the campaign's own and the global one."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from winlang.policies.caps import CapLimit, History, cap_reasons, recent_counts

NOW = datetime(2026, 3, 10, 12, 0)
HISTORY = History(
    customer_ids=np.array(["1", "1", "2", "3", "3", "3"]),
    campaigns=np.array(["ladder", "other", "ladder", "other", "other", "ladder"]),
    sent_at=np.array(
        [
            "2026-03-03T12:00",  # exactly 7 days before now: inside `within 7 days`
            "2026-03-09",
            "2026-03-03T11:59",  # just outside
            "2026-03-08",
            "2026-03-09",
            "2026-03-11",  # after now: ignored
        ],
        dtype="datetime64[s]",
    ),
)
WEEK = CapLimit(1, 7 * 86_400)


def test_counts_within_the_window():
    ids = ["1", "2", "3", "4"]
    assert recent_counts(ids, HISTORY, NOW, WEEK.seconds, "ladder").tolist() == [1, 0, 0, 0]
    assert recent_counts(ids, HISTORY, NOW, WEEK.seconds).tolist() == [2, 0, 2, 0]


def test_campaign_cap_then_global_cap():
    reasons = cap_reasons(
        ["1", "2", "3", "4"], HISTORY, NOW, "ladder", WEEK, CapLimit(2, 7 * 86_400)
    )
    assert reasons.tolist() == ["cap", "", "global_cap", ""]


def test_no_caps_no_reasons():
    assert cap_reasons(["1"], HISTORY, NOW, "ladder", None, None).tolist() == [""]


def test_global_cap_from_config_days():
    assert CapLimit.per_days((3, 7)) == CapLimit(3, 604_800)
    assert CapLimit.per_days(None) is None


def test_int_ids_match_text_history():
    assert recent_counts(np.array([1, 3]), HISTORY, NOW, WEEK.seconds).tolist() == [2, 2]
