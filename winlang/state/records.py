"""The typed rows the state store takes and hands back: frozen dataclasses, no SQL.

Callers above the state (delivery, policies, report, ingest, the scheduler) speak these; only
``winlang.state`` knows the tables they are stored in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

ALL_CHANNELS = "*"  # a suppression of every channel


@dataclass(frozen=True, slots=True)
class ListChange:
    """A list or unsubscribe action of a firing: ``op`` is ``add`` or ``remove`` (``name``: the
    list) or ``unsubscribe`` (``name``: the channel, ``*`` for every channel)."""

    op: str
    name: str


@dataclass(frozen=True, slots=True)
class PlannedRow:
    """One firing of a rule for a customer as the ledger records it (``status``: planned,
    deferred, held_out or done). ``payload`` is the JSON of the messages of its send chain;
    ``channel`` ... ``step`` describe its first message (None without one)."""

    key: str
    rule: str
    customer_id: str
    occurrence: int
    status: str
    variant: str | None = None
    channel: str | None = None
    template: str | None = None
    address: str | None = None
    parts: int | None = None
    step: int | None = None
    payload: str | None = None
    due_at: datetime | None = None  # deferred: when quiet hours end (naive UTC)
    actions: tuple[ListChange, ...] = ()


@dataclass(frozen=True, slots=True)
class SkipRow:
    """A customer a run skipped for a rule, and why."""

    rule: str
    customer_id: str
    reason: str
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """A planned message a run now holds, as stored (the payload not parsed yet)."""

    id: int
    key: str
    rule: str
    customer_id: str
    step: object  # as stored: the reader checks it is a whole number
    attempts: object
    payload: object
    planned_by: int
    channel: str | None


@dataclass(frozen=True, slots=True)
class RowUpdate:
    """What a send result does to a message row: column name -> new value."""

    id: int
    values: dict[str, object]


@dataclass(frozen=True, slots=True)
class DeferredRow:
    """A firing an earlier run deferred: its occurrence, row id and the run that wrote it."""

    occurrence: int
    id: int
    run_id: int


@dataclass(frozen=True, slots=True)
class SentHistory:
    """Messages sent in a time window, aligned arrays: customer (text), campaign, when."""

    customer_ids: np.ndarray
    campaigns: np.ndarray
    sent_at: np.ndarray  # datetime64[us], naive UTC

    def __len__(self) -> int:
        return len(self.customer_ids)


@dataclass(frozen=True, slots=True)
class SuppressionRow:
    """A suppression recorded in the state (an ``unsubscribe`` action or an ingested event)."""

    customer_id: str
    channel: str  # ``*``: every channel
    at: datetime
    campaign: str | None


@dataclass(frozen=True, slots=True)
class FiringRecord:
    """One row of the ledger's ``messages`` table as the report reads it (times naive UTC)."""

    rule: str
    customer_id: str
    status: str  # planned sent failed held_out done
    planned_at: datetime
    sent_at: datetime | None = None
    channel: str | None = None
    template: str | None = None
    variant: str | None = None
    parts: int | None = None  # SMS parts of the message sent (None on other channels)


@dataclass(frozen=True, slots=True)
class CustomerMessage:
    """A message of the ledger to one customer, as the dashboard lists it."""

    campaign: str
    rule: str
    channel: str | None
    template: str | None
    variant: str | None
    status: str
    planned_at: datetime
    sent_at: datetime | None
    parts: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class RunMessage:
    """A message row of one run, as the campaign tests observe it."""

    customer_id: str
    rule: str
    status: str
    key: str
    channel: str | None
    template: str | None
    variant: str | None
    error: str | None
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunSkip:
    """A skip of one run, as the campaign tests observe it."""

    customer_id: str
    rule: str
    reason: str
    until: datetime | None
