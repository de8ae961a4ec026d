"""A channel that records what it is given, for testing delivery code and plugins' hooks.

>>> from winlang.testing import make_message
>>> channel = RecordingChannel(permanent={"test/win_back/2/0"})
>>> results = channel.send([make_message(), make_message(customer_id="2")])
>>> [r.outcome.value for r in results], len(channel.batches)
(['sent', 'permanent'], 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..contracts.message import Message, Outcome, SendResult


class RecordingChannel:
    """Records every batch; answers ``sent`` unless told to fail a key.

    ``temporary`` and ``permanent`` are idempotency keys to fail that way; ``fail()`` adds
    more, optionally only for the next ``times`` attempts (a provider that recovers).
    """

    plugin = "recording"

    def __init__(
        self,
        temporary: Iterable[str] = (),
        permanent: Iterable[str] = (),
        batch_size: int = 100,
        rate_per_second: float | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.rate_per_second = rate_per_second
        self.batches: list[list[Message]] = []
        self.closed = 0
        self._answers: list[tuple[str, Outcome]] = []
        self._failures: dict[str, tuple[Outcome, int | None, bool]] = {}
        for key in temporary:
            self.fail(key, Outcome.TEMPORARY)
        for key in permanent:
            self.fail(key, Outcome.PERMANENT)

    def fail(
        self, key: str, outcome: Outcome, times: int | None = None, attempted: bool = True
    ) -> None:
        """Fail ``key`` with ``outcome``: always, or for the next ``times`` attempts;
        ``attempted=False`` answers "not attempted" (a temporary failure that never reached
        the provider, see :meth:`SendResult.not_attempted`)."""
        self._failures[key] = (outcome, times, attempted)

    @property
    def messages(self) -> list[Message]:
        """Every message given, repeats included, in order."""
        return [message for batch in self.batches for message in batch]

    @property
    def sent_keys(self) -> list[str]:
        """The keys answered ``sent``, repeats included."""
        return [k for k, outcome in self._answers if outcome is Outcome.SENT]

    def send(self, batch: Sequence[Message]) -> list[SendResult]:
        if len(batch) > self.batch_size:
            raise AssertionError(f"batch of {len(batch)} > batch_size {self.batch_size}")
        self.batches.append(list(batch))
        results = [self._answer(message) for message in batch]
        self._answers.extend((r.idempotency_key, r.outcome) for r in results)
        return results

    def _answer(self, message: Message) -> SendResult:
        failure = self._failures.get(message.idempotency_key, (Outcome.SENT, None, True))
        outcome, times, attempted = failure
        if times is not None:
            left = times - 1
            if left <= 0:
                del self._failures[message.idempotency_key]
            else:
                self._failures[message.idempotency_key] = (outcome, left, attempted)
        if outcome is Outcome.SENT:
            return SendResult.sent(message, f"rec-{message.message_id}")
        if not attempted:
            return SendResult.not_attempted(message, "told not to attempt it")
        return SendResult(message.idempotency_key, outcome, error=f"told to fail ({outcome})")

    def close(self) -> None:
        self.closed += 1
