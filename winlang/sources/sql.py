"""A data source over any SQLAlchemy URL: SQLite, DuckDB, PostgreSQL, any dialect.

Only the requested columns are selected, and events are filtered by type and time in SQL.
Rows come back as Arrow record batches: DuckDB hands out Arrow natively; other drivers are
read with ``fetchmany`` and turned into columns (``zip(*rows)`` then ``pa.array``), never into
per-row Python objects of our own. SQLite keeps times as text: they are parsed a column at a
time (:mod:`.convert`); a value that does not parse is a DataError, except in the events' time
column where SQLite's text comparison already leaves out rows whose text sorts outside the
scanned span ("yesterday" sorts after every "2026-..." date), so those are never read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from ..contracts.errors import DataError, wrong_value
from ..contracts.source import Layout, SuppressingEvents
from ..schema import Schema, SchemaError, reflect_schema, require_local_file, safe_url
from .normalize import Among, normalize, normalize_batch, odd_value, within_times

EVENT_BATCH_SIZE = 262_144
# SQLite compares its text timestamps as text, which is exact only between values written the
# same way ("T" or space, with or without fractions). The SQL filter is widened by a day and
# the exact filter applied after parsing.
_TEXT_TIME_MARGIN = timedelta(days=1)


class SqlSource:
    """Customers and events in a database reachable through SQLAlchemy.

    >>> SqlSource("sqlite:///shop.db").name
    'sqlite'
    """

    def __init__(
        self, url: str, layout: Layout | None = None, duckdb: Mapping[str, object] | None = None
    ) -> None:
        from sqlalchemy.engine import make_url

        self.url = url
        self.layout = layout or Layout()
        self.name = make_url(url).get_backend_name()
        self.duckdb = dict(duckdb or {})  # [store.duckdb]: how a DuckDB store is opened
        self._engine = None
        self._schema: Schema | None = None

    def __repr__(self) -> str:
        return f"SqlSource({safe_url(self.url)!r})"

    # ---- the Source protocol -----------------------------------------------------------------

    def sql_engine(self):
        """The SQLAlchemy engine (made on first use)."""
        if self._engine is None:
            import sqlalchemy as sa

            require_local_file(self.url)
            if self.name == "duckdb":
                from .duckdb_settings import connect_args

                url = sa.engine.make_url(self.url)
                args = connect_args(url.database, dict(url.query), self.duckdb)
                self._engine = sa.create_engine(url, connect_args=args)
                sa.event.listen(self._engine, "connect", _quiet_duckdb)
            else:
                self._engine = sa.create_engine(self.url)
        return self._engine

    def release_memory(self) -> None:
        """Close the pooled connections of a DuckDB store (the next query opens it again).
        DuckDB keeps what a statement read cached, and its allocator the memory the
        statement used, for as long as the database is open: after the decision statement
        of a 10M-customer store, 2.2 GB the rest of a run can't use. Other databases keep
        their caches on the server or per connection: nothing to do."""
        if self.name == "duckdb" and self._engine is not None:
            self._engine.dispose()

    @contextlib.contextmanager
    def _released_after(self) -> Iterator[None]:
        """A scan of the events leaves DuckDB holding what it read (1.2 GB after the
        suppressions' scan of 100M events): given back once the scan is done."""
        try:
            yield
        finally:
            self.release_memory()

    def schema(self) -> Schema:
        if self._schema is None:
            try:  # reflect through the engine the run uses: the store is opened once
                engine = self.sql_engine()
            except SchemaError:
                raise
            except Exception:  # no driver, bad URL: reflect_schema says why
                engine = None
            self._schema = reflect_schema(
                self.url, self.layout.customers, self.layout.events, engine=engine
            )
        return self._schema

    def customer_batches(
        self, columns: Sequence[str] | None, batch_size: int, ids=None
    ) -> Iterator[pa.RecordBatch]:
        """The customers (only those whose id is in ``ids``, when given), in batches.

        The ids go to the database in one piece: DuckDB joins them as an Arrow table,
        SQLite reads them from one JSON text (``json_each``), PostgreSQL from one array;
        other databases send every row, filtered here.
        """
        table = self.layout.customers
        kinds = self._kinds(table, "customers")
        names = _names(self.layout.id, [], columns, kinds)
        _require(table, names, kinds)
        if ids is None:
            sql = self._select(table, names, [])
            yield from self._fetch(sql, [], names, kinds, table, batch_size)
            return
        wanted = _wanted(ids)
        params = _Params(self._placeholder)
        where = self._among(self.layout.id, wanted, params)
        sql = self._select(table, names, where)
        among = None if where else Among(wanted)
        for batch in self._fetch(sql, params.values, names, kinds, table, batch_size, wanted):
            yield batch if among is None else batch.filter(among.mask(batch.column(0)))

    def event_batches(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str] | None,
        since: datetime | None,
        until: datetime,
    ) -> Iterator[pa.RecordBatch]:
        layout = self.layout
        table = layout.events
        kinds = self._kinds(table, "events")
        names = _names(layout.customer_id, [layout.type, layout.occurred_at], columns, kinds)
        _require(table, names, kinds)
        text_times = self.name == "sqlite"
        margin = _TEXT_TIME_MARGIN if text_times else timedelta(0)
        params = _Params(self._placeholder)
        where = []
        if types is not None:
            if not types:
                return
            marks = ", ".join(params.bind(t) for t in types)
            where.append(f"{self._quote(layout.type)} IN ({marks})")
        time = self._quote(layout.occurred_at)
        where.append(f"{time} <= {params.bind(self._moment(until + margin, text_times))}")
        if since is not None:
            where.append(f"{time} >= {params.bind(self._moment(since - margin, text_times))}")
        sql = self._select(table, names, where)
        with self._released_after():
            for batch in self._fetch(sql, params.values, names, kinds, table, EVENT_BATCH_SIZE):
                if text_times:
                    batch = within_times(batch, layout.occurred_at, since, until)
                if batch.num_rows:
                    yield batch

    def suppressing_pairs(
        self, rule: SuppressingEvents, until: datetime, ids=None
    ) -> Iterator[pa.RecordBatch]:
        """The customer id and channel of the events ``rule`` says suppress, at or before
        ``until``, of the customers ``ids`` (every customer when None): the database
        selects them (types, hard bounces, time, customers) and hands back each pair once
        with its first time (SQLite: each event, its text times compared exactly here).
        Batches hold the customer id, the channel (when the table has that column) and the
        time, in the layout's names; the channel as stored (null, blank).

        Ids are sent to the database as :meth:`customer_batches` sends them when the events'
        customer ids are of their kind (numbers or text); else every customer's pairs come
        back and the caller picks.
        """
        layout = self.layout
        table = layout.events
        kinds = self._kinds(table, "events")
        key, time = layout.customer_id, layout.occurred_at
        _require(table, [key, layout.type, time], kinds)
        q, params = self._quote, _Params(self._placeholder)
        kind = q(layout.type)
        found = f"{kind} IN ({', '.join(params.bind(t) for t in rule.types)})"
        if layout.bounce_type in kinds:  # else no bounce is hard
            bounce = f"{kind} = {params.bind(rule.bounce)}"
            plain = f"lower(CAST({q(layout.bounce_type)} AS TEXT))"
            for character in rule.ignored:
                plain = f"replace({plain}, {params.bind(character)}, '')"
            hard = ", ".join(params.bind(t) for t in rule.hard_bounce_types)
            found = f"({found} OR ({bounce} AND {plain} IN ({hard})))"
        text_times = self.name == "sqlite"
        margin = _TEXT_TIME_MARGIN if text_times else timedelta(0)
        where = [found, f"{q(time)} <= {params.bind(self._moment(until + margin, text_times))}"]
        wanted = _wanted(ids) if ids is not None else None
        if wanted is not None and kinds[key] == ("number" if _numeric(wanted) else "text"):
            where += self._among(key, wanted, params)
        else:
            wanted = None
        pair = [key, *([layout.channel] if layout.channel in kinds else [])]
        if text_times:
            sql = self._select(table, [*pair, time], where)
        else:
            grouped = ", ".join(q(n) for n in pair)
            sql = (
                f"SELECT {grouped}, min({q(time)}) AS {q(time)} FROM {q(table)} "
                f"WHERE {' AND '.join(where)} GROUP BY {grouped}"
            )
        batches = self._fetch(
            sql, params.values, [*pair, time], kinds, table, EVENT_BATCH_SIZE, wanted
        )
        with self._released_after():
            for batch in batches:
                batch = within_times(batch, time, None, until)
                if batch.num_rows:
                    yield batch

    # ---- SQL -------------------------------------------------------------------------------------

    def _among(self, key: str, wanted: pa.Array, params: _Params) -> list[str]:
        """The condition that column ``key`` is one of ``wanted``, in one piece: DuckDB
        joins them as an Arrow table (:meth:`_fetch` registers it), SQLite reads them from
        one JSON text (``json_each``), PostgreSQL from one array; none for other
        databases (the caller filters)."""
        column = self._quote(key)
        if self.name == "duckdb":
            return [f"{column} IN (SELECT id FROM {_IDS_VIEW})"]
        if self.name == "sqlite":
            return [f"{column} IN (SELECT value FROM json_each({params.bind(_json(wanted))}))"]
        if self.name == "postgresql":
            return [f"{column} = ANY({params.bind(wanted.to_pylist())})"]
        return []

    def _kinds(self, table: str, role: str) -> dict[str, str]:
        """Column kinds of ``table``; a missing table is a DataError that names it."""
        try:
            schema = self.schema()
        except SchemaError as error:
            raise DataError(str(error)) from None
        found = schema.customers if role == "customers" else schema.events
        if not found:
            raise DataError(f"the store {safe_url(self.url)} has no table `{table}` ({role})")
        return {name: kind.kind for name, kind in found.items()}

    def _quote(self, name: str) -> str:
        # Always quoted: a store's own names may be words the dialect's preparer does not
        # know as reserved (`at` in DuckDB), and reflection gave their exact spelling.
        return self.sql_engine().dialect.identifier_preparer.quote_identifier(name)

    def _select(self, table: str, names: list[str], where: list[str]) -> str:
        """``SELECT names FROM table [WHERE ...]``."""
        columns = ", ".join(self._quote(n) for n in names)
        sql = f"SELECT {columns} FROM {self._quote(table)}"
        return f"{sql} WHERE {' AND '.join(where)}" if where else sql

    def _placeholder(self, number: int) -> str:
        style = "qmark" if self.name == "duckdb" else self.sql_engine().dialect.paramstyle
        return {
            "qmark": "?",
            "format": "%s",
            "pyformat": "%s",
            "numeric": f":{number + 1}",
            "numeric_dollar": f"${number + 1}",
            "named": f":p{number}",
        }[style]

    def _moment(self, moment: datetime, as_text: bool) -> datetime | str:
        naive = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if as_text else naive

    def _fetch(
        self,
        sql: str,
        params: list,
        names: list[str],
        kinds: dict[str, str],
        table: str,
        batch_size: int,
        ids: pa.Array | None = None,
    ) -> Iterator[pa.RecordBatch]:
        raw = self.sql_engine().raw_connection()
        try:
            if self.name == "duckdb":
                if ids is None:
                    yield from _fetch_duckdb(raw, sql, params, kinds, table, batch_size)
                    return
                driver = raw.driver_connection
                driver.register(_IDS_VIEW, pa.table({"id": ids}))
                try:
                    yield from _fetch_duckdb(raw, sql, params, kinds, table, batch_size)
                finally:
                    driver.unregister(_IDS_VIEW)
            else:
                args = (
                    {f"p{i}": v for i, v in enumerate(params)}
                    if self.sql_engine().dialect.paramstyle == "named"
                    else tuple(params)
                )
                yield from _fetch_rows(
                    self._cursor(raw), sql, args, names, kinds, table, batch_size
                )
        except DataError:
            raise
        except Exception as error:  # driver errors: say which query and why, briefly
            reason = str(getattr(error, "orig", error)).splitlines()[0]
            raise DataError(
                f"reading `{table}` from {safe_url(self.url)} failed: {reason}"
            ) from None
        finally:
            raw.close()

    def _cursor(self, raw):
        if self.name == "postgresql":  # a named cursor streams instead of loading everything
            try:
                return raw.driver_connection.cursor(name="winlang_scan")
            except TypeError:
                pass
        return raw.cursor()


