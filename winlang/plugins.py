"""The plugin manager: built-in plugins plus every installed ``winlang`` entry point.

A plugin that fails to load is recorded with its name and the reason, and the others still
load; :func:`plugin_manager` never raises because of one broken plugin. Whoever needs a hook
that no loaded plugin answered can mention the broken ones (see :func:`broken_plugins`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from functools import cache
from importlib.machinery import PathFinder
from typing import TYPE_CHECKING

import pluggy

from . import hookspecs
from .frozen import frozen

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "winlang"

# Modules implementing hooks for the built-in features, registered like any plugin.
BUILTIN_PLUGINS = ("winlang.sources.builtin", "winlang.channels.builtin")


@frozen
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


def entry_points(group: str) -> Sequence[EntryPoint]:
    """The installed entry points of ``group``, as :func:`importlib.metadata.entry_points`
    finds them; where no installed distribution can declare the group, none, without loading
    ``importlib.metadata`` or reading every distribution's metadata (~15 ms of every
    command's start)."""
    if not _may_declare(group):
        return ()
    from importlib.metadata import entry_points as installed

    return installed(group=group)


def _may_declare(group: str) -> bool:
    """Whether some distribution on ``sys.path`` may declare entry points of ``group``: True
    when one's ``entry_points.txt`` names the section, or when the distributions can't be
    listed cheaply (a zip on the path, a finder of distributions other than Python's own),
    so the answer is never a false no."""
    if any(_lists_distributions(finder) for finder in sys.meta_path):
        return True
    section = f"[{group}]".encode()
    for entry in sys.path:
        folder = entry or "."  # importlib.metadata reads "" as the working folder too
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True  # a zip archive: importlib.metadata reads its metadata, we don't
        except OSError:
            continue  # a folder that isn't there (python311.zip, usually) holds nothing
        for name in filter(_is_metadata, names):
            if section in _entry_points_text(os.path.join(folder, name)):
                return True
    return False


def _is_metadata(name: str) -> bool:
    """A distribution's metadata folder, as importlib.metadata recognises one (``EGG-INFO``
    inside an ``.egg``: any folder of that name, to be safe)."""
    lowered = name.lower()
    return lowered.endswith((".dist-info", ".egg-info")) or lowered == "egg-info"


def _lists_distributions(finder: object) -> bool:
    """A finder on ``sys.meta_path`` that lists distributions, other than Python's path
    finder (whose distributions are the ``*.dist-info`` and ``*.egg-info`` on ``sys.path``)."""
    return finder is not PathFinder and getattr(finder, "find_distributions", None) is not None


def _entry_points_text(metadata: str) -> bytes:
    try:
        with open(os.path.join(metadata, "entry_points.txt"), "rb") as file:
            return file.read()
    except OSError:
        return b""  # none (most distributions), or an egg-info that is a file


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
