"""The ledger writes of one run of one campaign: the run row, planned firings, claims and
send results, one transaction each (the rules are in :mod:`winlang.deliver.ledger`).

Rows go in and out as :mod:`winlang.state.records`; each batch is one statement per kind of
row (an ``executemany`` of one prepared statement, or one ``IN`` list), never one per message.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from operator import itemgetter

import orjson
import sqlalchemy as sa

from ..contracts.errors import DataError
from ..links import message_id
from ..times import naive_utc, stored_time
from . import tables as T
from .records import ClaimedRow, DeferredRow, PlannedRow, RowUpdate, SkipRow

M = T.messages.c
_CHUNK = 500  # values bound in one IN list: within SQLite's limit
_BEAT_COVERS = timedelta(seconds=1)  # a heartbeat this recent makes another one needless

# The runs of this process that have started and not finished: a run row with this host and
# this pid is alive only if it is one of these (a scheduler may run several in one process).
_LIVE_HERE: set[int] = set()


def wall_clock() -> datetime:
    """The real time, naive UTC (claims, heartbeats, backoff)."""
    return datetime.now(UTC).replace(tzinfo=None)


class RunLedger:
    """The state writes of one run of ``campaign`` at the run clock ``now``."""

    def __init__(
        self,
        engine: sa.Engine,
        campaign: str,
        now: datetime,
        lease_seconds: float = 300.0,
        wall: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.engine = engine
        self.campaign = campaign
        self.now = naive_utc(now)
        self.lease = timedelta(seconds=lease_seconds)
        self.wall = wall
        self.run_id: int | None = None
        self._last_beat: datetime | None = None

    # ---- the run row ---------------------------------------------------------------

    def start(self) -> int:
        """Record the run as running on this host and process; its id."""
        with self.engine.begin() as connection:
            self.run_id = connection.execute(
                T.runs.insert().values(
                    campaign=self.campaign,
                    now=self.now,
                    dry_run=False,
                    status="running",
                    started_at=self.wall(),
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    heartbeat_at=self.wall(),
                )
            ).inserted_primary_key[0]
        _LIVE_HERE.add(self.run_id)
        return self.run_id

    def heartbeat(self) -> None:
        """Tell other runs this one is alive (a plan slice or a batch of results written
        within the last second told them already)."""
        if self._last_beat is not None and self.wall() - self._last_beat < _BEAT_COVERS:
            return
        with self.engine.begin() as connection:
            self._beat(connection)

    def _beat(self, connection: sa.Connection) -> None:
        at = self.wall()
        runs = T.runs
        connection.execute(runs.update().where(runs.c.id == self.run_id).values(heartbeat_at=at))
        self._last_beat = at

    def finish(self, status: str, summary: dict | None = None) -> None:
        """End the run with ``status`` and its summary; claims it still holds go back."""
        _LIVE_HERE.discard(self.run_id)
        with self.engine.begin() as connection:
            connection.execute(
                T.runs.update()
                .where(T.runs.c.id == self.run_id)
                .values(
                    status=status,
                    finished_at=self.wall(),
                    summary=orjson.dumps(summary).decode() if summary is not None else None,
                )
            )
            # Claims a failing run still holds go back to the pool for the next run.
            connection.execute(
                T.messages.update()
                .where(
                    M.campaign == self.campaign, M.claimed_by == self.run_id, M.status == T.PLANNED
                )
                .values(claimed_by=None)
            )

    def release_dead_runs(self) -> int:
        """Mark runs that died mid-run as abandoned and free their claims; the number of
        messages freed."""
        r = T.runs.c
        host, stale = socket.gethostname(), self.wall() - self.lease
        freed = 0
        with self.engine.begin() as connection:
            running = connection.execute(
                sa.select(r.id, r.campaign, r.host, r.pid, r.heartbeat_at).where(
                    r.status == "running", r.id != self.run_id
                )
            ).all()
            for run_id, campaign, run_host, pid, heartbeat in running:
                gone = run_host == host and pid is not None and not _alive(run_id, pid)
                if not (gone or heartbeat is None or heartbeat < stale):
                    continue
                connection.execute(
                    T.runs.update()
                    .where(r.id == run_id)
                    .values(status="abandoned", finished_at=self.wall())
                )
                freed += connection.execute(
                    T.messages.update()
                    .where(M.campaign == campaign, M.claimed_by == run_id, M.status == T.PLANNED)
                    .values(claimed_by=None)
                ).rowcount
        return freed

    # ---- planning --------------------------------------------------------------------

    def record_plan(self, rows: Sequence[PlannedRow], skips: Sequence[SkipRow]) -> set[str]:
        """Write a slice of the plan in one transaction; the keys this run wrote or took over
        from an earlier deferral (the others were planned before, or by a concurrent run, and
        are not this run's to act on). Actions and assignments wait until a firing is
        planned: a deferred one may yet be dropped. The run's heartbeat goes with it."""
        with self.engine.begin() as connection:
            written = self._insert_new(connection, rows)
            written |= self._take_over(connection, [r for r in rows if r.key not in written])
            mine = [r for r in rows if r.key in written and r.status != "deferred"]
            self._assign(connection, mine)
            self._act(connection, mine)
            if skips:
                execute_many(connection, T.skips.insert(), [self._skip(s) for s in skips])
            self._beat(connection)
        return written

    def _insert_new(self, connection: sa.Connection, rows: Sequence[PlannedRow]) -> set[str]:
        """Insert the rows whose key is new; the keys written. One prepared statement for
        the batch (the driver's ``executemany``), an existing key skipped by the database:
        the keys there before, and those a concurrent run wrote first (its run id on them),
        are not this run's. What it wrote is found by the row ids, not by the keys: the
        ids it gets are above every id there before (SQLite's rowid, PostgreSQL's
        sequence), so one range read with this run's id, not a key lookup per row."""
        if not rows:
            return set()
        before = connection.execute(sa.select(sa.func.max(M.id))).scalar() or 0
        fresh = [self._row(r) for r in rows]
        statement = (
            _insert(connection)
            .values({name: sa.bindparam(name, type_=M[name].type) for name in fresh[0]})
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        execute_many(connection, statement, fresh)
        mine = sa.select(M.idempotency_key).where(M.id > before, M.run_id == self.run_id)
        return set(connection.execute(mine).scalars())

    def _take_over(self, connection: sa.Connection, rows: Sequence[PlannedRow]) -> set[str]:
        """Rewrite the deferred rows these firings plan again (sent now, or deferred anew);
        the row lock makes a concurrent run wait, then see the row is no longer deferred."""
        candidates = {r.key: r for r in rows if r.status in ("planned", "deferred")}
        if not candidates:
            return set()
        asked, keys = list(candidates), []
        for start in range(0, len(asked), _CHUNK):
            keys += (
                connection.execute(
                    sa.select(M.idempotency_key)
                    .where(
                        M.idempotency_key.in_(asked[start : start + _CHUNK]),
                        M.status == T.DEFERRED,
                    )
                    .with_for_update()
                )
                .scalars()
                .all()
            )
        if keys:
            kept = ("idempotency_key", "campaign", "rule", "customer_id", "occurrence")
            updates = [
                {
                    "_key": key,
                    **{k: v for k, v in self._row(candidates[key]).items() if k not in kept},
                }
                for key in keys
            ]
            for row in updates:
                row.pop("planned_at")  # when the rule fired: the first deferral
            statement = (
                T.messages.update()
                .where(M.idempotency_key == sa.bindparam("_key"), M.status == T.DEFERRED)
                .values({name: sa.bindparam(name) for name in updates[0] if name != "_key"})
            )
            connection.execute(statement, updates)
        return set(keys)

    def deferred(self) -> dict[tuple[str, str], DeferredRow]:
        """The campaign's deferred firings: (rule, customer) -> where they are."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(M.rule, M.customer_id, M.occurrence, M.id, M.run_id).where(
                    M.campaign == self.campaign, M.status == T.DEFERRED
                )
            ).all()
        return {(r[0], r[1]): DeferredRow(r[2], r[3], r[4]) for r in rows}

    def drop_deferred(self, rows: Sequence[tuple[int, int]], skips: Sequence[SkipRow]) -> int:
        """Delete deferred rows this run found no longer sendable, given as (row id, the run
        id read with it): a row another run has planned or deferred since is left alone.
        ``skips`` record why."""
        if not rows:
            return 0
        dropped = 0
        with self.engine.begin() as connection:
            for start in range(0, len(rows), _CHUNK):
                chunk = [tuple(pair) for pair in rows[start : start + _CHUNK]]
                dropped += len(
                    connection.execute(
                        T.messages.delete()
                        .where(sa.tuple_(M.id, M.run_id).in_(chunk), M.status == T.DEFERRED)
                        .returning(M.id)
                    ).all()
                )
            if skips:
                connection.execute(T.skips.insert(), [self._skip(s) for s in skips])
        return dropped

    def next_due(self) -> datetime | None:
        """When the campaign's earliest deferred firing is due (the run clock, naive UTC)."""
        return next_due(self.engine, self.campaign)

    def waiting(self) -> int:
        """How many deferred firings of the campaign wait in the ledger."""
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).where(
                    M.campaign == self.campaign, M.status == T.DEFERRED
                )
            ).scalar_one()

    def _row(self, row: PlannedRow) -> dict[str, object]:
        return {
            "idempotency_key": row.key,
            "run_id": self.run_id,
            "campaign": self.campaign,
            "rule": row.rule,
            "customer_id": row.customer_id,
            "occurrence": row.occurrence,
            "channel": row.channel,
            "template": row.template,
            "variant": row.variant,
            "address": row.address,
            "status": row.status,
            "attempts": 0,
            "parts": row.parts,
            "planned_at": self.now,
            "step": row.step,
            "payload": row.payload,
            "due_at": naive_utc(row.due_at) if row.due_at is not None else None,
            # the token of the row's short links, found again by `winlang serve` (0005)
            "message_id": message_id(row.key),
        }

    def _skip(self, skip: SkipRow) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "rule": skip.rule,
            "customer_id": skip.customer_id,
            "reason": skip.reason,
            "until": skip.until,
        }

    def _assign(self, connection: sa.Connection, rows: Sequence[PlannedRow]) -> None:
        assignments = []
        for r in rows:
            if r.status == "held_out":
                assignments.append(self._assignment("holdout", r.customer_id, "held_out"))
            if r.variant is not None:
                assignments.append(self._assignment(f"variant:{r.rule}", r.customer_id, r.variant))
        _insert_ignoring(connection, T.assignments, assignments)

    def _assignment(self, kind: str, customer: str, value: str) -> dict[str, object]:
        return {
            "campaign": self.campaign,
            "kind": kind,
            "customer_id": customer,
            "value": value,
            "assigned_at": self.now,
        }

    def _act(self, connection: sa.Connection, rows: Sequence[PlannedRow]) -> None:
        """List and unsubscribe actions, in the order written for each customer."""
        depth = max((len(r.actions) for r in rows), default=0)
        for position in range(depth):
            adds, removes, unsubscribes = [], [], []
            for r in rows:
                if position >= len(r.actions):
                    continue
                action = r.actions[position]
                if action.op == "unsubscribe":
                    unsubscribes.append(
                        {
                            "customer_id": r.customer_id,
                            "channel": action.name,
                            "campaign": self.campaign,
                            "at": self.now,
                        }
                    )
                elif action.op == "add":
                    adds.append(
                        {
                            "list_name": action.name,
                            "customer_id": r.customer_id,
                            "campaign": self.campaign,
                            "added_at": self.now,
                        }
                    )
                else:
                    removes.append({"name": action.name, "customer": r.customer_id})
            self._rejoin(connection, adds)
            _insert_ignoring(connection, T.list_members, adds)
            _insert_ignoring(connection, T.suppressions, unsubscribes)
            self._leave(connection, removes)

    def _rejoin(self, connection: sa.Connection, adds: list[dict[str, object]]) -> None:
        """Former members added again: a member from now on; a removal this very run made
        is simply undone (the customer was a member before it)."""
        if not adds:
            return
        lm = T.list_members.c
        undone = sa.and_(lm.removed_at == self.now, lm.removed_by == self.campaign)
        connection.execute(
            T.list_members.update()
            .where(
                lm.list_name == sa.bindparam("name"),
                lm.customer_id == sa.bindparam("customer"),
                lm.removed_at.is_not(None),
            )
            .values(
                added_at=sa.case((undone, lm.added_at), else_=self.now),
                campaign=sa.case((undone, lm.campaign), else_=self.campaign),
                removed_at=None,
                removed_by=None,
            ),
            [{"name": a["list_name"], "customer": a["customer_id"]} for a in adds],
        )

    def _leave(self, connection: sa.Connection, removes: list[dict[str, object]]) -> None:
        """Members removed: kept with the time and campaign of the removal, so a run at this
        same clock still sees the list as it was before (:class:`winlang.state.LedgerView`)."""
        if not removes:
            return
        lm = T.list_members.c
        connection.execute(
            T.list_members.update()
            .where(
                lm.list_name == sa.bindparam("name"),
                lm.customer_id == sa.bindparam("customer"),
                lm.removed_at.is_(None),
            )
            .values(removed_at=self.now, removed_by=self.campaign),
            removes,
        )

    # ---- sending ---------------------------------------------------------------------

    def claim(self, limit: int) -> list[ClaimedRow]:
        """Up to ``limit`` planned messages of the campaign that are due and free, now held
        by this run (oldest first)."""
        due = sa.or_(M.next_attempt_at.is_(None), M.next_attempt_at <= self.wall())
        free = [M.campaign == self.campaign, M.status == T.PLANNED, M.claimed_by.is_(None)]
        # One statement: the oldest free rows, picked and taken at once (the outer
        # conditions are checked again on each row: another run may have won one).
        picked = sa.select(M.id).where(*free, due).order_by(M.id).limit(limit)
        with self.engine.begin() as connection:
            rows = connection.execute(
                T.messages.update()
                .where(M.id.in_(picked.scalar_subquery()), *free)
                .values(claimed_by=self.run_id)
                .returning(
                    M.id,
                    M.idempotency_key,
                    M.rule,
                    M.customer_id,
                    M.step,
                    M.attempts,
                    M.payload,
                    M.run_id,
                    M.channel,
                )
            ).all()
        return sorted((ClaimedRow(*row) for row in rows), key=lambda c: c.id)

    def apply(self, updates: Sequence[RowUpdate]) -> None:
        """Record send results in one transaction, one prepared statement per shape of
        update (the driver's ``executemany``); a row is only touched while this run holds
        it (if it was taken over after a stall, the new holder's word counts)."""
        by_shape: dict[tuple[str, ...], list[dict[str, object]]] = {}
        run = self.run_id
        for update in updates:  # the columns in the order given: one shape per kind of result
            row = {"_id": update.id, "_run": run, **update.values}
            by_shape.setdefault(tuple(update.values), []).append(row)
        with self.engine.begin() as connection:
            for shape, rows in by_shape.items():
                statement = (
                    T.messages.update()
                    .where(M.id == sa.bindparam("_id"), M.claimed_by == sa.bindparam("_run"))
                    .values({name: sa.bindparam(name, type_=M[name].type) for name in shape})
                )
                execute_many(connection, statement, rows)
            if updates:
                self._beat(connection)

    def next_retry_at(self) -> datetime | None:
        """When the earliest free message of the campaign waiting out a backoff is due. A
        backoff time that can't be read is cleared, so the message is due at once rather
        than blocking the run (it is a planned message: sending it is the safe outcome)."""
        waiting = [
            M.campaign == self.campaign,
            M.status == T.PLANNED,
            M.claimed_by.is_(None),
            M.next_attempt_at.is_not(None),
        ]
        raw = sa.type_coerce(M.next_attempt_at, sa.String)
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(M.id, raw).where(*waiting)).all()
        times = {id_: stored_time(value) for id_, value in rows}
        unreadable = [id_ for id_, when in times.items() if when is None]
        if not unreadable:
            return min(times.values(), default=None)
        with self.engine.begin() as connection:
            connection.execute(
                T.messages.update()
                .where(M.id.in_(unreadable), *waiting)
                .values(next_attempt_at=None)
            )
        return self.wall()


