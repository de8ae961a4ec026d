"""Every built-in channel (and the test kit's RecordingChannel) passes the channel contract,
through the same ``ChannelContract`` class a plugin author uses."""

from __future__ import annotations

import io
from collections import Counter

import orjson
import pytest

from winlang.channels.console import ConsoleChannel
from winlang.channels.outbox import OutboxChannel
from winlang.channels.smtp import SmtpChannel
from winlang.channels.webhook import WebhookChannel
from winlang.testing import ChannelContract, RecordingChannel, Reply, make_message


class TestRecordingChannel(ChannelContract):
    @pytest.fixture
    def channel_factory(self):
        return lambda: RecordingChannel(permanent={"refuse/me/1/0"}, batch_size=7)

    @pytest.fixture
    def failing_message(self):
        return make_message(campaign="refuse", rule="me")


class TestConsoleChannel(ChannelContract):
    @pytest.fixture
    def channel_factory(self):
        return lambda: ConsoleChannel(io.StringIO())


class TestOutboxChannel(ChannelContract):
    @pytest.fixture
    def channel_factory(self, tmp_path):
        return lambda: OutboxChannel(tmp_path / "outbox.jsonl")

    @pytest.fixture
    def delivered(self, tmp_path):
        def count():
            lines = (tmp_path / "outbox.jsonl").read_bytes().splitlines()
            return Counter(orjson.loads(line)["idempotency_key"] for line in lines)

        return count


class TestWebhookChannel(ChannelContract):
    @pytest.fixture
    def channel_factory(self, http_server):
        http_server.rule(lambda r: r.json()["to"] == "refused@example.com", Reply(422))
        return lambda: WebhookChannel.from_settings("push", {"url": http_server.url})

    @pytest.fixture
    def failing_message(self):
        return make_message(to="refused@example.com")

    @pytest.fixture
    def delivered(self, http_server):
        return lambda: Counter(list(http_server.deliveries))


class TestSmtpChannel(ChannelContract):
    @pytest.fixture
    def channel_factory(self, smtp_server):
        server = smtp_server()
        settings = {"host": "127.0.0.1", "port": server.port, "tls": "none",
                    "sender": "shop@example.com", "batch_size": 5}  # fmt: skip
        return lambda: SmtpChannel.from_settings("email", settings)

    @pytest.fixture
    def failing_message(self):
        return make_message(to="unknown@example.com")
