"""The store's events plus those ``winlang ingest`` stored in the state database.

Event conditions (``opened survey``, ``count(purchase ...)``) read the store's events table;
events that arrive from outside (a provider's opens and clicks, a shop's purchases) are kept
in the state's ``ingested_events`` table instead, because the store is the customer's own
database and winlang never writes it. :class:`WithIngested` wraps the store's source so every
backend sees both:

- the NumPy backend reads :meth:`WithIngested.event_batches`: the store's batches, then the
  ingested events filtered the same way, in the layout's column names and the store's types;
- the SQL backend asks :meth:`WithIngested.ingested_events` for the rows its statement needs
  and unions them with the store's events table inside the store's database
  (:mod:`winlang.backends.sql.ingested`).

:func:`with_ingested` wraps a store only when the state holds ingested events, so a project
that never ingests reads exactly what it read before.

Ingested customer ids are text; the store's are usually numbers. Ids are converted to the
store's id type, and an id that can't be one (``"abc"`` where ids are numbers) is nobody's:
its events are left out, as events of unknown customers are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_types import ARROW_TYPES
from ..contracts.errors import DataError
from ..contracts.source import Layout, ReleasesMemory, Source
from ..plan import ir
from ..schema import Schema
from .normalize import WHOLE_NUMBER


def layout_names(layout: Layout) -> dict[str, str]:
    """Store column name → ``ingested_events`` column, for the columns it has.

    >>> layout_names(Layout(occurred_at="at"))["at"]
    'occurred_at'
    """
    return {
        layout.customer_id: "customer_id",
        layout.type: "type",
        layout.channel: "channel",
        layout.campaign: "campaign",
        layout.template: "template",
        layout.occurred_at: "occurred_at",
        "amount": "amount",
        "product_name": "product_name",
    }


def id_kind(schema: Schema, layout: Layout) -> str:
    """The kind of the store's customer ids: its events' ``customer_id`` column, or else its
    customers' ``id`` (``number`` or ``text``)."""
    found = schema.events.get(layout.customer_id) or schema.customers.get(layout.id)
    return "number" if found is not None and found.kind == "number" else "text"


class IngestedStore(Protocol):
    """Where ingested events are kept: :class:`winlang.state.StateStore` (which sits beside
    the sources, so it is named here only by what it does)."""

    def has_ingested_events(self) -> bool: ...

    def ingested_events(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str],
        since: datetime | None,
        until: datetime,
        filters: Sequence[ir.EventFilter] | None = None,
    ) -> pa.Table: ...


@dataclass(frozen=True)
class IngestedEvents:
    """The events ``winlang ingest`` stored in a state (a :class:`winlang.state.StateStore`),
    read like a store's events; ``ids`` is the kind of the store's customer ids (``number``
    or ``text``)."""

    state: IngestedStore
    layout: Layout
    ids: str

    def table(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str],
        since: datetime | None,
        until: datetime,
        filters: Sequence[ir.EventFilter] | None = None,
    ) -> pa.Table:
        """The ingested events of ``types`` (None: all) with ``since <= occurred_at <=
        until``, as ``columns`` (store column names; those ingested events lack are null);
        with ``filters``, only events one of them keeps (windows end at ``until``)."""
        names = layout_names(self.layout)
        wanted = list(dict.fromkeys(columns))
        read = list(dict.fromkeys(names[c] for c in wanted if c in names))
        found = self.state.ingested_events(types, read, since, until, filters)
        rows = found.num_rows
        table = pa.table(
            {c: found.column(names[c]) if c in names else pa.nulls(rows, pa.null()) for c in wanted}
        )
        key = self.layout.customer_id
        if key in wanted and self.ids == "number":
            table = _numbered(table, key)
        return table


def _numbered(table: pa.Table, key: str) -> pa.Table:
    """``key`` as int64; rows whose id is not a whole number are left out (no customer)."""
    ids = table.column(key).combine_chunks()
    whole = pc.match_substring_regex(ids, WHOLE_NUMBER)
    if not pc.all(whole).as_py():
        table = table.filter(whole)
        ids = table.column(key).combine_chunks()
    index = table.schema.get_field_index(key)
    return table.set_column(index, key, pc.cast(ids, pa.int64()))