def next_due(engine: sa.Engine, campaign: str) -> datetime | None:
    """When ``campaign``'s earliest deferred firing is due (naive UTC), None if none waits."""
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.min(M.due_at)).where(M.campaign == campaign, M.status == T.DEFERRED)
        ).scalar()


def _alive(run_id: int, pid: int) -> bool:
    """Whether the run ``run_id`` of process ``pid`` on this host still runs."""
    if pid == os.getpid():  # ours, or an earlier process's whose pid we were given again
        return run_id in _LIVE_HERE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def insert_ignoring(
    connection: sa.Connection, table: sa.Table, rows: list[dict[str, object]]
) -> list[object]:
    """Insert ``rows``, skipping those whose primary or unique key exists; the first key
    column of the rows that were written."""
    if not rows:
        return []
    key = _conflict_key(table)
    dialect = connection.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise DataError(f"the state database must be SQLite or PostgreSQL, not {dialect}")
    statement = insert(table).on_conflict_do_nothing(index_elements=key)
    return connection.execute(statement.returning(table.c[key[0]]), rows).scalars().all()


_insert_ignoring = insert_ignoring


def _insert(connection: sa.Connection):
    """The dialect's INSERT, which knows ``ON CONFLICT``."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise DataError(f"the state database must be SQLite or PostgreSQL, not {dialect}")
    return insert(T.messages)


def execute_many(
    connection: sa.Connection, statement: sa.Executable, rows: Sequence[dict[str, object]]
) -> None:
    """Run ``statement`` once per row with the driver's ``executemany``: one prepared
    statement, values through their types' bind processors (SQLite's text times), without
    SQLAlchemy's per-row parameter handling (most of the time of a large batch). Each row
    has a value for every parameter of the statement."""
    if not rows:
        return
    compiled = statement.compile(dialect=connection.dialect)
    names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    converted = [
        (i, process)
        for i, name in enumerate(names)
        if (process := _processor(compiled.binds[name], connection.dialect)) is not None
    ]
    take = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    params: list = []
    seen: dict[int, tuple[object, object]] = {}  # the run's clock, the same in every row
    for row in rows:
        values = take(row)
        if converted:
            values = list(values)
            for i, process in converted:
                value = values[i]
                if value is None:
                    continue
                last = seen.get(i)
                if last is None or last[0] is not value:
                    last = seen[i] = (value, process(value))
                values[i] = last[1]
        named = not compiled.positional
        params.append(dict(zip(names, values, strict=True)) if named else tuple(values))
    connection.exec_driver_sql(compiled.string, params)


def _processor(bind: sa.BindParameter, dialect: sa.Dialect):
    return bind.type.dialect_impl(dialect).bind_processor(dialect)


def _conflict_key(table: sa.Table) -> list[str]:
    unique = [c.name for c in table.columns if c.unique]
    return unique or [c.name for c in table.primary_key.columns]
