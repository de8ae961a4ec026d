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

:data:`SUPPRESSING` is the one place that says which events suppress. :func:`suppressing_rows`
applies it to Arrow batches: for Parquet and CSV folders, for the ingested events, for
``winlang ingest`` and ``winlang explain`` (:func:`customer_suppressions`). A SQL store applies
it in its own query (``suppressing_pairs``: :class:`winlang.sources.sql.SqlSource`), restricted
to the run's matched customers, so only their suppressing (customer, channel) pairs come back;
``tests/policies/test_suppressions_sql.py`` holds the two readings equal on SQLite, DuckDB and
PostgreSQL. For a run, :func:`suppression_pairs` answers with a
:class:`~winlang.policies.contact.SuppressionMasks` (a mask per channel, aligned with the
matched customers), from which :func:`winlang.policies.contact.suppressed` decides per channel.
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
from ..contracts.source import Layout, SelectsSuppressing, Source, SuppressingEvents
from ..sources.ingested import WithIngested
from .contact import ALL, SuppressionMasks, Suppressions
from .hashing import id_texts

UNSUBSCRIBE = "unsubscribe"
COMPLAINT = "complaint"
HARD_BOUNCE = "hard_bounce"
BOUNCE = "bounce"
# Types that always suppress, then the one that does when its bounce type says hard.
ALWAYS_SUPPRESSING = (UNSUBSCRIBE, COMPLAINT, HARD_BOUNCE)
# A bounce type, lowercased without spaces, `_` and `-`, that makes a bounce hard.
HARD_BOUNCE_TYPES = ("hard", "hardbounce", "permanent")
# Which events suppress, as the Python filter below and a SQL store's query both read it. The
# characters left out of a bounce type are the blanks of RE2's `\s` (which the filter used
# to name; no vertical tab) and `_`, `-`.
SUPPRESSING = SuppressingEvents(ALWAYS_SUPPRESSING, BOUNCE, HARD_BOUNCE_TYPES, "\t\n\f\r _-")
SUPPRESSING_TYPES = SUPPRESSING.read_types  # the event types read to find them
# The same characters as an RE2 class, each written as a code point.
_IGNORED = "[" + "".join(f"\\x{{{ord(c):02x}}}" for c in SUPPRESSING.ignored) + "]+"

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
    for kind in SUPPRESSING.types:
        keep |= _mask(batch.equals(layout.type, kind), batch.size)
    bounces = _mask(batch.equals(layout.type, SUPPRESSING.bounce), batch.size)
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
    plain = pc.replace_substring_regex(pc.utf8_lower(bounce_types.cast(pa.string())), _IGNORED, "")
    found = pc.is_in(plain, value_set=pa.array(SUPPRESSING.hard_bounce_types, pa.string()))
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _mask(rows: np.ndarray | None, size: int) -> np.ndarray:
    return np.ones(size, bool) if rows is None else rows


