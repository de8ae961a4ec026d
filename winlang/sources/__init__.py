"""Data sources: where customers and events are read from.

Built in: any SQLAlchemy URL (:mod:`.sql`) and folders of Parquet or CSV files (:mod:`.files`);
plugins add more through the ``winlang_data_source`` hook (:mod:`winlang.hookspecs`).

>>> open_source("csv:///tmp/shop").name
'csv'
"""

from __future__ import annotations

from collections.abc import Mapping

from ..contracts.errors import DataError
from ..contracts.source import Layout, Source


class UnknownSourceError(DataError):
    """No built-in source or plugin can open a URL."""


def open_source(
    url: str, layout: Layout | None = None, settings: Mapping[str, object] | None = None
) -> Source:
    """The source for ``url``: the first plugin (installed ones first, then the built-ins)
    that recognises it. ``settings``: the store's engine settings (``[store] master``,
    ``[store.spark]``)."""
    from ..plugins import plugin_manager

    manager = plugin_manager()
    source = manager.hook.winlang_data_source(
        url=url, layout=layout or Layout(), settings=dict(settings or {})
    )
    if source is not None:
        return source
    message = (
        f"no data source understands the store URL {url!r}: expected a SQLAlchemy URL "
        "(sqlite:///shop.db, duckdb:///shop.duckdb, postgresql://...), "
        "parquet:///folder, csv:///folder, spark:///folder or sc://host:port"
    )
    if manager.broken:
        message += "; these plugins failed to load: " + "; ".join(map(str, manager.broken))
    raise UnknownSourceError(message)


__all__ = ["DataError", "UnknownSourceError", "open_source"]
