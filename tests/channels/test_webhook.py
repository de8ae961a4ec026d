from __future__ import annotations

import hmac
import socket
import time

import pytest

from winlang.channels.http import signature
from winlang.channels.webhook import WebhookChannel
from winlang.contracts.errors import ChannelError
from winlang.contracts.message import Outcome
from winlang.testing import Reply, make_message, make_messages

SECRET = "hook-secret"


@pytest.fixture
def webhook(http_server, monkeypatch):
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    channels = []

    def make(**settings) -> WebhookChannel:
        defaults = {"url": http_server.url, "secret_env": "WEBHOOK_SECRET", "read_timeout": 0.3}
        channel = WebhookChannel.from_settings("push", {**defaults, **settings})
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        channel.close()


def test_posts_signed_json_with_the_idempotency_key(webhook, http_server):
    message = make_message()
    [result] = webhook().send([message])
    assert result.outcome is Outcome.SENT
    assert result.provider_id == message.idempotency_key  # the server's `id` field
    [request] = http_server.requests
    assert request.json() == message.as_json()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == message.idempotency_key
    # verified the way a receiver would: HMAC of the raw body, constant-time compare
    expected = signature(request.body, SECRET)
    assert hmac.compare_digest(request.headers["x-winlang-signature"], expected)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(201, Outcome.SENT), (503, Outcome.TEMPORARY), (429, Outcome.TEMPORARY),
     (408, Outcome.TEMPORARY), (400, Outcome.PERMANENT), (404, Outcome.PERMANENT)],
)  # fmt: skip
def test_statuses_are_classified(webhook, http_server, status, outcome):
    http_server.queue(Reply(status))
    [result] = webhook().send([make_message()])
    assert result.outcome is outcome
    assert (result.error is None) == (outcome is Outcome.SENT)


def test_a_failing_message_does_not_stop_the_batch(webhook, http_server):
    http_server.rule(lambda r: r.json()["to"] == "customer2@example.com", Reply(400))
    results = webhook().send(make_messages(3))
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.PERMANENT, Outcome.SENT]


def test_a_server_too_slow_to_answer_is_temporary(webhook, http_server):
    http_server.queue(Reply(503, delay=2))
    [result] = webhook().send([make_message()])
    assert result.outcome is Outcome.TEMPORARY and "timeout" in result.error
    assert http_server.deliveries == {}


def test_accepted_then_timed_out_is_retried_and_delivered_once(webhook, http_server):
    message = make_message()
    http_server.queue(Reply(200, delay=2))  # records the delivery, then hangs
    channel = webhook()
    [first] = channel.send([message])
    assert first.outcome is Outcome.TEMPORARY
    [retry] = channel.send([message])  # same Idempotency-Key: the server knows it
    assert retry.outcome is Outcome.SENT
    assert len(http_server.requests) == 2
    assert list(http_server.deliveries) == [message.idempotency_key]


def test_connection_refused_is_temporary(webhook):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [result] = webhook(url=f"http://127.0.0.1:{port}/x", connect_timeout=0.5).send([make_message()])
    assert result.outcome is Outcome.TEMPORARY


def test_the_connection_pool_is_reused_across_batches(webhook, http_server):
    channel = webhook()
    client = channel.client
    channel.send(make_messages(2))
    channel.send(make_messages(2, rule="again"))
    assert channel.client is client and len(http_server.requests) == 4


def test_without_a_secret_there_is_no_signature(http_server):
    channel = WebhookChannel.from_settings("push", {"url": http_server.url})
    channel.send([make_message()])
    channel.close()
    assert "x-winlang-signature" not in http_server.requests[0].headers


@pytest.mark.parametrize(
    ("settings", "key"),
    [({}, "url"), ({"url": "ftp://x"}, "url"), ({"url": "http://h", "secret_env": "NOPE_X"},
     "secret_env"), ({"url": "http://h", "read_timeout": -1}, "read_timeout"),
     ({"url": "http://h", "headers": {"a": 1}}, "headers"),
     ({"url": "http://h", "headers": {"X-Team": "a\r\nX-Evil: 1"}}, "headers")],
)  # fmt: skip
def test_bad_settings_name_channel_and_key(settings, key, monkeypatch):
    monkeypatch.delenv("NOPE_X", raising=False)
    with pytest.raises(ChannelError, match=rf"channel `push` \(webhook\): `{key}`"):
        WebhookChannel.from_settings("push", settings)


def test_a_trickling_server_is_cut_off_by_the_total_timeout(webhook, http_server):
    # One byte every 0.2 s: no read ever waits read_timeout, and the whole answer (about 120
    # bytes) would take over 20 s; `timeout` bounds the request as a whole.
    http_server.queue(Reply(200, trickle=0.2), Reply(200))
    channel = webhook(read_timeout=0.5, connect_timeout=0.5, timeout=1.0)
    started = time.monotonic()
    [result] = channel.send([make_message()])
    elapsed = time.monotonic() - started
    assert result.outcome is Outcome.TEMPORARY and result.error == "timeout: ReadTimeout"
    assert elapsed < 10  # generous: far below the trickle, far above the 1 s deadline
    [after] = channel.send([make_message(customer_id="2")])  # the channel carries on
    assert after.outcome is Outcome.SENT


def test_a_bad_total_timeout_names_the_key(http_server):
    with pytest.raises(ChannelError, match="`timeout` must be a number > 0"):
        WebhookChannel.from_settings("push", {"url": http_server.url, "timeout": 0})
