"""Quiet hours on each customer's wall clock, including the 2026 DST change days."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.policies.strategies import DST_ZONES, instants, windows, zone_values
from winlang.policies.quiet import (
    in_quiet_hours,
    next_allowed,
    next_allowed_at,
    quiet_at,
    resolve_zones,
    window_contains,
)

NY = ZoneInfo("America/New_York")
BUC = ZoneInfo("Europe/Bucharest")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "start", "end", "quiet"),
    [
        (time(21), time(21), time(9), True),  # the start is inside
        (time(8, 59, 59), time(21), time(9), True),
        (time(9), time(21), time(9), False),  # the end is not
        (time(0), time(21), time(9), True),
        (time(12), time(21), time(9), False),
        (time(13), time(12), time(14), True),  # a window within one day
        (time(11, 59), time(12), time(14), False),
        (time(14), time(12), time(14), False),
        (time(23, 59), time(0), time(6), False),
    ],
)
def test_window_contains(local, start, end, quiet):
    assert window_contains(local, start, end) is quiet


def test_an_empty_window_is_an_error():
    with pytest.raises(ValueError):
        window_contains(time(1), time(9), time(9))


def test_each_customer_in_their_own_zone():
    now = utc(2026, 6, 1, 13, 0)  # 09:00 New York, 16:00 Bucharest, 22:00 Seoul
    zones = ["America/New_York", "Europe/Bucharest", "Asia/Seoul"]
    assert in_quiet_hours(now, zones, time(21), time(9), None).tolist() == [False, False, True]


def test_unknown_zones_fall_back_and_are_reported():
    resolved = resolve_zones(["Asia/Seoul", "Nowhere/City", None, "", "America"], "Asia/Seoul")
    assert resolved.names.tolist() == ["Asia/Seoul"] * 5
    assert resolved.invalid == ("America", "Nowhere/City")


def test_an_unknown_fallback_falls_back_to_utc_and_is_reported():
    resolved = resolve_zones([None], "Atlantis/Capital")
    assert resolved.names.tolist() == ["UTC"] and resolved.invalid == ("Atlantis/Capital",)
    assert resolve_zones([None], None).names.tolist() == ["UTC"]


# ---- DST, spelled out ---------------------------------------------------------------------


def test_new_york_spring_forward_end_that_does_not_exist():
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00 UTC; 02:30 never happens.
    end = next_allowed_at(utc(2026, 3, 8, 5, 0), NY, time(22), time(2, 30))
    assert end == utc(2026, 3, 8, 7, 0)
    assert end.astimezone(NY).strftime("%H:%M %Z") == "03:00 EDT"


def test_new_york_fall_back_end_that_happens_twice():
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST at 06:00 UTC; 01:30 happens twice.
    start, end = time(21), time(1, 30)
    assert next_allowed_at(utc(2026, 11, 1, 4, 0), NY, start, end) == utc(2026, 11, 1, 5, 30)
    assert not quiet_at(utc(2026, 11, 1, 5, 45), NY, start, end)  # 01:45 EDT
    assert quiet_at(utc(2026, 11, 1, 6, 10), NY, start, end)  # 01:10 EST: the clock is back in
    assert next_allowed_at(utc(2026, 11, 1, 6, 10), NY, start, end) == utc(2026, 11, 1, 6, 30)


def test_fall_back_can_end_a_window_without_reaching_its_end():
    # Quiet 01:30-03:00: at 01:59 EDT the clock falls back to 01:00 EST, outside the window.
    assert next_allowed_at(utc(2026, 11, 1, 5, 45), NY, time(1, 30), time(3)) == utc(
        2026, 11, 1, 6, 0
    )


def test_bucharest_spring_forward():
    # 2026-03-29: 03:00 EET jumps to 04:00 EEST at 01:00 UTC; 03:30 never happens.
    assert next_allowed_at(utc(2026, 3, 28, 22, 0), BUC, time(21), time(3, 30)) == utc(
        2026, 3, 29, 1, 0
    )
    # An ordinary night ends at 09:00 local, which is 06:00 UTC in summer time.
    assert next_allowed_at(utc(2026, 3, 29, 2, 0), BUC, time(21), time(9)) == utc(2026, 3, 29, 6, 0)


def test_bucharest_fall_back():
    # 2026-10-25: 04:00 EEST falls back to 03:00 EET at 01:00 UTC.
    start, end = time(21), time(3, 30)
    assert next_allowed_at(utc(2026, 10, 24, 22, 0), BUC, start, end) == utc(2026, 10, 25, 0, 30)
    assert quiet_at(utc(2026, 10, 25, 1, 10), BUC, start, end)  # 03:10 EET, the second time
    assert next_allowed_at(utc(2026, 10, 25, 1, 10), BUC, start, end) == utc(2026, 10, 25, 1, 30)


def test_not_quiet_means_now():
    now = utc(2026, 6, 1, 12, 0)
    assert next_allowed(now, ["Europe/Bucharest"], time(21), time(9), None).tolist() == [
        now.replace(tzinfo=None)
    ]


def test_naive_now_is_utc():
    naive = datetime(2026, 6, 1, 20, 0)  # 23:00 in Bucharest
    assert in_quiet_hours(naive, ["Europe/Bucharest"], time(21), time(9), None).tolist() == [True]


def test_empty_input():
    assert in_quiet_hours(utc(2026, 1, 1), [], time(21), time(9), None).size == 0
    assert next_allowed(utc(2026, 1, 1), [], time(21), time(9), None).size == 0


# ---- properties ---------------------------------------------------------------------------


def _oracle(now: datetime, name: object, fallback: str, start: time, end: time) -> bool:
    """Read the clock of one customer directly, without the per-zone grouping."""
    try:
        tz = ZoneInfo(name) if isinstance(name, str) and name.strip() else ZoneInfo(fallback)
    except Exception:  # unknown names use the fallback
        tz = ZoneInfo(fallback)
    return window_contains(now.astimezone(tz).time(), start, end)


@given(instants(), st.lists(zone_values, max_size=30), windows(), st.sampled_from(DST_ZONES))
def test_quiet_matches_each_customers_own_clock(now, zones, window, fallback):
    start, end = window
    got = in_quiet_hours(now, np.array(zones, dtype=object), start, end, fallback)
    assert got.tolist() == [_oracle(now, z, fallback, start, end) for z in zones]


@given(instants(), st.sampled_from(DST_ZONES), windows())
def test_next_allowed_is_the_first_instant_outside_the_window(now, name, window):
    start, end = window
    tz = ZoneInfo(name)
    allowed = next_allowed_at(now, tz, start, end)
    assert allowed >= now
    assert not quiet_at(allowed, tz, start, end)
    if allowed > now:
        assert quiet_at(allowed - timedelta(seconds=1), tz, start, end)
        # and quiet all along: every minute from now to the end is inside the window
        at = now
        while at < allowed:
            assert quiet_at(at, tz, start, end)
            at += timedelta(minutes=1)
        # A day's free minutes can fall into a DST gap (03:15 to 03:00 in Bucharest on 29
        # March 2026 leaves none), then the next day's are the first: never two days on.
        assert allowed - now <= timedelta(hours=49)


def test_a_free_quarter_hour_lost_in_the_spring_gap_moves_to_the_next_day():
    now = datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC)  # 00:59:59 on 29 March in Bucharest
    allowed = next_allowed_at(now, ZoneInfo("Europe/Bucharest"), time(3, 15), time(3, 0))
    assert allowed == datetime(2026, 3, 30, 0, 0, tzinfo=UTC)  # 03:00 the next day
