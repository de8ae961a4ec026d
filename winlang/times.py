"""Time values read one way everywhere: ISO-8601 text, and the stores' naive-UTC convention.

A time written by a user (``--now``, a time literal in a campaign, a campaign test's clock)
is ISO-8601 text, a date or a date and time, in UTC unless it names an offset
(:func:`parse_instant`). Stores and winlang's state hold naive UTC times (:func:`naive_utc`);
a database may hand them back as ISO text (:func:`stored_time`).
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC time; a naive one is taken as UTC.

    >>> as_utc(datetime(2026, 1, 31, 10)).isoformat()
    '2026-01-31T10:00:00+00:00'
    """
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """``"2026-01-31"`` or a full ISO-8601 time (``Z`` or an offset; UTC without one), as an
    aware UTC time. Raises ``ValueError`` for anything else.

    >>> parse_instant("2026-11-22T12:00:00+02:00").isoformat()
    '2026-11-22T10:00:00+00:00'
    >>> parse_instant("2026-01-31").isoformat(), parse_instant("2026-01-31T10:00Z").hour
    ('2026-01-31T00:00:00+00:00', 10)
    """
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def naive_utc(moment: datetime) -> datetime:
    """Stores hold naive UTC times; an aware time is converted, a naive one taken as UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def stored_time(value: object) -> datetime | None:
    """A time as a database handed it out (a datetime, or ISO text from SQLite) as naive
    UTC; None when it is not one (a hand-edited row, say).

    >>> stored_time("2026-11-22 10:00:00.000000"), stored_time("soon")
    (datetime.datetime(2026, 11, 22, 10, 0), None)
    """
    if isinstance(value, datetime):
        return naive_utc(value)
    try:
        return naive_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return None
