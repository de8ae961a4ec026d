"""The built-in data sources, registered through the same hook as any plugin.

Each URL scheme names the module that opens it, imported only when a URL of that scheme is
asked for: checking a campaign against a schema file never loads PyArrow's datasets or
SQLAlchemy.

>>> winlang_data_source("parquet:///data/shop", Layout()).name
'parquet'
>>> winlang_data_source("s3://bucket/shop", Layout()) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..contracts.source import Layout, Source
from ..hookspecs import hookimpl

# Folders of files, by scheme (``parquet:///folder``): :mod:`winlang.sources.files` reads them.
FILE_SCHEMES = ("parquet", "csv")

SPARK_SCHEMES = ("spark", "sc")


@hookimpl(trylast=True)
def winlang_data_source(
    url: str, layout: Layout, settings: Mapping[str, object] | None = None
) -> Source | None:
    """Folders of files (``parquet:///folder``, ``csv:///folder``), Spark (``spark:///folder``,
    ``sc://host:port``) and SQLAlchemy URLs."""
    scheme, separator, rest = url.partition("://")
    if separator and scheme in FILE_SCHEMES:
        from .files import FileSource

        return FileSource(Path(rest), scheme, layout)
    if separator and scheme in SPARK_SCHEMES:
        from .spark import SparkSource  # PySpark is imported only when a session starts

        return SparkSource(url, layout, settings)
    return _sql(url, layout, (settings or {}).get("duckdb"))


def _sql(url: str, layout: Layout, duckdb: Mapping[str, object] | None = None) -> Source | None:
    """A SQL source when SQLAlchemy knows the URL's dialect (its driver may still be missing:
    that is reported when the store is first read)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from .sql import SqlSource

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError):
        return None
    return SqlSource(url, layout, duckdb)
