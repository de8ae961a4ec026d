"""Clock values of a test file: instants, durations and ``N days ago``.

Durations have the language's fixed units (a month is 30 days, a year 365). An instant is a
TOML date-time or date, or an ISO-8601 text; either way UTC unless it says otherwise. ``"30
days ago"`` counts back from a given clock (the test's start for customers, the step's clock
for the step's events), so a customer can sit exactly at a threshold without arithmetic.

>>> from datetime import UTC, datetime
>>> start = datetime(2026, 11, 1, 10, tzinfo=UTC)
>>> instant("30 days ago", start).isoformat()
'2026-10-02T10:00:00+00:00'
>>> duration("1.5 days")
datetime.timedelta(days=1, seconds=43200)
>>> instant(datetime(2026, 1, 2), start).isoformat()
'2026-01-02T00:00:00+00:00'
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from ..ast import SECONDS_PER_UNIT
from ..times import parse_instant

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(minute|hour|day|week|month|year)s?\s*$")
_AGO = re.compile(r"^(.*?)\s+ago\s*$")
UNITS = "minutes, hours, days, weeks, months or years"


class TimeError(ValueError):
    """A duration or instant that can't be read; the message says what was expected."""


def duration(text: object) -> timedelta:
    if isinstance(text, str) and (found := _DURATION.match(text)):
        return timedelta(seconds=float(found[1]) * SECONDS_PER_UNIT[found[2]])
    raise TimeError(f'`{text}` is not a duration; write a number and a unit, e.g. "31 days"')


def instant(value: object, clock: datetime | None) -> datetime:
    """``value`` as an aware UTC datetime; ``N <unit> ago`` needs ``clock``."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if isinstance(value, time):
        raise TimeError(f"`{value}` is a time of day; write a date and time")
    if isinstance(value, str):
        if found := _AGO.match(value):
            if clock is None:
                raise TimeError(f"`{value}`: there is no clock yet to count back from")
            return clock - duration(found[1])
        try:
            return parse_instant(value.strip())
        except ValueError:
            pass
    raise TimeError(
        f'`{value}` is not a time; write an ISO-8601 time such as "2026-11-01T10:00:00Z", '
        'a date, or "30 days ago"'
    )


def show(moment: datetime) -> str:
    """An instant as the test file would write it: ``2026-11-01T10:00:00Z``."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"
