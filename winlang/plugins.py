"""The plugin manager: built-in plugins plus every installed ``winlang`` entry point.

A plugin that fails to load is recorded with its name and the reason, and the others still
load; :func:`plugin_manager` never raises because of one broken plugin. Whoever needs a hook
that no loaded plugin answered can mention the broken ones (see :func:`broken_plugins`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "winlang"

# Modules implementing hooks for the built-in features, registered like any plugin.
BUILTIN_PLUGINS = ("winlang.sources.builtin", "winlang.channels.builtin")


@dataclass(frozen=True)
class BrokenPlugin:
    """An installed plugin that could not be loaded."""

    name: str
    target: str  # the entry point's "module:attribute"
    reason: str

    def __str__(self) -> str:
        return f"plugin `{self.name}` ({self.target}) failed to load: {self.reason}"


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers which plugins failed to load."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.broken: list[BrokenPlugin] = []


def make_plugin_manager(load_entry_points: bool = True) -> PluginManager:
    """A fresh manager with the hook specifications, the built-ins and (optionally) every
    installed plugin."""
    import importlib

    manager = PluginManager()
    manager.add_hookspecs(hookspecs)
    for module in BUILTIN_PLUGINS:
        manager.register(importlib.import_module(module), name=module)
    if load_entry_points:
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            _load(manager, entry_point)
    return manager


def _load(manager: PluginManager, entry_point: EntryPoint) -> None:
    """Register one entry point; a failure is recorded, never raised."""
    if manager.get_plugin(entry_point.name) is not None or manager.is_blocked(entry_point.name):
        return
    try:
        plugin = entry_point.load()
        manager.register(plugin, name=entry_point.name)
    except Exception as error:  # a plugin may fail in any way; the others must still load
        reason = f"{type(error).__name__}: {error}"
        manager.broken.append(BrokenPlugin(entry_point.name, entry_point.value, reason))


@cache
def plugin_manager() -> PluginManager:
    """The process-wide plugin manager (loaded once)."""
    return make_plugin_manager()


def broken_plugins() -> list[BrokenPlugin]:
    """Installed plugins that failed to load, for messages and ``winlang`` diagnostics."""
    return list(plugin_manager().broken)
