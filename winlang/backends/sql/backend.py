"""``SqlBackend``: evaluate a plan inside the database that holds the customers.

>>> SqlBackend().name
'sql'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ...arrow_types import ARROW_TYPES
from ...contracts.errors import DataError, PushdownError
from ...contracts.source import Source
from ...plan import ir
from ...sources.normalize import whole_numbers
from ..base import Decisions, RunContext
from .compile import table_of
from .dialects import SqlDialect, constructs_of, dialect_named
from .ingested import IngestedTable, ingested_table, loaded
from .state import PREFIX, filled, id_table
from .statement import (
    Statement,
    decide_statement,
    event_columns,
    statement_aggregates,
    values_statement,
)


class SqlBackend:
    """Pushes each campaign down as one SQL statement through SQLAlchemy Core."""

    name = "sql"

    def decide(
        self,
        plan: ir.Plan,
        source: Source,
        context: RunContext,
        carry: Sequence[ir.Column] = (),
    ) -> Decisions:
        """Audience size and each matched customer's first matching, not-yet-fired rule;
        with ``carry``, those columns of the matched customers, from the same statement."""
        engine, dialect = _engine_and_dialect(source)
        carry = list(dict.fromkeys(carry))
        nodes = list(ir.walk(*plan.roots()))
        constructs = _checked(dialect, nodes)
        flags = _flags(nodes, plan.campaign, context, source)
        ingested = _ingested(source, nodes, plan, dialect, context)
        statement = decide_statement(plan, source.layout, dialect, flags, ingested, carry)
        times = _times([*nodes, *carry], source)
        if dialect.streams_decisions:
            rows = partial(streamed_rows, dialect=dialect, carry=carry)
            batches = partial(streamed_batches, dialect=dialect, carry=carry)
            return _run(
                engine, dialect, statement, constructs, context, times, fetch=rows, batches=batches
            )
        if not carry:
            row = _run(engine, dialect, statement, constructs, context, times)
            return decisions_of(row, dialect)
        row = _run(engine, dialect, statement, constructs, context, times, fetch=dialect.fetch_row)
        return carried_decisions(row, dialect, carry)

    def values(
        self,
        nodes: Sequence[ir.Node],
        source: Source,
        context: RunContext,
        plan: ir.Plan | None = None,
        ids: np.ndarray | pa.Array | None = None,
    ) -> tuple[np.ndarray, list[pa.Array]]:
        """Every customer's id and the value of each node, as Arrow arrays; with ``ids``,
        only those customers, in that order (null values for an id the store lacks): the
        database filters, so a run's few matched customers don't cost a scan of everyone."""
        engine, dialect = _engine_and_dialect(source)
        walked = list(ir.walk(*nodes))
        constructs = _checked(dialect, walked)
        campaign = plan.campaign if plan is not None else _campaign_of(walked)
        flags = _flags(walked, campaign, context, source)
        ingested = _ingested(source, walked, plan, dialect, context)
        wanted = None if ids is None else np.asarray(ids)
        only = None if wanted is None else id_table(f"{PREFIX}only", wanted, dialect)
        statement = values_statement(nodes, source.layout, dialect, flags, plan, ingested, only)
        rows = []
        if only is None or wanted.size:
            times = _times(walked, source)
            rows = _run(engine, dialect, statement, constructs, context, times, all_rows=True)
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(len(nodes) + 1)]
        found = np.asarray(columns[0]) if rows else np.empty(0, dtype=np.int64)
        arrays = [
            to_arrow(list(values), node.kind, dialect)
            for values, node in zip(columns[1:], nodes, strict=True)
        ]
        if wanted is None:
            return found, arrays
        return wanted, _in_order(found, arrays, wanted)


def _in_order(found: np.ndarray, arrays: list[pa.Array], wanted: np.ndarray) -> list[pa.Array]:
    """``arrays`` (rows for the sorted ids ``found``) rearranged to the order of ``wanted``,
    null where an id was not found."""
    position = {value: row for row, value in enumerate(found.tolist())}
    take = pa.array([position.get(value) for value in wanted.tolist()], pa.int64())
    return [array.take(take) for array in arrays]


# ---- running ----------------------------------------------------------------------------------


def _engine_and_dialect(source: Source):
    engine = source.sql_engine()
    if engine is None:
        raise PushdownError(f"the {source.name} source has no SQL database to push down to")
    return engine, dialect_named(engine.dialect.name)


def _checked(dialect: SqlDialect, nodes: Sequence[ir.Node]) -> frozenset[str]:
    """The plan's constructs, each checked against the dialect before anything runs."""
    constructs = constructs_of(nodes)
    for construct in sorted(constructs):
        dialect.check(construct)
    return constructs


