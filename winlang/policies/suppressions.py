"""Who is suppressed on which channel as of a run's ``now``, and where each suppression
comes from.

A customer is suppressed on a channel (or on every channel, :data:`ALL`) by any of:

- an event of the store's own events table, at or before ``now``, that suppresses (below);
- such an event stored by ``winlang ingest`` in the state's ``ingested_events``;
- a row of the state's ``suppressions`` table at or before ``now``: written by a rule's
  ``unsubscribe`` action, and by ``winlang ingest`` for the events it stores.

An event suppresses when its type is ``unsubscribe``, ``complaint`` (a spam report) or
``hard_bounce``, or when it is a ``bounce`` whose bounce type column (``bounce_type``, mapped in
``[store.columns]``) says hard: ``hard``, ``permanent`` or ``HardBounce``, in any case, with or
without ``_``, ``-`` or spaces (Postmark's ``Type``, Amazon SES's ``bounceType``, Mailgun's
``severity``). A soft bounce suppresses nothing. The event's ``channel`` is the channel
suppressed; an event without one (null or blank) suppresses every channel. Events after
``now`` do not count, so a run with ``--now`` in the past sees exactly what it saw then.

:func:`suppressing_rows` is the one place that says which events suppress; the run
(:func:`suppression_pairs`), ``winlang ingest`` and ``winlang explain``
(:func:`customer_suppressions`) all read events through it, and
:func:`winlang.policies.contact.suppressed` decides per channel from what they found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..backends.numpy.columns import micros
from ..backends.numpy.events import EventBatch
from ..contracts.errors import DataError
from ..contracts.source import Layout, Source
from ..sources.ingested import WithIngested
from .contact import ALL, Suppressions
from .hashing import id_texts

UNSUBSCRIBE = "unsubscribe"
COMPLAINT = "complaint"
HARD_BOUNCE = "hard_bounce"
BOUNCE = "bounce"
# Types that always suppress, then the one that does when its bounce type says hard.
ALWAYS_SUPPRESSING = (UNSUBSCRIBE, COMPLAINT, HARD_BOUNCE)
SUPPRESSING_TYPES = (*ALWAYS_SUPPRESSING, BOUNCE)
# A bounce type, lowercased without spaces, `_` and `-`, that makes a bounce hard.
HARD_BOUNCE_TYPES = ("hard", "hardbounce", "permanent")

STORE = "store"  # the store's events table
INGESTED = "ingested"  # events stored by `winlang ingest`
ACTION = "action"  # a rule's `unsubscribe` action, in the state


@dataclass(frozen=True, slots=True)
class Suppression:
    """One reason a customer is suppressed on ``channel`` (:data:`ALL`: every channel)."""

    customer_id: str
    channel: str
    at: datetime  # naive UTC
    origin: str  # STORE, INGESTED or ACTION
    event: str  # the event type (``bounce`` for a hard one), or ``unsubscribe`` for an action
    campaign: str | None = None

    def describe(self, events_table: str = "events") -> str:
        """In words, for ``winlang explain``."""
        where = "every channel" if self.channel == ALL else self.channel
        at = self.at.isoformat(sep=" ", timespec="seconds")
        event = "hard bounce" if self.event == BOUNCE else self.event
        if self.origin == STORE:
            whence = f"{event} event in the store's `{events_table}` table"
        elif self.origin == INGESTED:
            whence = f"{event} event ingested with `winlang ingest`"
        else:
            whence = f"unsubscribe action of campaign {self.campaign or '?'}"
        return f"{where}: {whence} at {at}"

    def as_json(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "at": self.at.isoformat(timespec="seconds") + "Z",
            "origin": self.origin,
            "event": self.event,
            "campaign": self.campaign,
        }


# ---- which events suppress ---------------------------------------------------------------------


def suppressing_rows(batch: EventBatch) -> np.ndarray:
    """Where the events of ``batch`` suppress, at or before the batch's now."""
    layout = batch.layout
    keep = np.zeros(batch.size, bool)
    for kind in ALWAYS_SUPPRESSING:
        keep |= _mask(batch.equals(layout.type, kind), batch.size)
    bounces = _mask(batch.equals(layout.type, BOUNCE), batch.size)
    if bounces.any() and layout.bounce_type in batch.record.schema.names:
        keep |= bounces & is_hard_bounce(batch.column(layout.bounce_type))
    return keep & _mask(batch.until_now(), batch.size)


def suppressing_mask(record: pa.RecordBatch, layout: Layout, now: datetime) -> np.ndarray:
    """:func:`suppressing_rows` of a plain record batch in ``layout``'s names."""
    return suppressing_rows(EventBatch(record, layout, micros(now)))


def is_hard_bounce(bounce_types: pa.Array) -> np.ndarray:
    """Where a bounce type says the bounce is hard (null: not).

    >>> is_hard_bounce(pa.array(["HardBounce", "Permanent", "soft", "hard-bounce", None])).tolist()
    [True, True, False, True, False]
    """
    if pa.types.is_null(bounce_types.type):
        return np.zeros(len(bounce_types), bool)
    if pa.types.is_dictionary(bounce_types.type):
        bounce_types = bounce_types.dictionary_decode()
    plain = pc.replace_substring_regex(
        pc.utf8_lower(bounce_types.cast(pa.string())), r"[\s_-]+", ""
    )
    found = pc.is_in(plain, value_set=pa.array(HARD_BOUNCE_TYPES, pa.string()))
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _mask(rows: np.ndarray | None, size: int) -> np.ndarray:
    return np.ones(size, bool) if rows is None else rows


