"""The data-source contract: where customers and events come from.

A data-source plugin (hook ``winlang_data_source``) returns a :class:`Source`; the backends read
it in Arrow record batches, named as the store's :class:`Layout` says.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..frozen import frozen

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema import Schema


@frozen
class Layout:
    """Table and column names of a store (``[store]`` and ``[store.columns]`` in the config)."""

    customers: str = "customers"
    events: str = "events"
    id: str = "id"
    timezone: str = "timezone"  # the customers' IANA zone (quiet hours)
    customer_id: str = "customer_id"
    type: str = "type"
    channel: str = "channel"
    campaign: str = "campaign"
    template: str = "template"
    occurred_at: str = "occurred_at"
    bounce_type: str = "bounce_type"  # hard or soft, on bounce events (policies/suppressions)

    @classmethod
    def from_config(cls, customers: str, events: str, columns: Mapping[str, str]) -> Layout:
        """The layout of ``[store]``: each mapped column of ``columns`` (keys of
        :data:`winlang.config.COLUMN_DEFAULTS`), the default name for the others."""
        known = {f.name for f in fields(cls)} - {"customers", "events"}
        return cls(
            customers=customers, events=events, **{k: v for k, v in columns.items() if k in known}
        )


class Source(Protocol):
    """Where customers and events come from (a data-source plugin returns one).

    Customer batches always include the id column first; event batches always include the
    customer id, type and occurred_at columns. Column names in batches are the layout's.
    Unreadable data is reported as :class:`~winlang.contracts.errors.DataError` when read.
    """

    name: str
    layout: Layout

    def schema(self) -> Schema: ...

    def customer_batches(
        self, columns: Sequence[str] | None, batch_size: int
    ) -> Iterator[pa.RecordBatch]: ...

    def event_batches(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str] | None,
        since: datetime | None,
        until: datetime,
    ) -> Iterator[pa.RecordBatch]: ...

    def sql_engine(self):  # -> sqlalchemy.Engine | None
        """The engine to push SQL down to, or None for file sources."""
        ...


@frozen
class SuppressingEvents:
    """Which events suppress their customer, as data, so a SQL store can select them in its
    own query (:mod:`winlang.policies.suppressions` holds the one instance and applies it to
    Arrow batches; a differential test holds the two readings equal).

    An event suppresses when its type is one of ``types``, or when it is a ``bounce`` whose
    bounce type column, lowercased and without the characters of ``ignored``, is one of
    ``hard_bounce_types``.
    """

    types: tuple[str, ...]
    bounce: str
    hard_bounce_types: tuple[str, ...]
    ignored: str  # removed from a bounce type before it is compared

    @property
    def read_types(self) -> tuple[str, ...]:
        """The types to read: those that always suppress, then bounces."""
        return (*self.types, self.bounce)


# Optional abilities: a source that has one says so by having the method; the callers check
# with ``isinstance`` and fall back to the contract's plain reads without it.


@runtime_checkable
class ReleasesMemory(Protocol):
    """A source that keeps what it read in this process (DuckDB's caches) and can give it
    back once the decisions are made (:func:`winlang.evaluate.release_unused_memory`)."""

    def release_memory(self) -> None: ...


@runtime_checkable
class SelectsSuppressing(Protocol):
    """A source that selects the suppressing events itself (a SQL store, in its own query)
    instead of having them read and filtered here (:mod:`winlang.policies.suppressions`).

    ``suppressing_pairs(rule, until, ids)`` yields batches of the customer id, the channel
    (when the events table has that column) and the time of the events ``rule`` says
    suppress, at or before ``until``, of the customers ``ids`` (every customer when None),
    in the layout's column names; a customer's pair may come back more than once.
    """

    def suppressing_pairs(
        self, rule: SuppressingEvents, until: datetime, ids=None
    ) -> Iterator[pa.RecordBatch]: ...
