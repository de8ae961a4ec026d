"""The test kit itself: the recording channel, and that the contract catches broken channels."""

from __future__ import annotations

import pytest

from winlang.contracts.message import Outcome, SendResult
from winlang.testing import RecordingChannel, check_channel_contract, make_message, make_messages


def test_recording_channel_fails_a_key_for_a_number_of_attempts():
    channel = RecordingChannel()
    message = make_message()
    channel.fail(message.idempotency_key, Outcome.TEMPORARY, times=2)
    outcomes = [channel.send([message])[0].outcome for _ in range(3)]
    assert outcomes == [Outcome.TEMPORARY, Outcome.TEMPORARY, Outcome.SENT]
    assert channel.sent_keys == [message.idempotency_key] and len(channel.messages) == 3


def test_recording_channel_refuses_an_oversized_batch():
    with pytest.raises(AssertionError, match="batch_size"):
        RecordingChannel(batch_size=2).send(make_messages(3))


class DropsOne(RecordingChannel):
    def send(self, batch):
        return super().send(batch)[:-1]


class Raises(RecordingChannel):
    def send(self, batch):
        if any(m.to == "bad@example.com" for m in batch):
            raise RuntimeError("boom")
        return super().send(batch)


class WriteTwice(RecordingChannel):
    def send(self, batch):
        return [SendResult.sent(m) for m in batch]


@pytest.mark.parametrize(
    ("channel", "failing", "problem"),
    [(DropsOne, None, "one result per message"), (Raises, make_message(to="bad@example.com"),
     "boom")],
)  # fmt: skip
def test_the_contract_catches_broken_channels(channel, failing, problem):
    with pytest.raises((AssertionError, RuntimeError), match=problem):
        check_channel_contract(channel, failing=failing)


def test_the_contract_catches_a_provider_that_got_a_repeat():
    counts: dict[str, int] = {}

    def make():
        channel = RecordingChannel()
        original = channel.send

        def send(batch):
            for m in batch:
                counts[m.idempotency_key] = counts.get(m.idempotency_key, 0) + 1
            return original(batch)

        channel.send = send
        return channel

    with pytest.raises(AssertionError, match="delivered"):
        check_channel_contract(make, delivered=lambda: counts)
