"""The ledger's writes: runs, planned firings, claims, send results. One transaction each.

The rules that make delivery exactly-once (see docs/delivery.md):

* a firing's row is written before any channel call; its idempotency key is unique, so two
  runs planning the same firing at once write it once (the loser's insert is ignored);
* a run sends only the messages it *claimed*; a claim is taken with a conditional update, so
  two runs never hold the same message;
* a run that dies leaves its claims behind; the next run releases them once the dead run is
  known dead: its process is gone (same host) or its heartbeat is older than the lease;
* a firing deferred by quiet hours is a ``deferred`` row with its ``due_at``, never claimed.
  A later run in which the customer still matches the rule and may be messaged takes the
  row over (``deferred`` to ``planned``, a conditional update under a row lock, so two runs
  never both do); a run in which they no longer match or may not be messaged deletes it
  (conditional too: only if no other run re-planned it meanwhile). It is never written twice.
* what a run writes is stamped with its clock ``now`` (``planned_at``, ``sent_at``, list and
  unsubscribe times), and what the campaign wrote at ``now`` is never history to a run at that
  same ``now`` (:class:`winlang.state.LedgerView`): a rerun after a crash decides exactly as
  the run it resumes, and sends what that run left;
* a row that can't be sent as planned (damaged, or on a channel gone from the configuration)
  is failed with its reason, never left to stop every later run.

Times: ``now`` is the run's clock (``--now``; what rules and ``received`` see); claims,
heartbeats and backoff use the wall clock. Both are stored as naive UTC.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import sqlalchemy as sa

from .. import ast as A
from ..contracts.errors import DataError
from ..contracts.message import Message
from ..state import State
from ..state import tables as T
from ..times import naive_utc, stored_time
from .prepare import Firing, Skip

M = T.messages.c

# The runs of this process that have started and not finished: a run row with this host and
# this pid is alive only if it is one of these (a scheduler may run several in one process).
_LIVE_HERE: set[int] = set()


def wall_clock() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A planned message this run holds: the firing's row and its remaining steps.

    ``problem`` says why a row can't be sent as it stands (its payload or counters can't be
    read): the sender fails it with that reason instead of sending it.
    """

    id: int
    key: str
    rule: str
    customer_id: str
    step: int
    attempts: int
    messages: tuple[tuple[int, Message], ...]
    planned_by: int  # the run that planned it: another one when this run resumes its work
    problem: str | None = None
    row_channel: str | None = None  # the row's `channel` column, kept for a problem row

    @property
    def message(self) -> Message:
        return next(m for step, m in self.messages if step == self.step)

    @property
    def channel(self) -> str:
        """The channel of the current step; the row's, when its payload can't be read."""
        return self.message.channel if self.messages else self.row_channel or "?"

    def next_step(self) -> tuple[int, Message] | None:
        """The failover after a permanent failure of the current step, if any."""
        return next(((s, m) for s, m in self.messages if s > self.step), None)


class UnreadableRow(ValueError):
    """A ledger row whose payload or counters are not what winlang writes."""


def read_claimed(row: Sequence[object]) -> Claimed:
    """A claimed row (id, key, rule, customer, step, attempts, payload, run, channel) as a
    :class:`Claimed`; a row that can't be read comes back with its ``problem`` and no
    messages, so one damaged row never stops a run."""
    id_, key, rule, customer, step, attempts, text, planned_by, channel = row
    try:
        messages = messages_of(text)
        if not _whole(attempts) or attempts < 0:
            raise UnreadableRow(f"attempts is {attempts!r}, not a count")
        if step not in {s for s, _ in messages} or not _whole(step):
            raise UnreadableRow(f"step {step!r} is not one of the payload's steps")
    except UnreadableRow as error:
        problem = f"unreadable ledger row: {error}"
        return Claimed(id_, key, rule, str(customer), -1, 0, (), planned_by, problem, channel)
    return Claimed(id_, key, rule, str(customer), step, attempts, messages, planned_by)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class Update:
    """What a send result does to a message row (see :mod:`winlang.deliver.send`)."""

    id: int
    values: dict[str, object]


def payload(messages: Sequence[tuple[int, Message]]) -> str:
    return orjson.dumps([{"step": s, "message": m.as_json()} for s, m in messages]).decode()


def messages_of(text: str | None) -> tuple[tuple[int, Message], ...]:
    """The (step, message) pairs of a ``payload``; :class:`UnreadableRow` saying what is
    wrong when ``text`` is not one."""
    try:
        items = orjson.loads(text) if isinstance(text, str | bytes) else None
    except orjson.JSONDecodeError as error:
        raise UnreadableRow(f"payload is not valid JSON ({error})") from None
    if not isinstance(items, list) or not items:
        raise UnreadableRow("payload is not a list of messages")
    return tuple(_step(item) for item in items)


