"""PostgreSQL 12+: ICU collations give Unicode case mapping; "C" gives code-point order.

The hooks' defaults (:mod:`.base`) are PostgreSQL's; what is its own here is the day count
(the epoch difference is an exact numeric), the id lists (arrays) and the set-up.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..binds import Binder, Instant
from . import loading, setup
from .base import Expr, SqlDialect, binary, const


class PostgresDialect(SqlDialect):
    name = "postgresql"
    temp_schema = "pg_temp"
    load_rows = staticmethod(loading.insert_unnest)

    def prepare(self, connection: Connection, constructs: frozenset[str]) -> None:
        setup.pin_utc(connection)
        if setup.uses_recase(constructs):
            setup.require_icu(connection, self.case_collation)

    def days_since(self, value: Expr, binder: Binder) -> Expr:
        """floor((now - t) / 24 h); exact: the epoch difference is a numeric in PostgreSQL."""
        seconds = sa.extract("epoch", self.time_value(Instant(), binder) - value)
        return sa.func.floor(binary("/", seconds, const("86400")))

    def id_list_type(self, id_type: sa.types.TypeEngine) -> sa.types.TypeEngine | None:
        """An array of the ids' type: ``unnest`` needs the element type."""
        from sqlalchemy.dialects.postgresql import ARRAY

        return ARRAY(id_type)