def _flags(
    nodes: Sequence[ir.Node], campaign: str, context: RunContext, source: Source
) -> dict[ir.StateFlag, np.ndarray]:
    """The ids for which each state flag holds, from the state database, typed as the
    store's ids (the ledger keeps text: "007" stays text for a text id column)."""
    flags = dict.fromkeys(n for n in nodes if isinstance(n, ir.StateFlag))
    if not flags:
        return {}
    found = source.schema().customers.get(source.layout.id)
    numbered = found is not None and found.kind == "number"
    return {
        flag: _typed(context.state.customers(flag, campaign, context.now), numbered)
        for flag in flags
    }


def _typed(ids, numbered: bool) -> np.ndarray:
    """State ids as int64 for a number id column, else as text."""
    values = np.asarray(ids)
    if numbered:
        return whole_numbers(pa.array(values.tolist())).to_numpy()
    return np.array([str(v) for v in values.tolist()], dtype=object)


def _ingested(
    source: Source,
    nodes: Sequence[ir.Node],
    plan: ir.Plan | None,
    dialect: SqlDialect,
    context: RunContext,
) -> IngestedTable | None:
    """The ingested events the statement's aggregates count, when the source has some."""
    aggregates = statement_aggregates(nodes, plan)
    columns = event_columns(source.layout, aggregates)
    return ingested_table(source, aggregates, columns, dialect, _utc(context.now))


def _campaign_of(nodes: Sequence[ir.Node]) -> str:
    """The campaign a bare node list belongs to, from its template event filters."""
    names = {
        n.filter.campaign for n in nodes if isinstance(n, ir.EventAggregate) and n.filter.campaign
    }
    return next(iter(names), "")


def _times(nodes: Sequence[ir.Node], source: Source) -> dict[str, list[str]]:
    """The time columns a statement reads, by table."""
    layout = source.layout
    columns = {
        layout.customers: sorted(
            {n.name for n in nodes if isinstance(n, ir.Column) and n.kind == "timestamp"}
        )
    }
    if any(isinstance(n, ir.EventAggregate) for n in nodes):
        columns[layout.events] = [layout.occurred_at]
    return columns


def _run(
    engine,
    dialect: SqlDialect,
    statement: Statement,
    constructs: frozenset[str],
    context: RunContext,
    times: dict[str, list[str]],
    all_rows: bool = False,
    fetch=None,
    batches=None,
):
    """Prepare the connection, fill the state tables, run the statement; change nothing.
    The result is its rows (``all_rows``), what ``fetch`` makes of it, or its one row; with
    ``batches``, what that makes of the statement's rows as Arrow batches where the dialect
    runs it so (:meth:`SqlDialect.decision_batches`)."""
    params = statement.binder.values(_utc(context.now))
    with _connect(engine) as connection:
        try:
            dialect.prepare(connection, constructs)
            dialect.verify_times(connection, times)
            with (
                filled(connection, dialect, statement.tables),
                loaded(connection, dialect, statement.ingested),
            ):
                if batches is not None:
                    found = dialect.decision_batches(
                        connection, statement.select, params, CHUNK_ROWS
                    )
                    if found is not None:
                        return batches(found)
                result = connection.execute(statement.select, params)
                if fetch is not None:
                    return fetch(result)
                return result.fetchall() if all_rows else result.one()
        except sa.exc.DBAPIError as error:
            connection.rollback()
            refused = dialect.refused(connection)
            if refused is not None:
                raise refused from None
            missing = missing_column(connection, statement.reads)
            if missing is not None:
                raise DataError(missing) from error
            if dialect.exhausted(error.orig):
                raise DataError(_exhausted(engine, error.orig)) from error
            raise
        finally:
            connection.rollback()


def _exhausted(engine: sa.Engine, reason: BaseException) -> str:
    """What to tell the user when the store ran out of memory or disk on the statement."""
    where = engine.url.render_as_string(hide_password=True)
    first = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    return (
        f"the store {where} ran out of memory or disk running the campaign's statement: "
        f'{first} (give the database more: docs/engine.md, "When the store runs out of memory")'
    )


