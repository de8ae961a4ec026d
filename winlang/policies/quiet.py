"""Quiet hours in each customer's own time zone.

A customer is in quiet hours when the wall clock of their zone, read at the run's ``now``,
shows a time inside the window: ``start <= t < end``, or, for a window crossing midnight
(``21:00 to 09:00``), ``t >= start or t < end``. The start is inside the window, the end is not.

Daylight saving time needs no special case for that test, because one instant shows exactly one
wall-clock time; it matters for *when the window ends* (:func:`next_allowed`):

- a wall time that does not exist (spring forward, 02:30 on 2026-03-08 in New York): the
  window ends at the jump, the first instant whose wall time is past the end;
- a wall time that happens twice (fall back, 01:30 on 2026-11-01 in New York): the window ends
  the first time the clock shows it; if the clock then falls back into the window, the
  customer is in quiet hours again, as on any night the clock shows that time.

Every customer of one zone gets the same answer for one ``now``, so the work is done once per
distinct zone (a few hundred at most) and spread to the customers with an index.

>>> from datetime import datetime, time, UTC
>>> in_quiet_hours(datetime(2026, 1, 5, 3, 0, tzinfo=UTC), ["Asia/Seoul", None],
...                time(21), time(9), "Europe/Bucharest").tolist()
[False, True]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_ZONE = "UTC"  # when neither the customer, the campaign nor the config names a zone
_SCAN = timedelta(hours=60)  # a window lasts at most 25 hours: look this far for its end


class TimeOfDay(Protocol):
    """Anything with ``hour`` and ``minute``: an AST ``TimeOfDay`` or a ``datetime.time``."""

    @property
    def hour(self) -> int: ...

    @property
    def minute(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ZoneResolution:
    """The zone each customer's clock is read in, and the names that could not be used.

    ``zones`` holds valid IANA names and ``index`` each customer's position among them;
    ``invalid`` the distinct names that were not valid (reported by the run, then replaced by
    ``fallback``), and ``invalid_customers`` how many customers had one of them. Every
    customer of one zone gets the same answer, so the policies work per zone and spread the
    answers with ``index``.
    """

    zones: np.ndarray
    index: np.ndarray
    invalid: tuple[str, ...]
    fallback: str
    invalid_customers: int = 0

    @property
    def names(self) -> np.ndarray:
        """A valid IANA name for every customer."""
        return self.zones[self.index]


@lru_cache(maxsize=4096)
def zone(name: str) -> ZoneInfo | None:
    """The zone called ``name``, or None when no such zone exists.

    >>> zone("Europe/Bucharest").key, zone("Mars/Olympus_Mons")
    ('Europe/Bucharest', None)
    """
    try:
        return ZoneInfo(name)
    # OSError: a name that is a folder of the zone database, such as "America"
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        return None


def _is_null(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def resolve_zones(
    zones: Sequence[object] | np.ndarray | pa.Array | None, fallback: str | None
) -> ZoneResolution:
    """Each customer's zone: their own when valid, else ``fallback`` (the campaign's or the
    config's zone), else UTC. Null and blank names fall back quietly; unknown ones are reported.

    >>> r = resolve_zones(["Asia/Seoul", None, "Asia/Soul"], "Europe/Bucharest")
    >>> r.names.tolist(), r.invalid, r.invalid_customers
    (['Asia/Seoul', 'Europe/Bucharest', 'Europe/Bucharest'], ('Asia/Soul',), 1)
    """
    invalid: set[str] = set()
    if fallback is None or _is_null(fallback):
        fallback = DEFAULT_ZONE
    elif zone(fallback) is None:
        invalid.add(fallback)
        fallback = DEFAULT_ZONE
    if zones is None:
        empty = np.empty(0, dtype=object)
        return ZoneResolution(empty, np.empty(0, dtype=np.int64), tuple(sorted(invalid)), fallback)
    coded = _codes(zones)
    if coded is None:  # not all texts: compare value by value
        raw = (
            np.array(zones.to_pylist(), dtype=object)
            if isinstance(zones, pa.Array | pa.ChunkedArray)
            else np.asarray(zones, dtype=object)
        )
        names = np.full(raw.shape, fallback, dtype=object)
        distinct = {v for v in raw.tolist() if not _is_null(v)}
        customers = 0
        for name in distinct:  # few distinct names even among millions of customers
            if isinstance(name, str) and zone(name) is not None:
                names[raw == name] = name
            else:
                invalid.add(str(name))
                customers += int((raw == name).sum())
        table, index = np.unique(names.astype(str), return_inverse=True)
        zones_found, found = table.astype(object), tuple(sorted(invalid))
        return ZoneResolution(zones_found, index.astype(np.int64), found, fallback, customers)
    distinct, index = coded
    table = np.full(len(distinct) + 1, fallback, dtype=object)  # the last entry: null
    unknown = np.zeros(len(distinct) + 1, dtype=bool)
    for position, name in enumerate(distinct):
        if _is_null(name):
            continue
        if zone(name) is not None:
            table[position] = name
        else:
            invalid.add(name)
            unknown[position] = True
    customers = int(unknown[index].sum()) if unknown.any() else 0
    return ZoneResolution(table, index, tuple(sorted(invalid)), fallback, customers)


def _codes(values) -> tuple[list[str], np.ndarray] | None:
    """The distinct texts of ``values`` and, per row, the position of its text among them
    (``len(distinct)`` for a null or NaN); None unless every value is a text or null.

    Arrow's dictionary encoding does this in bulk, where a comparison per distinct name over
    an object array would touch every row once per zone.
    """
    if isinstance(values, pa.Array | pa.ChunkedArray):
        text = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if pa.types.is_dictionary(text.type):
            text = text.dictionary_decode()
    else:
        values = np.asarray(values, dtype=object)
        if values.ndim != 1:
            return None
        try:
            text = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
    if pa.types.is_null(text.type):
        return [], np.zeros(len(text), dtype=np.int64)
    if not pa.types.is_string(text.type):
        return None
    encoded = pc.dictionary_encode(text)
    distinct = encoded.dictionary.to_pylist()
    index = encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
    return distinct, index.astype(np.int64, copy=False)


def _as_time(value: TimeOfDay) -> time:
    return time(value.hour, value.minute)


def _as_utc(now: datetime) -> datetime:
    # Naive datetimes are UTC, as every timestamp of the language is.
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def window_contains(local: time, start: TimeOfDay, end: TimeOfDay) -> bool:
    """Whether the wall-clock time ``local`` is inside the window from ``start`` to ``end``.

    >>> window_contains(time(23, 30), time(21), time(9))
    True
    >>> window_contains(time(9), time(21), time(9))  # the end is outside
    False
    """
    s, e = _as_time(start), _as_time(end)
    if s == e:
        raise ValueError("quiet hours that start and end at the same time are not a window")
    return s <= local < e if s < e else (local >= s or local < e)


def quiet_at(instant: datetime, tz: tzinfo, start: TimeOfDay, end: TimeOfDay) -> bool:
    """Whether ``instant`` falls in quiet hours on the wall clock of ``tz``.

    >>> quiet_at(datetime(2026, 1, 5, 20, 0, tzinfo=UTC), zone("Asia/Seoul"), time(21), time(9))
    True
    """
    local = _as_utc(instant).astimezone(tz)
    return window_contains(local.time().replace(tzinfo=None), start, end)


def _transitions(tz: tzinfo, begin: datetime, until: datetime) -> list[datetime]:
    """The instants in [begin, until] where the zone's UTC offset changes (DST and the like)."""
    found = []
    step = timedelta(hours=1)  # no zone changes its offset twice within an hour
    at = begin
    while at < until:
        nxt = at + step
        if at.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            low, high = at, nxt  # offset(low) is the old one, offset(high) the new one
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                mid = mid.replace(microsecond=0)
                if mid.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = mid
                else:
                    high = mid
            found.append(high)
        at = nxt
    return found


