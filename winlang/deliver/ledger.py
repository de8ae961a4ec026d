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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from .. import ast as A
from ..contracts.message import Message
from ..state import State
from ..state.ledger import wall_clock
from ..state.records import ALL_CHANNELS, ClaimedRow, ListChange, PlannedRow, RowUpdate, SkipRow
from .prepare import Firing, Skip

__all__ = ["Claimed", "Ledger", "UnreadableRow", "Update", "read_claimed", "wall_clock"]


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
        """The message of the current step (read several times per message sent: the first
        step, nearly always the one, is looked at before the loop)."""
        messages, step = self.messages, self.step
        if messages and messages[0][0] == step:
            return messages[0][1]
        for at, message in messages:
            if at == step:
                return message
        raise LookupError(f"no step {self.step} in the payload of {self.key}")

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
        if not _whole(step) or all(s != step for s, _ in messages):
            raise UnreadableRow(f"step {step!r} is not one of the payload's steps")
    except UnreadableRow as error:
        problem = f"unreadable ledger row: {error}"
        return Claimed(id_, key, rule, str(customer), -1, 0, (), planned_by, problem, channel)
    return Claimed(id_, key, rule, str(customer), step, attempts, messages, planned_by)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


Update = RowUpdate  # what a send result does to a message row (see :mod:`.send`)


def payload(messages: Sequence[tuple[int, Message]]) -> str:
    return orjson.dumps([{"step": s, "message": m.as_json()} for s, m in messages]).decode()


def messages_of(text: str | None) -> tuple[tuple[int, Message], ...]:
    """The (step, message) pairs of a ``payload``; :class:`UnreadableRow` saying what is
    wrong when ``text`` is not one. Read once per message sent: the checks are plain type
    tests, the message made from the JSON object as it comes."""
    try:
        items = orjson.loads(text) if isinstance(text, str | bytes) else None
    except orjson.JSONDecodeError as error:
        raise UnreadableRow(f"payload is not valid JSON ({error})") from None
    if type(items) is not list or not items:
        raise UnreadableRow("payload is not a list of messages")
    return tuple([_step(item) for item in items])


def _step(item: object) -> tuple[int, Message]:
    step = item.get("step") if type(item) is dict else None
    if not _whole(step):
        raise UnreadableRow("a payload item has no whole-number `step`")
    data = item.get("message")  # type: ignore[union-attr]
    message = None
    if type(data) is dict:  # fresh from the JSON: its own keyword arguments
        data.pop("message_id", None)
        try:
            message = Message(**data)
        except TypeError as error:
            raise UnreadableRow(f"a payload message does not fit ({error})") from None
    if message is None or not _texts(message):
        raise UnreadableRow(f"the message of step {step} is not a message")
    return step, message


def _texts(message: Message) -> bool:
    """Whether the fields a message can't be without are texts (exactly: not a subclass)."""
    return (
        type(message.idempotency_key) is str
        and type(message.campaign) is str
        and type(message.rule) is str
        and type(message.customer_id) is str
        and type(message.channel) is str
        and type(message.template) is str
        and type(message.to) is str
    )


class Ledger:
    """The state writes of one run of one campaign: firings become the state's rows here,
    and the rows it hands back become :class:`Claimed` messages."""

    def __init__(
        self,
        state: State,
        campaign: str,
        now: datetime,
        lease_seconds: float = 300.0,
        wall: Callable[[], datetime] = wall_clock,
    ) -> None:
        self.rows = state.ledger(campaign, now, lease_seconds, wall)
        self.campaign = campaign
        self.now = self.rows.now
        self.wall = wall

    @property
    def run_id(self) -> int | None:
        return self.rows.run_id

    def start(self) -> int:
        return self.rows.start()

    def heartbeat(self) -> None:
        self.rows.heartbeat()

    def finish(self, status: str, summary: dict | None = None) -> None:
        self.rows.finish(status, summary)

    def release_dead_runs(self) -> int:
        """Mark runs that died mid-run as abandoned and free their claims; the number of
        messages freed."""
        return self.rows.release_dead_runs()

    def record_plan(self, firings: Sequence[Firing], skips: Sequence[Skip]) -> set[str]:
        """Write a slice of the plan in one transaction; the keys this run wrote or took over
        from an earlier deferral (see :meth:`winlang.state.ledger.RunLedger.record_plan`)."""
        return self.rows.record_plan([planned_row(f) for f in firings], skip_rows(skips))

    def deferred(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        """The campaign's deferred firings: (rule, customer) -> (occurrence, row id, run id)."""
        return {
            pair: (row.occurrence, row.id, row.run_id) for pair, row in self.rows.deferred().items()
        }

    def drop_deferred(self, rows: Sequence[tuple[int, int]], skips: Sequence[Skip]) -> int:
        """Delete deferred rows this run found no longer sendable, given as (row id, the run
        id read with it): a row another run has planned or deferred since is left alone."""
        return self.rows.drop_deferred(rows, skip_rows(skips))

    def next_due(self) -> datetime | None:
        """When the campaign's earliest deferred firing is due (the run clock, naive UTC)."""
        return self.rows.next_due()

    def waiting(self) -> int:
        """How many deferred firings of the campaign wait in the ledger."""
        return self.rows.waiting()

    def claim(self, limit: int) -> list[Claimed]:
        """Up to ``limit`` planned messages of the campaign that are due and free, now held
        by this run (oldest first)."""
        return [read_claimed(_fields(row)) for row in self.rows.claim(limit)]

    def apply(self, updates: Sequence[Update]) -> None:
        """Record send results in one transaction (only rows this run still holds)."""
        self.rows.apply(updates)

    def next_retry_at(self) -> datetime | None:
        """When the earliest free message waiting out a backoff is due."""
        return self.rows.next_retry_at()


def planned_row(firing: Firing) -> PlannedRow:
    """A firing as the ledger's row: its first message describes the row."""
    first = firing.messages[0] if firing.messages else None
    message = first[1] if first else None
    return PlannedRow(
        key=firing.key,
        rule=firing.rule,
        customer_id=firing.customer_id,
        occurrence=firing.occurrence,
        status=firing.status,
        variant=firing.variant,
        channel=message.channel if message else None,
        template=message.template if message else None,
        address=message.to if message else None,
        parts=message.parts if message else None,
        step=first[0] if first else None,
        payload=payload(firing.messages) if firing.messages else None,
        due_at=firing.due,
        actions=tuple(map(list_change, firing.actions)),
    )


def list_change(action: A.ListAction | A.Unsubscribe) -> ListChange:
    """A list or unsubscribe action as the state records it."""
    if isinstance(action, A.Unsubscribe):
        return ListChange("unsubscribe", action.channel.name if action.channel else ALL_CHANNELS)
    return ListChange(action.op, action.list_name)


def skip_rows(skips: Sequence[Skip]) -> list[SkipRow]:
    return [SkipRow(s.rule, s.customer_id, s.reason, s.until) for s in skips]


def _fields(row: ClaimedRow) -> tuple:
    return (
        row.id,
        row.key,
        row.rule,
        row.customer_id,
        row.step,
        row.attempts,
        row.payload,
        row.planned_by,
        row.channel,
    )


def next_due(state: State, campaign: str) -> datetime | None:
    """When ``campaign``'s earliest deferred firing is due (naive UTC), None if none waits."""
    return state.next_due(campaign)
