"""The sending loop: claim planned messages, send them in batches, record every result.

Batches go out on a bounded thread pool (``[delivery] concurrency``) at each channel's rate.
A result becomes an :class:`~winlang.deliver.ledger.Update` by :func:`settle`, a pure
function: sent; a temporary failure retried after an exponential backoff, failed once
``max_attempts`` are spent; a permanent failure moved to the next usable step of the send
chain (the rule's ``else send``), or failed when there is none.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..config import DeliverySettings
from ..contracts.message import Outcome, SendResult
from .channels import ChannelPool
from .ledger import Claimed, Ledger, Update


def backoff(attempts: int, settings: DeliverySettings) -> float:
    """Seconds to wait after the ``attempts``-th temporary failure.

    >>> [backoff(n, DeliverySettings()) for n in (1, 2, 3)]
    [2.0, 4.0, 8.0]
    """
    doubling = 2.0 ** min(attempts - 1, 64)  # capped first: no overflow at any attempt count
    return min(settings.backoff_seconds * doubling, settings.backoff_max_seconds)


@dataclass
class Tally:
    """What the sending loop did, per rule and channel, for the run summary."""

    sent: Counter = field(default_factory=Counter)  # rule -> messages sent
    failed: Counter = field(default_factory=Counter)  # rule -> messages failed for good
    # (rule, channel, reason) -> messages failed for good, for the summary to say which
    failures: Counter = field(default_factory=Counter)
    channels: defaultdict = field(default_factory=lambda: defaultdict(Counter))
    parts: Counter = field(default_factory=Counter)  # rule -> SMS parts sent (billed messages)
    retries: int = 0
    failovers: int = 0
    resumed: int = 0  # messages planned by another run, sent by this one
    seconds: float = 0.0  # wall time of the sending loop (for the throughput, not a total)

    REASONS = 100  # distinct reasons kept per rule and channel; the rest are counted as one

    def fail(self, rule: str, channel: str, error: str) -> None:
        """Count a message of ``rule`` failed for good on ``channel``; ``error`` is the
        ledger's (``sms: 400 invalid number``), its channel prefix left out. Providers may
        put an id in every refusal: past ``REASONS`` of them, the rest share one line."""
        self.failed[rule] += 1
        reason = error.removeprefix(f"{channel}: ")
        if (rule, channel, reason) not in self.failures:
            known = sum(1 for r, c, _ in self.failures if (r, c) == (rule, channel))
            if known >= self.REASONS:
                reason = "other reasons (the ledger's `error` has each)"
        self.failures[(rule, channel, reason)] += 1

    def throughput(self) -> dict[str, float | int | None]:
        """Messages sent, the seconds the sending loop took, and messages per second.

        >>> tally = Tally(seconds=2.0)
        >>> tally.sent["a"] = 13_000
        >>> tally.throughput()
        {'messages': 13000, 'seconds': 2.0, 'messages_per_second': 6500}
        """
        sent, seconds = sum(self.sent.values()), round(self.seconds, 3)
        rate = round(sent / seconds) if seconds > 0 else None  # the numbers shown agree
        return {"messages": sent, "seconds": seconds, "messages_per_second": rate}

    def totals(self) -> dict[str, int]:
        return {
            "sent": sum(self.sent.values()),
            "failed": sum(self.failed.values()),
            "sms_parts": sum(self.parts.values()),
            "retries": self.retries,
            "failovers": self.failovers,
            "resumed": self.resumed,
        }


def settle(
    claimed: Claimed,
    result: SendResult,
    settings: DeliverySettings,
    now: datetime,
    wall: datetime,
) -> tuple[Update, str]:
    """The row update for one result, and what happened: sent, retry, failover, failed, or
    requeued (a message the channel never transmitted: back in the queue, no attempt
    counted). ``now`` is the run's clock (``sent_at``), ``wall`` the real time (backoff)."""
    channel = claimed.message.channel
    done = {"claimed_by": None, "next_attempt_at": None}
    if not result.attempted and result.outcome == Outcome.TEMPORARY:
        return Update(claimed.id, done), "requeued"  # never transmitted: costs no attempt
    attempts = claimed.attempts + 1
    failed = {**done, "status": "failed", "attempts": attempts}
    if result.outcome == Outcome.SENT:  # nearly every result: one dict, written out
        values = {
            "claimed_by": None,
            "next_attempt_at": None,
            "status": "sent",
            "provider_id": result.provider_id,
            "sent_at": now,
            "attempts": attempts,
        }
        return Update(claimed.id, values), "sent"
    error = f"{channel}: {result.error or result.outcome.value}"
    if result.outcome == Outcome.TEMPORARY:
        if attempts >= settings.max_attempts:
            error = f"{error} (gave up after {attempts} attempts)"
            return Update(claimed.id, {**failed, "error": error}), "failed"
        retry_at = wall + timedelta(seconds=backoff(attempts, settings))
        values = {"attempts": attempts, "error": error, "next_attempt_at": retry_at}
        return Update(claimed.id, {**done, **values}), "retry"
    following = claimed.next_step()
    if following is None:
        return Update(claimed.id, {**failed, "error": error}), "failed"
    step, message = following
    values = {
        "step": step,
        "channel": message.channel,
        "template": message.template,
        "address": message.to,
        "parts": message.parts,
        "attempts": 0,
        "error": error,
    }
    return Update(claimed.id, {**done, **values}), "failover"