def _quiet_duckdb(connection, _record) -> None:
    """No progress bar: DuckDB draws one on standard output for any query longer than two
    seconds, even when that is a pipe, which breaks ``winlang run --format json`` on big
    stores. A setting of the connection, not of the database: other connections to the same
    file (DuckDB refuses a second one with other database settings) are unaffected."""
    connection.execute("SET enable_progress_bar = false")


_IDS_VIEW = "winlang_wanted_ids"  # the ids of customer_batches(ids=...) on DuckDB


def _wanted(ids) -> pa.Array:
    """Ids (any array) as one Arrow array."""
    return ids if isinstance(ids, pa.Array) else pa.array(np.asarray(ids))


def _numeric(ids: pa.Array) -> bool:
    return pa.types.is_integer(ids.type) or pa.types.is_floating(ids.type)


def _json(ids: pa.Array) -> str:
    """Ids as one JSON array (numbers as numbers, so SQLite compares them as numbers)."""
    import orjson

    if pa.types.is_integer(ids.type) and not ids.null_count:
        return orjson.dumps(ids.to_numpy(), option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return orjson.dumps(ids.to_pylist()).decode()


class _Params:
    """Bound parameters, numbered in order, in the driver's placeholder style."""

    def __init__(self, placeholder) -> None:
        self.values: list = []
        self._placeholder = placeholder

    def bind(self, value: object) -> str:
        self.values.append(value)
        return self._placeholder(len(self.values) - 1)


def _fetch_duckdb(
    raw, sql: str, params: list, kinds: dict[str, str], table: str, batch_size: int
) -> Iterator[pa.RecordBatch]:
    relation = raw.driver_connection.sql(sql, params=params or None)
    for batch in relation.to_arrow_reader(batch_size):
        yield normalize_batch(batch, kinds, table)


def _fetch_rows(
    cursor, sql: str, args, names: list[str], kinds: dict[str, str], table: str, batch_size: int
) -> Iterator[pa.RecordBatch]:
    cursor.execute(sql, args)
    while rows := cursor.fetchmany(batch_size):
        columns = list(zip(*rows, strict=False))  # rows all have every column
        yield pa.RecordBatch.from_arrays(
            [
                _column(values, kinds[name], table, name)
                for values, name in zip(columns, names, strict=True)
            ],
            names=names,
        )


_TEXTUAL = ("timestamp", "date", "text")  # SQLite hands these out as str


def _column(values: tuple, kind: str, table: str, name: str) -> pa.Array:
    """One fetched column as an Arrow array of its canonical type."""
    array = None
    if kind in _TEXTUAL:
        # Not all text: datetimes (PostgreSQL) or numbers in a text column; inferred below.
        with contextlib.suppress(pa.ArrowInvalid, pa.ArrowTypeError):
            array = pa.array(values, pa.string())
    if array is None:
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            raise wrong_value(table, name, kind, odd_value(values, kind)) from None
    return normalize(array, kind, table, name)


def _names(
    key: str, required: list[str], columns: Sequence[str] | None, kinds: dict[str, str]
) -> list[str]:
    """The key first, then required columns, then the requested ones (all when None)."""
    wanted = list(kinds) if columns is None else list(columns)
    return list(dict.fromkeys([key, *required, *wanted]))


def _require(table: str, names: list[str], kinds: dict[str, str]) -> None:
    missing = [n for n in names if n not in kinds]
    if missing:
        listed = ", ".join(f"`{n}`" for n in missing)
        raise DataError(
            f"the `{table}` table has no column {listed} (it has {', '.join(sorted(kinds))})"
        )