def next_allowed_at(now: datetime, tz: tzinfo, start: TimeOfDay, end: TimeOfDay) -> datetime:
    """The first instant at or after ``now`` outside quiet hours on the clock of ``tz`` (UTC).

    The window can only be left where the clock reaches ``end`` (either time it shows it, on
    a fall-back night) or where the offset changes; the earliest of those candidates that is
    outside the window is the answer.

    >>> next_allowed_at(datetime(2026, 3, 8, 5, 0, tzinfo=UTC), zone("America/New_York"),
    ...                 time(22), time(2, 30)).isoformat()
    '2026-03-08T07:00:00+00:00'
    """
    now = _as_utc(now)
    if not quiet_at(now, tz, start, end):
        return now
    day = now.astimezone(tz).date()
    candidates = [
        datetime.combine(day + timedelta(days=d), _as_time(end), tzinfo=tz)
        .replace(fold=fold)
        .astimezone(UTC)
        for d in range(-1, 3)
        for fold in (0, 1)
    ]
    candidates += _transitions(tz, now, now + _SCAN)
    return min(c for c in candidates if c >= now and not quiet_at(c, tz, start, end))


def _used(zones: np.ndarray, index: np.ndarray) -> list[int]:
    """The positions in ``zones`` that some customer of ``index`` is read in."""
    return np.flatnonzero(np.bincount(index, minlength=len(zones))).tolist()


