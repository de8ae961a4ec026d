"""The contract every channel must pass, as plain functions and as a test class.

``check_channel_contract(make_channel)`` runs every check; ``make_channel`` makes a fresh
channel each time it is called (each check closes its own). Optionally pass ``failing``, a
message the channel must fail without raising, and ``delivered``, a function counting how many
times the provider received each idempotency key (to prove repeats are dropped).

>>> from winlang.testing import RecordingChannel, make_message
>>> check_channel_contract(lambda: RecordingChannel(permanent={"bad"}),
...                        failing=make_message(idempotency_key="bad"))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import pytest

from ..contracts.channel import Channel
from ..contracts.message import Message, Outcome, SendResult
from .messages import make_message, make_messages

ChannelFactory = Callable[[], Channel]
DeliveryCounter = Callable[[], Mapping[str, int]]
MAX_CONTRACT_BATCH = 100  # a full batch, but no more than this many messages per check


@contextmanager
def _opened(make_channel: ChannelFactory) -> Iterator[Channel]:
    channel = make_channel()
    try:
        yield channel
    finally:
        channel.close()


def _assert_one_result_each(batch: Sequence[Message], results: Sequence[SendResult]) -> None:
    assert all(isinstance(r, SendResult) for r in results), "send must return SendResults"
    assert all(isinstance(r.outcome, Outcome) for r in results), "outcome must be an Outcome"
    got, wanted = (
        Counter(r.idempotency_key for r in results),
        Counter(m.idempotency_key for m in batch),
    )
    assert got == wanted, f"one result per message, matched by key: got {got}, sent {wanted}"
    for result in results:
        assert result.outcome is Outcome.SENT or result.error, "a failure must say why"
        assert isinstance(result.attempted, bool), "attempted must be True or False"
        assert result.attempted or result.outcome is Outcome.TEMPORARY, (
            "only a temporary failure can be not attempted (SendResult.not_attempted)"
        )


def check_attributes(make_channel: ChannelFactory) -> None:
    """``plugin``, ``batch_size`` (>= 1) and ``rate_per_second`` (None or > 0)."""
    with _opened(make_channel) as channel:
        assert isinstance(channel.plugin, str) and channel.plugin
        assert isinstance(channel.batch_size, int) and channel.batch_size >= 1
        rate = channel.rate_per_second
        assert rate is None or (isinstance(rate, int | float) and rate > 0)


def check_results_match_messages(make_channel: ChannelFactory) -> None:
    """Exactly one result per message, matched by idempotency key; none for an empty batch."""
    with _opened(make_channel) as channel:
        assert list(channel.send([])) == []
        batch = make_messages(min(3, channel.batch_size), rule="contract_results")
        _assert_one_result_each(batch, channel.send(batch))


def check_full_batch(make_channel: ChannelFactory) -> None:
    """A batch of ``batch_size`` messages (capped at 100) is all answered."""
    with _opened(make_channel) as channel:
        batch = make_messages(min(channel.batch_size, MAX_CONTRACT_BATCH), rule="contract_full")
        results = channel.send(batch)
        _assert_one_result_each(batch, results)


def check_failing_message(make_channel: ChannelFactory, failing: Message) -> None:
    """A message the provider refuses is a failure result, not an exception, and the messages
    around it in the batch are still sent."""
    with _opened(make_channel) as channel:
        before = make_message(customer_id="before", to="before@example.com", rule="contract_f")
        after = make_message(customer_id="after", to="after@example.com", rule="contract_f")
        batch = [before, failing, after][: max(channel.batch_size, 1)]
        results = {r.idempotency_key: r for r in channel.send(batch)}
        _assert_one_result_each(batch, list(results.values()))
        assert results[failing.idempotency_key].outcome is not Outcome.SENT
        assert results[before.idempotency_key].outcome is Outcome.SENT


def check_repeats(make_channel: ChannelFactory, delivered: DeliveryCounter | None = None) -> None:
    """The same key again (in a later batch, by another instance, or twice in one batch) is
    answered, never raises; with ``delivered``, the provider got each key once."""
    batch = make_messages(2, rule="contract_repeat")
    for _ in range(2):  # a fresh channel: the "after a crash" case
        with _opened(make_channel) as channel:
            _assert_one_result_each(batch, channel.send(batch))
            _assert_one_result_each(batch, channel.send(batch))
    with _opened(make_channel) as channel:
        twice = [batch[0], batch[0]][: channel.batch_size]
        _assert_one_result_each(twice, channel.send(twice))
    if delivered is not None:
        counts = delivered()
        for message in batch:
            assert counts.get(message.idempotency_key) == 1, (
                f"{message.idempotency_key} delivered {counts.get(message.idempotency_key)}x"
            )


def check_close(make_channel: ChannelFactory) -> None:
    """``close()`` twice is fine, also on a channel that never sent."""
    channel = make_channel()
    channel.close()
    channel.close()
    channel = make_channel()
    channel.send([make_message(rule="contract_close")])
    channel.close()
    channel.close()


def check_channel_contract(
    make_channel: ChannelFactory,
    failing: Message | None = None,
    delivered: DeliveryCounter | None = None,
) -> None:
    """Every check of the channel contract; raises AssertionError on the first broken one."""
    check_attributes(make_channel)
    check_results_match_messages(make_channel)
    check_full_batch(make_channel)
    if failing is not None:
        check_failing_message(make_channel, failing)
    check_repeats(make_channel, delivered)
    check_close(make_channel)


class ChannelContract:
    """Subclass as ``TestMyChannel(ChannelContract)`` and provide a ``channel_factory``
    fixture; optionally override ``failing_message`` and ``delivered`` fixtures too.
    Each check is then its own test."""

    @pytest.fixture
    def channel_factory(self) -> ChannelFactory:
        raise NotImplementedError("define a `channel_factory` fixture in your test class")

    @pytest.fixture
    def failing_message(self) -> Message | None:
        return None

    @pytest.fixture
    def delivered(self) -> DeliveryCounter | None:
        return None

    def test_attributes(self, channel_factory: ChannelFactory) -> None:
        check_attributes(channel_factory)

    def test_results_match_messages(self, channel_factory: ChannelFactory) -> None:
        check_results_match_messages(channel_factory)

    def test_full_batch(self, channel_factory: ChannelFactory) -> None:
        check_full_batch(channel_factory)

    def test_failing_message(
        self, channel_factory: ChannelFactory, failing_message: Message | None
    ) -> None:
        if failing_message is None:
            pytest.skip("this channel never refuses a message")
        check_failing_message(channel_factory, failing_message)

    def test_repeats(
        self, channel_factory: ChannelFactory, delivered: DeliveryCounter | None
    ) -> None:
        check_repeats(channel_factory, delivered)

    def test_close(self, channel_factory: ChannelFactory) -> None:
        check_close(channel_factory)
