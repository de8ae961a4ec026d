"""Cron expressions of ``[schedule]``, read the way crontab reads them, timed by APScheduler.

APScheduler 3 numbers weekdays from Monday (0) while crontab numbers them from Sunday (0 or
7), so ``0 9 * * 1`` would run on Tuesdays; the weekday field is turned into names first.
APScheduler is the optional ``schedule`` extra, imported only here and only when needed.
"""

from __future__ import annotations

from datetime import UTC, datetime

DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class CronError(ValueError):
    """A cron expression that can't be read; the message says why."""


def weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler day names.

    >>> weekdays("1-5"), weekdays("0,7"), weekdays("*/2"), weekdays("*"), weekdays("sat-sun")
    ('mon,tue,wed,thu,fri', 'sun', 'sun,tue,thu,sat', '*', 'sun,sat')
    """
    if field == "*":
        return field
    days: list[int] = []
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, 1, 7) if step_text else 1
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            start, _, end = base.partition("-")
            first, last = _day(start), _day(end)
            if last < first:  # sat-sun: through the week's end
                last += 7
        else:
            first = _day(base)
            last = 6 if step_text else first
        days += [d % 7 for d in range(first, last + 1, step)]
    return ",".join(DAYS[d] for d in sorted(set(days)))


def _day(text: str) -> int:
    if text in DAYS:
        return DAYS.index(text)
    return _number(text, 0, 7) % 7


def _number(text: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise CronError(f"`{text}` is not a weekday (0-7 or sun-sat)")
    return int(text)


def trigger(cron: str, timezone: str = "UTC"):
    """The APScheduler trigger of a five-field crontab expression read in ``timezone`` (an
    IANA name); :class:`CronError` when the expression can't be read, :class:`ImportError`
    without APScheduler."""
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger

    fields = cron.split()
    if len(fields) != 5:
        raise CronError(f"it has {len(fields)} field{'s' if len(fields) != 1 else ''}, not 5")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekdays(weekday),
            timezone=ZoneInfo(timezone),
        )
    except (ValueError, TypeError) as error:
        raise CronError(str(error).rstrip(".")) from None


def next_time(cron_trigger, after: datetime, previous: datetime | None = None) -> datetime | None:
    """The first time at or after ``after`` the trigger fires (aware UTC), None if never.

    >>> next_time(trigger("0 9 * * 1"), datetime(2026, 11, 22, tzinfo=UTC)).isoformat()
    '2026-11-23T09:00:00+00:00'
    >>> bucharest = trigger("0 9 * * *", "Europe/Bucharest")  # UTC+2 in winter, +3 in summer
    >>> [next_time(bucharest, datetime(2026, m, 1, tzinfo=UTC)).hour for m in (1, 7)]
    [7, 6]
    """
    found = cron_trigger.get_next_fire_time(previous, after)
    return found.astimezone(UTC) if found is not None else None
