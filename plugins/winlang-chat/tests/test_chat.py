"""Tests of the chat channel, written with winlang's test kit as any plugin author would."""

from __future__ import annotations

from collections import Counter
from importlib import metadata

import pytest
from winlang_chat.channel import ChatChannel

from winlang.contracts.errors import ChannelError
from winlang.contracts.message import Outcome
from winlang.plugins import make_plugin_manager
from winlang.testing import ChannelContract, LocalHttpServer, Reply, make_message


@pytest.fixture
def chat(http_server, monkeypatch):
    monkeypatch.setenv("CHAT_URL", http_server.url)
    channel = ChatChannel.from_settings("team", {"url_env": "CHAT_URL", "read_timeout": 0.3})
    yield channel
    channel.close()


class TestChatContract(ChannelContract):
    @pytest.fixture
    def channel_factory(self, http_server):
        http_server.rule(lambda r: r.json()["text"] == "refuse me", Reply(404))
        return lambda: ChatChannel.from_settings("team", {"url": http_server.url})

    @pytest.fixture
    def failing_message(self):
        return make_message(text="refuse me")

    @pytest.fixture
    def delivered(self, http_server):
        return lambda: Counter(list(http_server.deliveries))


def test_posts_the_text(chat, http_server: LocalHttpServer):
    [result] = chat.send([make_message(text="Hi Ada, we miss you")])
    assert result.outcome is Outcome.SENT
    assert http_server.requests[0].json() == {"text": "Hi Ada, we miss you"}


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [(Reply(429), Outcome.TEMPORARY), (Reply(500), Outcome.TEMPORARY),
     (Reply(403), Outcome.PERMANENT), (Reply(200, delay=2), Outcome.TEMPORARY)],
)  # fmt: skip
def test_answers_are_classified(chat, http_server, reply, outcome):
    http_server.queue(reply)
    assert chat.send([make_message()])[0].outcome is outcome


def test_found_through_the_hook():
    hook = make_plugin_manager(load_entry_points=False)
    import winlang_chat.plugin

    hook.register(winlang_chat.plugin)
    channel = hook.hook.winlang_channel(plugin="chat", name="t", settings={"url": "http://h/x"})
    assert isinstance(channel, ChatChannel)
    channel.close()
    assert ["chat"] in hook.hook.winlang_plugin_names()


def test_installed_through_the_entry_point():
    """After ``pip install -e plugins/winlang-chat``, winlang finds it by itself."""
    try:
        metadata.distribution("winlang-chat")
    except metadata.PackageNotFoundError:
        pytest.skip("winlang-chat is not installed (tests run from its source folder)")
    manager = make_plugin_manager()
    assert manager.get_plugin("chat") is not None, "winlang-chat is not installed"
    assert not manager.broken


def test_missing_url_secret_names_the_key(monkeypatch):
    monkeypatch.delenv("NO_SUCH_URL", raising=False)
    with pytest.raises(ChannelError, match=r"channel `team` \(chat\): `url_env`"):
        ChatChannel.from_settings("team", {"url_env": "NO_SUCH_URL"})
