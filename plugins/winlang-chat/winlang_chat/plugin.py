"""The hook implementations winlang finds through the ``winlang`` entry point."""

from __future__ import annotations

from collections.abc import Mapping

from winlang.hookspecs import hookimpl

from .channel import ChatChannel

PLUGIN = "chat"


@hookimpl
def winlang_channel(plugin: str, name: str, settings: Mapping[str, object]) -> ChatChannel | None:
    return ChatChannel.from_settings(name, settings) if plugin == PLUGIN else None


@hookimpl
def winlang_plugin_names() -> list[str]:
    return [PLUGIN]
