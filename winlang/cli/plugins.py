"""``winlang plugins``: the built-in and installed plugins, and any that failed to load.

Exit codes: 0 all loaded, 1 some plugin is broken.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points

import click
import orjson

from .. import __version__
from ..plugins import BUILTIN_PLUGINS, ENTRY_POINT_GROUP, PluginManager, make_plugin_manager


@dataclass(frozen=True)
class PluginInfo:
    name: str
    distribution: str
    version: str
    hooks: list[str]
    channels: list[str]


def describe(manager: PluginManager) -> list[PluginInfo]:
    """One entry per loaded plugin: where it comes from and what it provides."""
    dists = {ep.name: ep.dist for ep in entry_points(group=ENTRY_POINT_GROUP)}
    infos = []
    for name, plugin in manager.list_name_plugin():
        if name in BUILTIN_PLUGINS:
            distribution, version = "winlang", __version__
        elif (dist := dists.get(name)) is not None:
            distribution, version = dist.metadata["Name"], dist.version
        else:
            distribution, version = "?", "?"
        hooks = sorted(caller.name for caller in manager.get_hookcallers(plugin) or [])
        provides = getattr(plugin, "winlang_plugin_names", None)
        channels = list(provides()) if callable(provides) else []
        infos.append(PluginInfo(name, distribution, version, hooks, channels))
    return infos


@click.command("plugins")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def plugins(fmt: str) -> None:
    """List built-in and installed plugins, and any that failed to load."""
    manager = make_plugin_manager()  # fresh: this command is for diagnosing installs
    infos = describe(manager)
    if fmt == "json":
        data = {
            "plugins": [asdict(i) for i in infos],
            "broken": [asdict(b) for b in manager.broken],
        }
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        for info in infos:
            click.echo(f"{info.name}  ({info.distribution} {info.version})")
            click.echo(f"    hooks: {', '.join(info.hooks) or '-'}")
            if info.channels:
                click.echo(f"    channels: {', '.join(info.channels)}")
        for broken in manager.broken:
            click.echo(f"BROKEN {broken}", err=True)
    sys.exit(1 if manager.broken else 0)
