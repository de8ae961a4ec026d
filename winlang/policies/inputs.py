"""What the contact policies read and what they decide, per planned customer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ..plan.delivery import RuleDelivery
from .caps import CapLimit, History
from .contact import ChannelContact, Suppressions
from .quiet import TimeOfDay
from .reasons import Status


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """``quiet hours 21:00 to 09:00``."""

    start: TimeOfDay
    end: TimeOfDay


@dataclass(frozen=True, eq=False)
class PolicyInputs:
    """Everything the policies read; the per-customer arrays are aligned by position.

    ``rules`` are the delivery plan's (:mod:`winlang.plan.delivery`), which ``rule_index``
    points into; ``zones`` the customers' IANA zone names (None: no zone column);
    ``timezone`` the campaign's zone, else the config's ``defaults.timezone``.
    """

    campaign: str
    now: datetime
    rules: tuple[RuleDelivery, ...]
    customer_ids: np.ndarray
    rule_index: np.ndarray
    contacts: Mapping[str, ChannelContact]
    zones: np.ndarray | None = None
    suppressions: Suppressions = frozenset()
    history: History = field(default_factory=History.empty)
    holdout_percent: float = 0.0
    cap: CapLimit | None = None
    global_cap: CapLimit | None = None
    quiet: QuietWindow | None = None
    timezone: str | None = None


@dataclass(frozen=True, eq=False)
class PolicyOutcome:
    """Per planned customer (aligned with the inputs) and the counts for the run summary."""

    status: np.ndarray  # Status values
    reason: np.ndarray  # Reason values, "" for send
    channel: np.ndarray  # chosen channel after failover, None when no message
    template: np.ndarray
    step: np.ndarray  # position in the send chain, -1 when none
    variant: np.ndarray  # arm of a split rule, -1 otherwise (and for held-out customers)
    deferred_until: np.ndarray  # datetime64[us] UTC, NaT unless deferred
    invalid_zones: tuple[str, ...]  # customer zone names that were not IANA zones
    invalid_zone_customers: int = 0  # customers whose zone was one of them
    # Per channel of the send chains, where it can be used (consent, a valid address, no
    # suppression) for the customers the contact step checked (False for the others: held
    # out, or a rule without `send`): the planner's failover reads it, not a second pass.
    usable: Mapping[str, np.ndarray] = field(default_factory=dict)

    def summary(self, rows: np.ndarray | None = None) -> dict[str, object]:
        """Counts for the run summary: ``sent`` (messages), ``actions_only``, ``held_out``,
        ``skipped`` by reason (deferred customers count as ``quiet_hours``) and ``channels``;
        with ``rows`` (a mask), of those customers only (a rule's, say): only the columns
        counted are selected."""
        # Object arrays compared with each status directly: no text copy of every row.
        status, reason, channel = self.status, self.reason, self.channel
        if rows is not None:
            status, reason, channel = status[rows], reason[rows], channel[rows]
        message = channel != None  # noqa: E711 (element-wise)
        is_send = status == Status.SEND.value
        sent = is_send & message
        skipped = (status == Status.SKIPPED.value) | (status == Status.DEFERRED.value)
        return {
            "sent": int(sent.sum()),
            "actions_only": int((is_send & ~message).sum()),
            "held_out": int((status == Status.HELD_OUT.value).sum()),
            "skipped": _counts(reason[skipped]),
            "channels": _counts(channel[sent]),
        }


def _counts(values: np.ndarray) -> dict[str, int]:
    """How often each value occurs, by its text, sorted."""
    by_text: Counter[str] = Counter()
    for value, count in Counter(values.tolist()).items():
        by_text[str(value)] += count
    return dict(sorted(by_text.items()))