class WithIngested:
    """A store's source whose events include the ingested ones (see the module docstring).

    Everything but the events is the store's own: its very methods, so the optional
    parameters a source may take (``customer_batches(..., ids=...)``) stay visible to the
    callers that look for them. Nothing else is forwarded: a capability this class does not
    know about might read events, and must not bypass the ingested ones.
    """

    def __init__(self, store: Source, ingested: IngestedEvents) -> None:
        self.store = store
        self.ingested = ingested
        self.name = store.name
        self.layout = store.layout
        self.schema: Callable[[], Schema] = store.schema
        self.sql_engine = store.sql_engine
        self.customer_batches: Callable[..., Iterator[pa.RecordBatch]] = store.customer_batches

    def __repr__(self) -> str:
        return f"WithIngested({self.store!r})"

    def release_memory(self) -> None:
        """The store's (it reads no events)."""
        if isinstance(self.store, ReleasesMemory):
            self.store.release_memory()

    def ingested_events(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str] | None,
        since: datetime | None,
        until: datetime,
        filters: Sequence[ir.EventFilter] | None = None,
    ) -> pa.Table:
        """The ingested events a scan of the store's events with these arguments would also
        read: the customer id, type and time columns first, then ``columns`` (None: every
        column of the store's events table); with ``filters`` (the SQL backend knows its
        aggregates'), only the events one of them counts."""
        layout = self.layout
        rest = list(self.schema().events) if columns is None else list(columns)
        names = [layout.customer_id, layout.type, layout.occurred_at, *rest]
        return self.ingested.table(types, names, since, until, filters)

    def event_batches(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str] | None,
        since: datetime | None,
        until: datetime,
    ) -> Iterator[pa.RecordBatch]:
        """The store's batches, then the ingested events in the same column types (batches
        of one scan must concatenate: ``explain`` makes one table of them)."""
        extra = self.ingested_events(types, columns, since, until)
        if extra.num_rows == 0:
            yield from self.store.event_batches(types, columns, since, until)
            return
        widen = {f.name for f in extra.schema if pa.types.is_floating(f.type)}
        shape = None
        for batch in self.store.event_batches(types, columns, since, until):
            batch = _widened(batch, widen - {self.layout.customer_id})
            shape = shape or batch.schema
            yield batch
        yield from conformed(extra, shape or self._shape(extra)).to_batches()

    def _shape(self, extra: pa.Table) -> pa.Schema:
        """The batch schema when the store has no matching events: the store's kinds."""
        kinds = {name: t.kind for name, t in self.schema().events.items()}
        fields = []
        for f in extra.schema:
            kind = kinds.get(f.name)
            keep = f.name == self.layout.customer_id or kind is None
            fields.append(pa.field(f.name, f.type if keep else ARROW_TYPES.get(kind, f.type)))
        return pa.schema(fields)


def _widened(batch: pa.RecordBatch, names: set[str]) -> pa.RecordBatch:
    """Integer columns among ``names`` as float64, so they concatenate with the ingested
    amounts (a number is a float64 to the engine either way)."""
    present = names & set(batch.schema.names)
    if not any(pa.types.is_integer(batch.schema.field(n).type) for n in present):
        return batch
    columns = [
        column.cast(pa.float64()) if name in names and pa.types.is_integer(column.type) else column
        for name, column in zip(batch.schema.names, batch.columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def conformed(table: pa.Table, shape: pa.Schema) -> pa.Table:
    """``table`` with exactly the columns and types of ``shape`` (absent columns are null)."""
    columns = []
    for f in shape:
        if f.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, f.type))
            continue
        column = table.column(f.name).combine_chunks()
        try:
            columns.append(column if column.type == f.type else column.cast(f.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise DataError(
                f"ingested events don't fit the store's `{f.name}` column ({f.type}): "
                f"{next((v for v in column.to_pylist() if v is not None), None)!r}"
            ) from None
    return pa.Table.from_arrays(columns, schema=shape)


def with_ingested(store: Source, state: IngestedStore | None) -> Source:
    """``store``, reading the ingested events of ``state`` (a :class:`winlang.state.StateStore`)
    too when it holds any; ``store`` itself otherwise."""
    if state is None or not state.has_ingested_events():
        return store
    ids = id_kind(store.schema(), store.layout)
    return WithIngested(store, IngestedEvents(state, store.layout, ids))
