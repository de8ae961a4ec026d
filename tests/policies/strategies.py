"""Hypothesis strategies shared by the policy tests: instants around the 2026 DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import strategies as st

# 2026 transitions: US spring forward / fall back, EU spring forward / fall back (UTC).
TRANSITIONS_2026 = (
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 4, 5, 15, 0, tzinfo=UTC),  # Australia/Lord_Howe: a 30-minute change
)
DST_ZONES = (
    "America/New_York",
    "Europe/Bucharest",
    "America/Los_Angeles",
    "Australia/Lord_Howe",
    "Asia/Seoul",  # no DST
    "Asia/Kathmandu",  # +05:45
    "UTC",
)
BAD_ZONES = ("Mars/Base", "", "america/new_york", "America", "../etc")


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """A UTC instant within 36 hours of a 2026 transition, to the second."""
    base = draw(st.sampled_from(TRANSITIONS_2026))
    return base + timedelta(seconds=draw(st.integers(-36 * 3600, 36 * 3600)))


times_of_day = st.builds(time, st.integers(0, 23), st.sampled_from([0, 0, 15, 30, 45, 59]))


@st.composite
def windows(draw: st.DrawFn) -> tuple[time, time]:
    start = draw(times_of_day)
    end = draw(times_of_day.filter(lambda t: t != start))
    return start, end


zone_values = st.one_of(st.sampled_from(DST_ZONES), st.sampled_from(BAD_ZONES), st.none())