def quiet_by_zone(
    now_utc: datetime, zones: np.ndarray, index: np.ndarray, start: TimeOfDay, end: TimeOfDay
) -> np.ndarray:
    """Whether ``now_utc`` is in quiet hours for each customer whose zone is
    ``zones[index[i]]``: one answer per zone, spread with the index.

    >>> from datetime import UTC
    >>> quiet_by_zone(datetime(2026, 1, 5, 3, tzinfo=UTC), np.array(["UTC", "Asia/Seoul"]),
    ...               np.array([1, 0, 1]), time(21), time(9)).tolist()
    [False, True, False]
    """
    quiet = np.zeros(len(zones), dtype=bool)
    for at in _used(zones, index):
        quiet[at] = quiet_at(now_utc, zone(zones[at]), start, end)
    return quiet[index]


def ends_by_zone(
    now_utc: datetime, zones: np.ndarray, index: np.ndarray, start: TimeOfDay, end: TimeOfDay
) -> np.ndarray:
    """:func:`next_allowed_at` for each customer whose zone is ``zones[index[i]]``, as
    ``datetime64[us]`` (naive UTC): one answer per zone, spread with the index."""
    ends = np.full(len(zones), np.datetime64("NaT"), dtype="datetime64[us]")
    for at in _used(zones, index):
        moment = next_allowed_at(now_utc, zone(zones[at]), start, end)
        ends[at] = np.datetime64(moment.replace(tzinfo=None), "us")
    return ends[index]


def in_quiet_hours(
    now_utc: datetime,
    zones: Sequence[object] | np.ndarray | pa.Array | None,
    start: TimeOfDay,
    end: TimeOfDay,
    fallback_zone: str | None,
) -> np.ndarray:
    """For each customer, whether ``now_utc`` is inside quiet hours on their own clock.

    ``zones`` holds IANA names (null, blank or unknown ones use ``fallback_zone``; see
    :func:`resolve_zones` to learn which names were unknown).

    >>> from datetime import UTC
    >>> in_quiet_hours(datetime(2026, 7, 1, 12, tzinfo=UTC), ["America/New_York"],
    ...                time(21), time(9), None).tolist()  # 08:00 in New York
    [True]
    """
    resolved = resolve_zones(zones, fallback_zone)
    return quiet_by_zone(now_utc, resolved.zones, resolved.index, start, end)


def next_allowed(
    now_utc: datetime,
    zones: Sequence[object] | np.ndarray | pa.Array | None,
    start: TimeOfDay,
    end: TimeOfDay,
    fallback_zone: str | None,
) -> np.ndarray:
    """For each customer, the UTC instant quiet hours end on their clock (``now_utc`` itself
    when they are not in quiet hours), as ``datetime64[us]``: the time to defer a message to.

    >>> from datetime import UTC
    >>> next_allowed(datetime(2026, 1, 5, 3, 0, tzinfo=UTC), ["Europe/Bucharest"],
    ...              time(21), time(9), None).astype(str).tolist()
    ['2026-01-05T07:00:00.000000']
    """
    resolved = resolve_zones(zones, fallback_zone)
    return ends_by_zone(now_utc, resolved.zones, resolved.index, start, end)