# ---- reading them --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """Suppressing events of one batch: customer ids as the store has them (integers, or
    objects), channels (:data:`ALL` for none), types and times (µs since the epoch, UTC)."""

    customers: np.ndarray
    channels: np.ndarray
    types: np.ndarray
    times: np.ndarray

    @property
    def ids(self) -> np.ndarray:
        """The customer ids as text."""
        return id_texts(self.customers)


def suppressing_events(
    batches: Iterable[pa.RecordBatch], layout: Layout, now: datetime
) -> Iterator[Found]:
    """The suppressing events of ``batches`` (event batches in ``layout``'s names); an event
    without a customer id suppresses nobody."""
    now_us = micros(now)
    for record in batches:
        if record.num_rows == 0:
            continue
        batch = EventBatch(record, layout, now_us)
        known = _true(batch.column(layout.customer_id).is_valid())
        rows = np.flatnonzero(suppressing_rows(batch) & known)
        if rows.size == 0:
            continue
        ids = batch.customer_ids(rows)
        ids = ids.to_numpy(zero_copy_only=False) if isinstance(ids, pa.Array) else ids
        yield Found(
            ids,
            _channels(record, layout.channel, rows),
            batch.column(layout.type).take(pa.array(rows)).cast(pa.string()).to_numpy(False),
            batch.times.values[rows],
        )


def _channels(record: pa.RecordBatch, name: str, rows: np.ndarray | None = None) -> np.ndarray:
    """The channel of each row (of ``rows`` when given); :data:`ALL` where it is null or
    blank (or there is no channel column)."""
    if name not in record.schema.names:
        return np.full(record.num_rows if rows is None else rows.size, ALL, dtype=object)
    column = record.column(record.schema.get_field_index(name))
    if rows is not None:
        column = column.take(pa.array(rows))
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    blank = pc.or_kleene(pc.is_null(text), pc.equal(text, ""))
    return np.asarray(pc.if_else(blank, ALL, text).to_numpy(zero_copy_only=False), dtype=object)


def _true(flags: pa.Array) -> np.ndarray:
    return np.asarray(flags.to_numpy(zero_copy_only=False), dtype=bool)


def _event_sources(source: Source, now: datetime) -> Iterator[tuple[str, Iterable[pa.RecordBatch]]]:
    """The store's suppressing events and the ingested ones, each with its origin."""
    events = _events_table(source)
    if events is not None:
        store, columns = events
        yield STORE, store.event_batches(SUPPRESSING_TYPES, columns, None, now)
    if isinstance(source, WithIngested):
        yield INGESTED, _ingested_batches(source, now)


def _events_table(source: Source) -> tuple[Source, list[str]] | None:
    """The store under ``source`` and the optional columns its events table has; None for a
    store without an events table (it has no events to read)."""
    store = source.store if isinstance(source, WithIngested) else source
    known = store.schema().events
    return (store, _optional_columns(source.layout, known)) if known else None


def _ingested_batches(source: WithIngested, now: datetime) -> list[pa.RecordBatch]:
    ingested = source.ingested_events(SUPPRESSING_TYPES, [source.layout.channel], None, now)
    return ingested.to_batches()


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


# Customer ids (numbers, or text) and channels (ALL for none) of suppressing events.
Pairs = tuple[np.ndarray, np.ndarray]


def suppression_pairs(
    source: Source,
    state,
    now: datetime,
    ids: np.ndarray | None = None,
    campaign: str | None = None,
) -> Suppressions:
    """(customer id as text, channel or :data:`ALL`) for every suppression at ``now``, from
    the store's events, the ingested ones and the state; for a run of ``campaign``, not its
    own unsubscribes at ``now`` (an ingested event at ``now`` still counts: it is read as an
    event).

    With ``ids`` (the run's matched customers), only theirs, as a
    :class:`~winlang.policies.contact.SuppressionMasks` aligned with ``ids``; a SQL store
    then selects them itself. Without, every customer's, as a set.
    """
    found = [
        *_store_pairs(source, now, ids),
        *_ingested_pairs(source, now),
        _action_pairs(state, now, campaign),
    ]
    if ids is not None:
        return _masks(np.asarray(ids), found)
    return frozenset(
        pair
        for customers, channels in found
        for pair in zip(id_texts(customers).tolist(), channels.tolist(), strict=True)
    )


def _store_pairs(source: Source, now: datetime, ids: np.ndarray | None) -> Iterator[Pairs]:
    """The store's suppressing events: selected by the store when it can (SQL), else read
    and filtered here."""
    events = _events_table(source)
    if events is None:
        return
    store, columns = events
    if not isinstance(store, SelectsSuppressing):
        batches = store.event_batches(SUPPRESSING_TYPES, columns, None, now)
        found = suppressing_events(batches, source.layout, now)
        yield from ((f.customers, f.channels) for f in found)
        return
    for batch in store.suppressing_pairs(SUPPRESSING, now, ids):
        customers = batch.column(batch.schema.get_field_index(source.layout.customer_id))
        known_rows = customers.is_valid()
        if not pc.all(known_rows).as_py():
            batch, customers = batch.filter(known_rows), customers.filter(known_rows)
        yield _id_values(customers), _channels(batch, source.layout.channel)


def _ingested_pairs(source: Source, now: datetime) -> Iterator[Pairs]:
    if isinstance(source, WithIngested):
        batches = _ingested_batches(source, now)
        found = suppressing_events(batches, source.layout, now)
        yield from ((f.customers, f.channels) for f in found)


def _action_pairs(state, now: datetime, campaign: str | None) -> Pairs:
    rows = _state_rows(state, now, campaign=campaign)
    customers = np.array([r[0] for r in rows], dtype=str)
    return customers, np.array([r[1] for r in rows], dtype=object)


def _id_values(ids: pa.Array) -> np.ndarray:
    """Customer ids (no nulls) as NumPy values: integers as integers, the rest as objects."""
    if pa.types.is_integer(ids.type):
        return ids.to_numpy()
    return ids.to_numpy(zero_copy_only=False)


def _masks(matched: np.ndarray, found: list[Pairs]) -> SuppressionMasks:
    """Per channel found, where each of the ``matched`` customers is suppressed on it.

    Ids are compared as their text (``id_texts``, as the ledger writes them); integer ids
    as integers, which is the same: a text that is not an integer's own (``"007"``,
    ``"7.0"``) is no integer's.
    """
    channels = np.concatenate([np.asarray(c, dtype=object) for _, c in found])
    if matched.dtype.kind == "i":
        wanted = matched.astype(np.int64, copy=False)
        integers = [_integer_ids(customers) for customers, _ in found]
        keys = np.concatenate([values for values, _ in integers])
        channels = channels[np.concatenate([keep for _, keep in integers])]
    else:
        wanted = id_texts(matched)
        keys = np.concatenate([id_texts(customers) for customers, _ in found])
    if keys.size == 0 or wanted.size == 0:
        return SuppressionMasks(matched, {})
    unique, inverse = np.unique(keys, return_inverse=True)
    position = _positions(unique, wanted)
    hit = position >= 0
    masks = {}
    for channel in dict.fromkeys(channels.tolist()):
        table = np.zeros(unique.size, dtype=bool)
        table[inverse[channels == channel]] = True
        masks[channel] = hit & table[position]
    return SuppressionMasks(matched, masks)


def _integer_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ids that are integers, as int64, and where they are among ``ids``: integers are;
    a text is when it is an integer's own text (the state's ids, a few)."""
    if ids.dtype.kind == "i":
        return ids.astype(np.int64, copy=False), np.ones(ids.size, dtype=bool)
    values = [_integer(text) for text in id_texts(ids).tolist()]
    keep = np.array([v is not None for v in values], dtype=bool)
    return np.array([v for v in values if v is not None], dtype=np.int64), keep


def _integer(text: str) -> int | None:
    """The int64 whose text ``text`` is, else None (``" 7"``, ``"007"``, ``"7.0"``)."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if str(value) == text and -(2**63) <= value < 2**63 else None


def _positions(unique: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of ``wanted`` is in the sorted ``unique`` (-1: not there)."""
    if unique.dtype.kind == "i":
        at = np.searchsorted(unique, wanted).clip(0, unique.size - 1)
        return np.where(unique[at] == wanted, at, -1)
    found = pc.index_in(pa.array(wanted, pa.string()), value_set=pa.array(unique, pa.string()))
    return found.fill_null(-1).to_numpy().astype(np.int64)


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