# ---- reading them --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """Suppressing events of one batch: customer ids as text, channels (:data:`ALL` for
    none), types and times (µs since the epoch, UTC)."""

    ids: np.ndarray
    channels: np.ndarray
    types: np.ndarray
    times: np.ndarray


def suppressing_events(
    batches: Iterable[pa.RecordBatch], layout: Layout, now: datetime
) -> Iterator[Found]:
    """The suppressing events of ``batches`` (event batches in ``layout``'s names)."""
    now_us = micros(now)
    for record in batches:
        if record.num_rows == 0:
            continue
        batch = EventBatch(record, layout, now_us)
        rows = np.flatnonzero(suppressing_rows(batch))
        if rows.size == 0:
            continue
        ids = batch.customer_ids(rows)
        ids = ids.to_numpy(zero_copy_only=False) if isinstance(ids, pa.Array) else ids
        yield Found(
            id_texts(ids),
            _channels(record, layout.channel, rows),
            batch.column(layout.type).take(pa.array(rows)).cast(pa.string()).to_numpy(False),
            batch.times.values[rows],
        )


def _channels(record: pa.RecordBatch, name: str, rows: np.ndarray) -> np.ndarray:
    """The channel of each row; :data:`ALL` where it is null or blank (or there is no channel
    column)."""
    if name not in record.schema.names:
        return np.full(rows.size, ALL, dtype=object)
    column = record.column(record.schema.get_field_index(name)).take(pa.array(rows))
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    blank = pc.or_kleene(pc.is_null(text), pc.equal(text, ""))
    return np.asarray(pc.if_else(blank, ALL, text).to_numpy(zero_copy_only=False), dtype=object)


def _event_sources(source: Source, now: datetime) -> Iterator[tuple[str, Iterable[pa.RecordBatch]]]:
    """The store's suppressing events and the ingested ones, each with its origin."""
    store = source.store if isinstance(source, WithIngested) else source
    layout = source.layout
    known = store.schema().events
    if known:  # a store without an events table has no events to read
        columns = _optional_columns(layout, known)
        yield STORE, store.event_batches(SUPPRESSING_TYPES, columns, None, now)
    if isinstance(source, WithIngested):
        ingested = source.ingested_events(SUPPRESSING_TYPES, [layout.channel], None, now)
        yield INGESTED, ingested.to_batches()


def _optional_columns(layout: Layout, known: Iterable[str]) -> list[str]:
    """The channel and bounce type columns the events table has. Without them every event is
    for every channel and no bounce is hard; but a column the user mapped to another name
    in ``[store.columns]`` must be there, or suppressions would be lost without a word."""
    default = Layout()
    found = []
    for key in ("channel", "bounce_type"):
        name = getattr(layout, key)
        if name in known:
            found.append(name)
        elif name != getattr(default, key):
            raise DataError(
                f"the events table `{layout.events}` has no column `{name}` "
                f"(`{key}` in [store.columns])"
            )
    return found


def _state_rows(
    state, now: datetime, customer: str | None = None, campaign: str | None = None
) -> list[tuple]:
    """(customer, channel, at, campaign) of the state's suppressions at or before now; with
    ``campaign``, without its own ``unsubscribe`` actions at ``now``: the work of its run at
    that clock, not its history (:func:`winlang.state.not_own_work`)."""
    if state is None:
        return []
    rows = state.suppressions(now, customer, campaign)
    return [(r.customer_id, r.channel, r.at, r.campaign) for r in rows]


def suppression_pairs(
    source: Source,
    state,
    now: datetime,
    ids: np.ndarray | None = None,
    campaign: str | None = None,
) -> Suppressions:
    """(customer id as text, channel or :data:`ALL`) for every suppression at ``now``, from
    the store's events, the ingested ones and the state; only the customers ``ids`` when
    given (the run's matches); for a run of ``campaign``, not its own unsubscribes at
    ``now`` (an ingested event at ``now`` still counts: it is read as an event)."""
    # A set, made once: np.isin would hash every wanted id again for each event batch (DuckDB
    # hands out dozens), minutes for a run's 400k matched customers.
    wanted = None if ids is None else set(id_texts(ids).tolist())
    pairs: set[tuple[str, str]] = set()
    for _origin, batches in _event_sources(source, now):
        for found in suppressing_events(batches, source.layout, now):
            found_pairs = zip(found.ids.tolist(), found.channels.tolist(), strict=True)
            pairs.update(p for p in found_pairs if wanted is None or p[0] in wanted)
    for customer, channel, _at, _campaign in _state_rows(state, now, campaign=campaign):
        if wanted is None or customer in wanted:
            pairs.add((customer, channel))
    return frozenset(pairs)


def customer_suppressions(
    source: Source, state, customer_id: object, now: datetime
) -> list[Suppression]:
    """Every suppression of one customer at ``now`` and where it comes from, earliest first.

    A state row written by ``winlang ingest`` for an ingested event is that event, shown once
    (as ingested); the other rows are ``unsubscribe`` actions of a campaign.
    """
    customer = str(id_texts(np.array([customer_id]))[0])
    found: list[Suppression] = []
    for origin, batches in _event_sources(source, now):
        for part in suppressing_events(batches, source.layout, now):
            for i in np.flatnonzero(part.ids == customer):
                at = np.datetime64(int(part.times[i]), "us").astype(datetime)
                found.append(
                    Suppression(customer, part.channels[i], at, origin, str(part.types[i]))
                )
    ingested = {(s.channel, s.at) for s in found if s.origin == INGESTED}
    for _customer, channel, at, campaign in _state_rows(state, now, customer):
        if (channel, at) not in ingested:
            found.append(Suppression(customer, channel, at, ACTION, UNSUBSCRIBE, campaign))
    return sorted(found, key=lambda s: (s.at, s.channel, s.origin))
