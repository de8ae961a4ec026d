"""The plugin contract: every hook a winlang plugin can implement (pluggy, project ``winlang``).

A plugin is a module or object with functions marked ``@hookimpl`` whose names are the hooks
below, registered through the ``winlang`` entry-point group::

    # pyproject.toml of a plugin
    [project.entry-points.winlang]
    s3 = "winlang_s3.plugin"

    # winlang_s3/plugin.py
    from winlang.hookspecs import hookimpl

    @hookimpl
    def winlang_data_source(url, layout):
        if url.startswith("s3://"):
            return S3Source(url, layout)
        return None  # not mine: let the next plugin try

The built-in sources are registered through these same hooks (:mod:`winlang.sources.builtin`),
and installed plugins are asked first, so a plugin may also take over a built-in URL scheme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .contracts.channel import Channel
    from .contracts.source import Layout, Source

PROJECT = "winlang"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def winlang_data_source(url: str, layout: Layout, settings: Mapping[str, object]) -> Source | None:
    """Open the customer store at ``url``, or return None when the URL is not this plugin's.

    ``url`` is ``[store] url`` from the configuration (a SQLAlchemy URL, ``parquet:///folder``,
    or any scheme a plugin understands); ``layout`` gives the table and column names;
    ``settings`` the store's engine settings (``master`` and the ``[store.spark]`` table, for
    Spark; a plugin may leave this argument out of its signature). The
    returned object implements :class:`winlang.contracts.source.Source`: ``name``, ``layout``,
    ``schema()``, ``customer_batches()``, ``event_batches()`` and ``sql_engine()`` (an
    SQLAlchemy engine to push SQL down to, or None). Opening should be cheap: connect lazily,
    and report unreadable data as :class:`~winlang.contracts.errors.DataError` when reading.
    The first plugin that returns a source wins.
    """


@hookspec(firstresult=True)
def winlang_channel(plugin: str, name: str, settings: Mapping[str, object]) -> Channel | None:
    """Make the channel for ``[channels.NAME]`` whose ``plugin = "PLUGIN"``, or return None
    when ``plugin`` is not this plugin's name.

    ``settings`` are the channel's other keys in winlang.toml (``path``, ``url``, ``host``...);
    secrets are never in them: read them from the environment variables the settings name
    (``password_env = "SMTP_PASSWORD"``). Raise
    :class:`~winlang.contracts.errors.ChannelError` for bad settings, naming the key. The
    returned object implements :class:`winlang.contracts.channel.Channel`.
    """


@hookspec
def winlang_plugin_names() -> list[str]:
    """The channel plugin names this plugin provides (for ``winlang plugins``)."""