def _connect(engine: sa.Engine) -> sa.Connection:
    """A connection, or a DataError naming the store when there is none to be had (a
    missing file, a server that is down)."""
    try:
        return engine.connect()
    except sa.exc.DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        where = engine.url.render_as_string(hide_password=True)
        raise DataError(f"can't open the store {where}: {reason}") from error


def missing_column(connection: sa.Connection, reads: dict[str, tuple[str, ...]]) -> str | None:
    """Why the store can't give the statement its columns (a missing table or column), or
    None; asked only after a statement failed, one cheap ``LIMIT 0`` probe at a time."""
    for table, columns in reads.items():
        for probe, problem in [
            (None, f"the store has no table `{table}`"),
            *((c, f"the store's table `{table}` has no column `{c}`") for c in columns),
        ]:
            names = [] if probe is None else [probe]
            source = table_of(table, names)
            selected = [source.c[n] for n in names] or [sa.literal_column("1")]
            query = sa.select(*selected)
            try:
                connection.execute(query.select_from(source).limit(0)).fetchall()
            except sa.exc.DBAPIError:
                connection.rollback()
                return problem
    return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ---- results ----------------------------------------------------------------------------------


def decisions_of(row: Sequence, dialect: SqlDialect) -> Decisions:
    """The decide statement's row as Decisions, sorted by customer id."""
    audience, *per_rule = row
    gathered = [dialect.gathered(value) for value in per_rule]
    ids = np.asarray([i for chunk in gathered for i in chunk])
    if not len(ids):
        ids = np.empty(0, dtype=np.int64)
    rules = np.repeat(np.arange(len(gathered), dtype=np.int32), [len(chunk) for chunk in gathered])
    order = np.argsort(ids, kind="stable")
    return Decisions(audience=int(audience or 0), ids=ids[order], rules=rules[order])


def carried_decisions(row: Sequence, dialect: SqlDialect, carry: Sequence[ir.Column]) -> Decisions:
    """A decide statement's row with carried columns (ids, rules, then each carried value of
    the matched customers) as Decisions, sorted by customer id."""
    audience, *gathered = row
    kinds = [None, None, *(node.kind for node in carry)]
    ids, rules, *values = dialect.gathered_rows(gathered, kinds)
    ids, rules = _id_values(ids), np.asarray(_plain(rules), dtype=np.int32)
    arrays = {
        node: _carried_array(value, node.kind, dialect)
        for node, value in zip(carry, values, strict=True)
    }
    if _ascending(ids):  # SQLite gathers in rowid order, usually the ids' own: nothing to move
        return Decisions(int(audience or 0), ids, rules, arrays)
    order = pa.array(np.argsort(ids, kind="stable"), pa.int64())
    taken = order.to_numpy()
    arrays = {node: array.take(order) for node, array in arrays.items()}
    return Decisions(int(audience or 0), ids[taken], rules[taken], arrays)


def _ascending(ids: np.ndarray) -> bool:
    """Whether numeric or text ids are already in order (a stable sort would keep them)."""
    return ids.dtype.kind in "iufU" and bool(np.all(ids[:-1] <= ids[1:]))


def _plain(values: list | pa.Array) -> list | np.ndarray:
    return values.to_numpy(zero_copy_only=False) if isinstance(values, pa.Array) else values


def _id_values(ids: list | pa.Array) -> np.ndarray:
    """Ids as :func:`decisions_of` gives them (NumPy's own type for a list of them)."""
    if isinstance(ids, pa.Array):
        ids = ids.to_numpy() if pa.types.is_integer(ids.type) else ids.to_pylist()
    found = np.asarray(ids)
    return found if len(found) else np.empty(0, dtype=np.int64)


def _carried_array(values: list | pa.Array, kind: str, dialect: SqlDialect) -> pa.Array:
    """A carried column as the contract's Arrow type."""
    if not isinstance(values, pa.Array):
        return to_arrow(values, kind, dialect)
    if pa.types.is_timestamp(values.type) and values.type.tz is not None:
        values = values.cast(pa.timestamp(values.type.unit))  # the same instant, naive UTC
    return values.cast(ARROW_TYPES[kind])


CHUNK_ROWS = 100_000  # decision rows read at a time from a streaming dialect