def _step(item: object) -> tuple[int, Message]:
    if not isinstance(item, dict) or not _whole(item.get("step")):
        raise UnreadableRow("a payload item has no whole-number `step`")
    data = item.get("message")
    try:
        message = Message.from_json(data) if isinstance(data, dict) else None
    except TypeError as error:
        raise UnreadableRow(f"a payload message does not fit ({error})") from None
    texts = ("idempotency_key", "campaign", "rule", "customer_id", "channel", "template", "to")
    if message is None or not all(isinstance(getattr(message, n), str) for n in texts):
        raise UnreadableRow(f"the message of step {item['step']} is not a message")
    return item["step"], message


class Ledger:
    """The state writes of one run of one campaign."""

    def __init__(
        self,
        state: State,
        campaign: str,
        now: datetime,
        lease_seconds: float = 300.0,
        wall: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.engine = state.engine
        self.campaign = campaign
        self.now = naive_utc(now)
        self.lease = timedelta(seconds=lease_seconds)
        self.wall = wall
        self.run_id: int | None = None

    # ---- the run row ---------------------------------------------------------------

    def start(self) -> int:
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
        with self.engine.begin() as connection:
            connection.execute(
                T.runs.update().where(T.runs.c.id == self.run_id).values(heartbeat_at=self.wall())
            )

    def finish(self, status: str, summary: dict | None = None) -> None:
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
                .where(M.claimed_by == self.run_id, M.status == "planned")
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
                sa.select(r.id, r.host, r.pid, r.heartbeat_at).where(
                    r.status == "running", r.id != self.run_id
                )
            ).all()
            for run_id, run_host, pid, heartbeat in running:
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
                    .where(M.claimed_by == run_id, M.status == "planned")
                    .values(claimed_by=None)
                ).rowcount
        return freed

    # ---- planning --------------------------------------------------------------------

    def record_plan(self, firings: Sequence[Firing], skips: Sequence[Skip]) -> set[str]:
        """Write a slice of the plan in one transaction; the keys this run wrote or took over
        from an earlier deferral (the others were planned before, or by a concurrent run, and
        are not this run's to act on). Actions and assignments wait until a firing is
        planned: a deferred one may yet be dropped."""
        with self.engine.begin() as connection:
            written = set(_insert_ignoring(connection, T.messages, [self._row(f) for f in firings]))
            written |= self._take_over(connection, [f for f in firings if f.key not in written])
            mine = [f for f in firings if f.key in written and f.status != "deferred"]
            self._assign(connection, mine)
            self._act(connection, mine)
            if skips:
                connection.execute(T.skips.insert(), [self._skip(s) for s in skips])
        return written

    def _take_over(self, connection: sa.Connection, firings: Sequence[Firing]) -> set[str]:
        """Rewrite the deferred rows these firings plan again (sent now, or deferred anew);
        the row lock makes a concurrent run wait, then see the row is no longer deferred."""
        candidates = {f.key: f for f in firings if f.status in ("planned", "deferred")}
        if not candidates:
            return set()
        asked, keys = list(candidates), []
        for start in range(0, len(asked), 500):  # within SQLite's limit on bound values
            keys += (
                connection.execute(
                    sa.select(M.idempotency_key)
                    .where(
                        M.idempotency_key.in_(asked[start : start + 500]), M.status == "deferred"
                    )
                    .with_for_update()
                )
                .scalars()
                .all()
            )
        if keys:
            kept = ("idempotency_key", "campaign", "rule", "customer_id", "occurrence")
            rows = [
                {
                    "_key": key,
                    **{k: v for k, v in self._row(candidates[key]).items() if k not in kept},
                }
                for key in keys
            ]
            for row in rows:
                row.pop("planned_at")  # when the rule fired: the first deferral
            statement = (
                T.messages.update()
                .where(M.idempotency_key == sa.bindparam("_key"), M.status == "deferred")
                .values({name: sa.bindparam(name) for name in rows[0] if name != "_key"})
            )
            connection.execute(statement, rows)
        return set(keys)

    def deferred(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        """The campaign's deferred firings: (rule, customer) -> (occurrence, row id, run id)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(M.rule, M.customer_id, M.occurrence, M.id, M.run_id).where(
                    M.campaign == self.campaign, M.status == "deferred"
                )
            ).all()
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}

    def drop_deferred(self, rows: Sequence[tuple[int, int]], skips: Sequence[Skip]) -> int:
        """Delete deferred rows this run found no longer sendable, given as (row id, the run
        id read with it): a row another run has planned or deferred since is left alone.
        ``skips`` record why, for customers the run did not skip for a reason of its own."""
        if not rows:
            return 0
        dropped = 0
        with self.engine.begin() as connection:
            for start in range(0, len(rows), 500):
                chunk = [tuple(pair) for pair in rows[start : start + 500]]
                dropped += len(
                    connection.execute(
                        T.messages.delete()
                        .where(sa.tuple_(M.id, M.run_id).in_(chunk), M.status == "deferred")
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
                    M.campaign == self.campaign, M.status == "deferred"
                )
            ).scalar_one()

    def _row(self, firing: Firing) -> dict[str, object]:
        first = firing.messages[0] if firing.messages else None
        message = first[1] if first else None
        return {
            "idempotency_key": firing.key,
            "run_id": self.run_id,
            "campaign": self.campaign,
            "rule": firing.rule,
            "customer_id": firing.customer_id,
            "occurrence": firing.occurrence,
            "channel": message.channel if message else None,
            "template": message.template if message else None,
            "variant": firing.variant,
            "address": message.to if message else None,
            "status": firing.status,
            "attempts": 0,
            "parts": message.parts if message else None,
            "planned_at": self.now,
            "step": first[0] if first else None,
            "payload": payload(firing.messages) if firing.messages else None,
            "due_at": naive_utc(firing.due) if firing.due is not None else None,
        }

    def _skip(self, skip: Skip) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "rule": skip.rule,
            "customer_id": skip.customer_id,
            "reason": skip.reason,
            "until": skip.until,
        }

    def _assign(self, connection: sa.Connection, firings: Iterable[Firing]) -> None:
        rows = []
        for f in firings:
            if f.status == "held_out":
                rows.append(self._assignment("holdout", f.customer_id, "held_out"))
            if f.variant is not None:
                rows.append(self._assignment(f"variant:{f.rule}", f.customer_id, f.variant))
        _insert_ignoring(connection, T.assignments, rows)

    def _assignment(self, kind: str, customer: str, value: str) -> dict[str, object]:
        return {
            "campaign": self.campaign,
            "kind": kind,
            "customer_id": customer,
            "value": value,
            "assigned_at": self.now,
        }

    def _act(self, connection: sa.Connection, firings: Sequence[Firing]) -> None:
        """List and unsubscribe actions, in the order written for each customer."""
        depth = max((len(f.actions) for f in firings), default=0)
        for position in range(depth):
            adds, removes, unsubscribes = [], [], []
            for f in firings:
                if position >= len(f.actions):
                    continue
                action = f.actions[position]
                if isinstance(action, A.Unsubscribe):
                    channel = action.channel.name if action.channel else "*"
                    unsubscribes.append(
                        {
                            "customer_id": f.customer_id,
                            "channel": channel,
                            "campaign": self.campaign,
                            "at": self.now,
                        }
                    )
                elif action.op == "add":
                    adds.append(
                        {
                            "list_name": action.list_name,
                            "customer_id": f.customer_id,
                            "campaign": self.campaign,
                            "added_at": self.now,
                        }
                    )
                else:
                    removes.append({"name": action.list_name, "customer": f.customer_id})
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

    def claim(self, limit: int) -> list[Claimed]:
        """Up to ``limit`` planned messages of the campaign that are due and free, now held
        by this run (oldest first)."""
        due = sa.or_(M.next_attempt_at.is_(None), M.next_attempt_at <= self.wall())
        free = [M.campaign == self.campaign, M.status == "planned", M.claimed_by.is_(None)]
        with self.engine.begin() as connection:
            ids = (
                connection.execute(sa.select(M.id).where(*free, due).order_by(M.id).limit(limit))
                .scalars()
                .all()
            )
            if not ids:
                return []
            rows = connection.execute(
                T.messages.update()
                .where(M.id.in_(ids), *free)  # checked again: another run may have won a row
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
        return sorted(map(read_claimed, rows), key=lambda c: c.id)

    def apply(self, updates: Sequence[Update]) -> None:
        """Record send results in one transaction; a row is only touched while this run
        holds it (if it was taken over after a stall, the new holder's word counts)."""
        by_shape: dict[tuple[str, ...], list[dict[str, object]]] = {}
        for update in updates:
            row = {"_id": update.id, **update.values}
            by_shape.setdefault(tuple(sorted(update.values)), []).append(row)
        with self.engine.begin() as connection:
            for shape, rows in by_shape.items():
                statement = (
                    T.messages.update()
                    .where(M.id == sa.bindparam("_id"), M.claimed_by == self.run_id)
                    .values({name: sa.bindparam(name) for name in shape})
                )
                connection.execute(statement, rows)

    def next_retry_at(self) -> datetime | None:
        """When the earliest free message of the campaign waiting out a backoff is due. A
        backoff time that can't be read is cleared, so the message is due at once rather
        than blocking the run (it is a planned message: sending it is the safe outcome)."""
        waiting = [
            M.campaign == self.campaign,
            M.status == "planned",
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
            sa.select(sa.func.min(M.due_at)).where(M.campaign == campaign, M.status == "deferred")
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


def _insert_ignoring(
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


def _conflict_key(table: sa.Table) -> list[str]:
    unique = [c.name for c in table.columns if c.unique]
    return unique or [c.name for c in table.primary_key.columns]
