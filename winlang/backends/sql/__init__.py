"""The SQL backend: each campaign pushed down as one statement through SQLAlchemy Core.

Modules, in pipeline order: :mod:`.binds` (bound parameters, the run's clock),
:mod:`.dialects` (what differs per database: a package, one module each), :mod:`.compile`
(IR node → SQL expression), :mod:`.events` (event aggregates: one grouped scan), :mod:`.state`
(state flags as temporary tables), :mod:`.statement` (the statement), :mod:`.backend`
(running it).

>>> SqlBackend().name
'sql'
"""

from __future__ import annotations

from .backend import SqlBackend
from .dialects import DIALECTS, SqlDialect, dialect_named

__all__ = ["DIALECTS", "SqlBackend", "SqlDialect", "dialect_named"]