def streamed_rows(
    result: sa.CursorResult, dialect: SqlDialect, carry: Sequence[ir.Column] = ()
) -> Decisions:
    """Decisions from the rows of :func:`.statement.streamed_decisions`, read a chunk at a
    time: only the matched customers (their ids, rules and carried values) and one chunk of
    rows are ever held, never one value holding every id."""
    audience = 0
    ids: list[np.ndarray] = []
    rules: list[np.ndarray] = []
    carried: list[list] = [[] for _ in carry]
    for rows in result.partitions(CHUNK_ROWS):
        rule, found, count, *values = (list(column) for column in zip(*rows, strict=True))
        counts = np.asarray(count, dtype=np.int64)
        audience += int(counts.sum())
        chosen = np.asarray(rule, dtype=np.int32)
        keep = (chosen >= 0).tolist()
        if not any(keep):
            continue
        times = counts[np.asarray(keep)]
        ids.append(np.repeat(np.asarray([v for v, k in zip(found, keep, strict=True) if k]), times))
        rules.append(np.repeat(chosen[np.asarray(keep)], times))
        for held, column in zip(carried, values, strict=True):
            kept = [v for v, k in zip(column, keep, strict=True) if k]
            held.extend(v for v, n in zip(kept, times.tolist(), strict=True) for _ in range(n))
    if not ids:
        empty = {node: to_arrow([], node.kind, dialect) for node in carry}
        return Decisions(audience, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32), empty)
    all_ids, all_rules = np.concatenate(ids), np.concatenate(rules)
    order = np.argsort(all_ids, kind="stable")
    arrays = {
        node: to_arrow(values, node.kind, dialect).take(pa.array(order))
        for node, values in zip(carry, carried, strict=True)
    }
    return Decisions(audience, all_ids[order], all_rules[order], arrays)


def streamed_batches(
    batches: Iterator[pa.RecordBatch], dialect: SqlDialect, carry: Sequence[ir.Column] = ()
) -> Decisions:
    """:func:`streamed_rows` over Arrow batches ``(r, id, n, k0, ...)``: the matched rows of
    each batch are kept as Arrow columns, each repeated ``n`` times, then sorted by id, one
    column at a time (each column's batches let go of once it is sorted)."""
    audience = 0
    kept: list[pa.RecordBatch] = []
    for batch in batches:
        audience += int(pc.sum(batch.column(2)).as_py() or 0)
        matched = batch.filter(pc.greater_equal(batch.column(0), 0))
        if matched.num_rows:
            kept.append(matched)
    if not kept:
        empty = {node: to_arrow([], node.kind, dialect) for node in carry}
        return Decisions(audience, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32), empty)
    columns = pa.Table.from_batches(kept).columns
    del kept
    times = columns[2].to_numpy()
    repeat = None  # an id that occurs more than once: once per occurrence
    if (times != 1).any():
        repeat = pa.array(np.repeat(np.arange(len(times)), times))

    def column(i: int) -> pa.Array:
        whole = columns[i].combine_chunks()
        columns[i] = None  # its batches' memory goes once the caller is done with it
        return whole if repeat is None else whole.take(repeat)

    ids = _id_values(column(1))
    rules = column(0).to_numpy().astype(np.int32)
    order = np.argsort(ids, kind="stable")
    taken = pa.array(order, pa.int64())
    arrays = {
        node: _carried_array(column(3 + i), node.kind, dialect).take(taken)
        for i, node in enumerate(carry)
    }
    return Decisions(audience, ids[order], rules[order], arrays)


def to_arrow(values: list, kind: str, dialect: SqlDialect) -> pa.Array:
    """One output column as the contract's Arrow type."""
    if kind == "bool":
        values = [None if v is None else bool(v) for v in values]
    elif kind == "timestamp":
        return _timestamps(values)
    return pa.array(values, ARROW_TYPES[kind])


def _timestamps(values: list) -> pa.Array:
    """Datetimes (aware ones to naive UTC), dates (midnight) or SQLite's ISO text."""
    if any(isinstance(v, str) for v in values):
        from ...sources.convert import parse_timestamps

        return parse_timestamps(pa.array(values, pa.string()))
    cleaned = []
    for v in values:
        if isinstance(v, datetime) and v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        elif isinstance(v, date) and not isinstance(v, datetime):
            v = datetime(v.year, v.month, v.day)
        cleaned.append(v)
    return pa.array(cleaned, pa.timestamp("us"))