def charged(results: Sequence[SendResult]) -> Sequence[SendResult]:
    """``results``, where a batch of which nothing was attempted counts as attempted:
    each batch then costs at least one attempt, so a channel that never transmits
    can't keep a run going forever."""
    if not results or any(r.attempted for r in results):
        return results
    return [replace(r, attempted=True) for r in results]


def fail(claimed: Claimed, error: str) -> Update:
    """The row update that fails ``claimed`` for good without sending it."""
    values = {"status": "failed", "error": error, "claimed_by": None, "next_attempt_at": None}
    return Update(claimed.id, values)


def batches(claimed: Sequence[Claimed], size: Callable[[str], int]) -> Iterator[list[Claimed]]:
    """``claimed`` grouped by current channel, at most ``size(channel)`` to a batch."""
    by_channel: dict[str, list[Claimed]] = defaultdict(list)
    for item in claimed:
        by_channel[item.message.channel].append(item)
    for channel, items in by_channel.items():
        step = size(channel)
        for start in range(0, len(items), step):
            yield items[start : start + step]


class Sender:
    """Sends every planned message of the campaign that this run can claim."""

    HEARTBEAT_SECONDS = 5.0

    def __init__(
        self,
        ledger: Ledger,
        pool: ChannelPool,
        settings: DeliverySettings,
        progress: Callable[[int], None] = lambda done: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.ledger = ledger
        self.pool = pool
        self.settings = settings
        self.progress = progress
        self.sleep = sleep
        self.tally = Tally()
        self._beat = time.monotonic()
        # Well within the lease, so a live run is never taken for dead.
        self._beat_every = min(self.HEARTBEAT_SECONDS, settings.lease_seconds / 3)

    def run(self) -> Tally:
        started = time.monotonic()
        try:
            return self._loop()
        finally:
            self.tally.seconds = time.monotonic() - started

    def _loop(self) -> Tally:
        inflight: dict[Future, list[Claimed]] = {}
        with ThreadPoolExecutor(self.settings.concurrency, "winlang-send") as executor:
            while True:
                if len(inflight) < self.settings.concurrency:
                    for batch in self._claim():
                        messages = [c.message for c in batch]
                        channel = messages[0].channel
                        inflight[executor.submit(self.pool.send, channel, messages)] = batch
                if not inflight:
                    if not self._wait_for_retries():
                        return self.tally
                    continue
                # A timeout, so the heartbeat goes on while a slow batch is out.
                done, _ = wait(inflight, self._beat_every, return_when=FIRST_COMPLETED)
                self._record([(inflight.pop(f), f.result()) for f in done])
                self._heartbeat()

    def _claim(self) -> list[list[Claimed]]:
        """The next batches to send; messages that can't be sent are failed on the way (and
        more claimed in their place, so a run of them does not end the loop early)."""
        biggest = max((self.pool.batch_size(n) for n in self.pool.first), default=1)
        while claimed := self.ledger.claim(self.settings.concurrency * biggest):
            verdicts = [(c, self._unsendable(c)) for c in claimed]
            refused = [(c, why) for c, why in verdicts if why is not None]
            if refused:
                self._refuse(refused)
            sendable = [c for c, why in verdicts if why is None]
            if sendable:
                return list(batches(sendable, self.pool.batch_size))
        return []

    def _unsendable(self, claimed: Claimed) -> str | None:
        """Why ``claimed`` can't be sent as planned, if it can't: its row can't be read, or
        its channel is gone from the configuration or can't be opened."""
        if claimed.problem:
            return claimed.problem
        return self.pool.unavailable(claimed.message.channel)

    def _refuse(self, refused: list[tuple[Claimed, str]]) -> None:
        """Fail messages that can't be sent, each with its reason (the ledger's ``error``,
        the summary's failures); the run goes on."""
        self.ledger.apply([fail(c, error) for c, error in refused])
        for claimed, error in refused:
            self.tally.fail(claimed.rule, claimed.channel, error)
        self.progress(len(refused))

    def _record(self, answered: list[tuple[list[Claimed], Sequence[SendResult]]]) -> None:
        """Record the results of the batches that came back, in one ledger transaction."""
        if not answered:
            return
        wall, now = self.ledger.wall(), self.ledger.now
        settled = [
            (claimed, *settle(claimed, result, self.settings, now, wall))
            for batch, results in answered
            for claimed, result in zip(batch, charged(results), strict=True)
        ]
        self.ledger.apply([update for _, update, _ in settled])
        finished = 0
        tally, run_id = self.tally, self.ledger.run_id
        for claimed, update, what in settled:
            if what == "sent":
                message = claimed.message
                tally.sent[claimed.rule] += 1
                tally.resumed += claimed.planned_by != run_id
                tally.channels[claimed.rule][message.channel] += 1
                tally.parts[claimed.rule] += message.parts or 0
            elif what == "failed":
                tally.fail(claimed.rule, claimed.message.channel, update.values["error"])
            elif what == "retry":
                tally.retries += 1
            elif what == "failover":
                tally.failovers += 1
            finished += what in ("sent", "failed")
        self.progress(finished)

    def _wait_for_retries(self) -> bool:
        """Sleep until the next message waiting out a backoff is due; False when none is."""
        due = self.ledger.next_retry_at()
        if due is None:
            return False
        seconds = (due - self.ledger.wall()).total_seconds()
        self.sleep(min(max(seconds, 0.0) + 0.01, self._beat_every))
        self._heartbeat()
        return True

    def _heartbeat(self) -> None:
        if time.monotonic() - self._beat >= self._beat_every:
            self.ledger.heartbeat()
            self._beat = time.monotonic()
