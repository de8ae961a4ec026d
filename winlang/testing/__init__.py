"""The test kit for channel plugin authors (and winlang's own tests).

Use it directly, or as a pytest plugin (``pytest_plugins = ["winlang.testing"]``) for the
``recording_channel`` and ``http_server`` fixtures::

    from winlang.testing import ChannelContract

    class TestMyChannel(ChannelContract):
        @pytest.fixture
        def channel_factory(self, http_server):
            return lambda: MyChannel(url=http_server.url)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .contract import (
    ChannelContract,
    ChannelFactory,
    check_attributes,
    check_channel_contract,
    check_close,
    check_failing_message,
    check_full_batch,
    check_repeats,
    check_results_match_messages,
)
from .http_server import LocalHttpServer, RecordedRequest, Reply
from .messages import make_message, make_messages
from .recording import RecordingChannel

__all__ = [
    "ChannelContract",
    "ChannelFactory",
    "LocalHttpServer",
    "RecordedRequest",
    "RecordingChannel",
    "Reply",
    "check_attributes",
    "check_channel_contract",
    "check_close",
    "check_failing_message",
    "check_full_batch",
    "check_repeats",
    "check_results_match_messages",
    "http_server",
    "make_message",
    "make_messages",
    "recording_channel",
]


@pytest.fixture
def recording_channel() -> RecordingChannel:
    """A fresh :class:`RecordingChannel`."""
    return RecordingChannel()


@pytest.fixture
def http_server() -> Iterator[LocalHttpServer]:
    """A :class:`LocalHttpServer` on 127.0.0.1, stopped after the test."""
    with LocalHttpServer() as server:
        yield server
