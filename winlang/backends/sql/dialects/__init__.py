"""What differs between databases, one module per database, and the registry of them.

- :mod:`.base`: the hooks the SQL backend calls, with the shared formulas and the tables a
  dialect fills (:class:`~.base.Functions`: function names; ``text_matches``);
- :mod:`.sqlite`, :mod:`.duckdb`, :mod:`.postgresql`, :mod:`.spark`: each database's profile;
- :mod:`.setup`: connection set-up (checks, functions registered on the connection);
- :mod:`.loading`: bulk loading of Arrow rows into a temporary table.

To add a database: a module with a :class:`~.base.SqlDialect` subclass, and its entry in
:data:`DIALECTS` under the SQLAlchemy dialect name (``engine.dialect.name``).

>>> dialect_named("sqlite").text_times, dialect_named("duckdb").text_times
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable

from ....contracts.errors import PushdownError
from ....plan import ir
from .base import SqlDialect, binary, compare, const, floor_div
from .duckdb import DuckDBDialect
from .postgresql import PostgresDialect
from .sqlite import SqliteDialect

# ---- the registry: SQLAlchemy dialect name → profile ------------------------------------------

DIALECTS: dict[str, SqlDialect] = {
    "sqlite": SqliteDialect(),
    "duckdb": DuckDBDialect(),
    "postgresql": PostgresDialect(),
}
# Profiles whose modules load when first asked for: Spark SQL, compiled by the Databricks
# SQLAlchemy dialect (the name its engines carry; :mod:`winlang.sources.spark_dbapi`).
LAZY_DIALECTS: dict[str, tuple[str, str]] = {"databricks": (".spark", "SparkDialect")}

__all__ = [
    "DIALECTS",
    "DuckDBDialect",
    "PostgresDialect",
    "SqlDialect",
    "SqliteDialect",
    "binary",
    "compare",
    "const",
    "constructs_of",
    "dialect_named",
    "floor_div",
]


def dialect_named(name: str) -> SqlDialect:
    """The dialect profile for a SQLAlchemy dialect name; PushdownError for one without."""
    if name not in DIALECTS and name in LAZY_DIALECTS:
        import importlib

        module, attribute = LAZY_DIALECTS[name]
        DIALECTS[name] = getattr(importlib.import_module(module, __name__), attribute)()
    try:
        return DIALECTS[name]
    except KeyError:
        known = ", ".join(sorted({*DIALECTS, *LAZY_DIALECTS}))
        raise PushdownError(
            f"no SQL push-down profile for the {name!r} database (known: {known}); "
            "evaluate with the numpy backend"
        ) from None


def constructs_of(nodes: Iterable[object]) -> frozenset[str]:
    """The construct names of ``nodes`` that dialects may lack (see ``unsupported``)."""
    found = set()
    for node in nodes:
        kind = type(node).__name__
        found.add(kind)
        if isinstance(node, ir.Function):
            found.add(f"Function:{node.name}")
        elif isinstance(node, ir.EventAggregate):
            found.add(f"EventAggregate:{node.function}")
        elif isinstance(node, ir.TextMatch):
            found.add(f"TextMatch:{node.op}")
    return frozenset(found)
