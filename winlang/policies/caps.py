"""Frequency caps: the campaign's ``cap N per D`` and the config's global cap.

A customer is capped when the messages they were already sent inside the window
``now - D <= sent_at <= now`` (the language's ``within``) number at least ``N``: the campaign's
own messages for ``cap``, every campaign's messages for ``global_cap``. The history is what the
ledger holds as sent or being sent; the caller passes it in as arrays.

>>> import numpy as np
>>> from datetime import datetime
>>> h = History(customer_ids=np.array(["1", "1", "2"]), campaigns=np.array(["a", "b", "a"]),
...             sent_at=np.array(["2026-03-01", "2026-03-05", "2026-01-01"], dtype="datetime64[s]"))
>>> capped(["1", "2"], h, datetime(2026, 3, 6), CapLimit(1, 7 * 86_400), campaign="a").tolist()
[True, False]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from .hashing import id_texts
from .reasons import Reason

DAY = 86_400


@dataclass(frozen=True, slots=True)
class CapLimit:
    """At most ``messages`` within ``seconds`` (``cap 1 per 7 days`` is ``CapLimit(1, 604800)``)."""

    messages: float
    seconds: float

    @classmethod
    def per_days(cls, limit: tuple[int, int] | None) -> CapLimit | None:
        """From the config's ``limits.global_cap = [messages, days]``.

        >>> CapLimit.per_days((3, 7))
        CapLimit(messages=3, seconds=604800)
        """
        return None if limit is None else cls(limit[0], limit[1] * DAY)


@dataclass(frozen=True, slots=True)
class History:
    """Messages already sent: one row per message, as the ledger holds them (UTC times)."""

    customer_ids: np.ndarray
    campaigns: np.ndarray
    sent_at: np.ndarray  # datetime64

    @classmethod
    def empty(cls) -> History:
        return cls(np.empty(0, str), np.empty(0, str), np.empty(0, "datetime64[s]"))


def _instant(now: datetime) -> np.datetime64:
    utc = now if now.tzinfo is None else now.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(utc, "us")


def recent_counts(
    customer_ids: Sequence[object] | np.ndarray,
    history: History,
    now: datetime,
    seconds: float,
    campaign: str | None = None,
) -> np.ndarray:
    """How many messages each customer got within ``seconds`` before ``now`` (of ``campaign``
    only, when given).

    >>> h = History(np.array(["1", "1"]), np.array(["a", "a"]),
    ...             np.array(["2026-03-01", "2026-03-05"], dtype="datetime64[s]"))
    >>> recent_counts(["1", "9"], h, datetime(2026, 3, 6), 30 * 86_400).tolist()
    [2, 0]
    """
    texts = id_texts(customer_ids)
    at = _instant(now)
    times = history.sent_at.astype("datetime64[us]")
    keep = (times >= at - np.timedelta64(int(seconds * 1e6), "us")) & (times <= at)
    if campaign is not None:
        keep &= history.campaigns.astype(str) == campaign
    sent_to, counts = np.unique(id_texts(history.customer_ids)[keep], return_counts=True)
    if sent_to.size == 0 or texts.size == 0:
        return np.zeros(texts.size, dtype=np.int64)
    # Look each planned customer up among the sorted ids of the history.
    where = np.clip(np.searchsorted(sent_to, texts), 0, sent_to.size - 1)
    return np.where(sent_to[where] == texts, counts[where], 0)


def capped(
    customer_ids: Sequence[object] | np.ndarray,
    history: History,
    now: datetime,
    limit: CapLimit,
    campaign: str | None = None,
) -> np.ndarray:
    """True where the customer already has ``limit.messages`` messages in the window."""
    return recent_counts(customer_ids, history, now, limit.seconds, campaign) >= limit.messages


def cap_reasons(
    customer_ids: Sequence[object] | np.ndarray,
    history: History,
    now: datetime,
    campaign: str,
    cap: CapLimit | None,
    global_cap: CapLimit | None,
) -> np.ndarray:
    """Per customer ``cap``, ``global_cap`` or ``""`` (the campaign's cap is checked first).

    >>> now = datetime(2026, 3, 6)
    >>> cap_reasons(["1"], History.empty(), now, "a", CapLimit(1, 1), None).tolist()
    ['']
    """
    reasons = np.full(len(id_texts(customer_ids)), "", dtype=object)
    if global_cap is not None:
        reasons[capped(customer_ids, history, now, global_cap)] = Reason.GLOBAL_CAP.value
    if cap is not None:
        reasons[capped(customer_ids, history, now, cap, campaign)] = Reason.CAP.value
    return reasons
