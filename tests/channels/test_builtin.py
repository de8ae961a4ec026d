"""The built-in channels come through the ``winlang_channel`` hook, like a plugin's."""

from __future__ import annotations

import pytest

from winlang.hookspecs import hookimpl
from winlang.plugins import make_plugin_manager
from winlang.testing import RecordingChannel


@pytest.mark.parametrize("plugin", ["console", "outbox", "smtp", "webhook"])
def test_every_builtin_is_made_through_the_hook(plugin, tmp_path):
    settings = {"root": tmp_path, "url": "http://127.0.0.1:9/x", "sender": "a@example.com"}
    channel = make_plugin_manager(load_entry_points=False).hook.winlang_channel(
        plugin=plugin, name="c", settings=settings
    )
    assert channel.plugin == plugin
    channel.close()


def test_unknown_plugin_gives_none():
    hook = make_plugin_manager(load_entry_points=False).hook
    assert hook.winlang_channel(plugin="pigeon", name="c", settings={}) is None


def test_plugin_names_lists_the_builtins():
    names = make_plugin_manager(load_entry_points=False).hook.winlang_plugin_names()
    assert ["console", "outbox", "smtp", "webhook"] in names


class TakeOver:
    """An installed plugin may take over a built-in name: it is asked first."""

    @hookimpl
    def winlang_channel(self, plugin, name, settings):
        return RecordingChannel() if plugin == "outbox" else None


def test_an_installed_plugin_is_asked_before_the_builtins():
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(TakeOver())
    channel = manager.hook.winlang_channel(plugin="outbox", name="c", settings={})
    assert isinstance(channel, RecordingChannel)
