"""The customer schema: which fields (customer columns) and event columns exist, and their types.

It comes from the store by reflection, or from a JSON file written by ``winlang schema export``
so that CI can check campaigns without database access. The file format::

    {"customers": {"id": "number", "first_name": "text", ...},
     "events": {"customer_id": "number", "type": "text", "occurred_at": "timestamp", ...}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from pathlib import Path

import orjson

from .frozen import frozen
from .smallfiles import NotASmallFile, read_small_file
from .types import SCALARS, Type

EVENT_COLUMNS = ("customer_id", "type", "channel", "campaign", "template", "occurred_at")


class SchemaError(Exception):
    """A schema file or store that can't be read; the message says which and why."""


@frozen
class Schema:
    """The column types of the customers' table and of the events."""

    customers: Mapping[str, Type]
    events: Mapping[str, Type] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "customers": {name: t.kind for name, t in self.customers.items()},
                "events": {name: t.kind for name, t in self.events.items()},
            },
            option=orjson.OPT_INDENT_2,
        )


def schema_from_json(data: bytes | str, origin: str = "schema") -> Schema:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise SchemaError(f"{origin} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("customers"), dict):
        raise SchemaError(f'{origin} needs an object {{"customers": {{field: type}}, ...}}')
    tables = {}
    for table in ("customers", "events"):
        columns = document.get(table) or {}
        if not isinstance(columns, dict):
            raise SchemaError(f"{origin}: `{table}` must map column names to types")
        typed = {}
        for name, kind in columns.items():
            if kind not in SCALARS:
                raise SchemaError(
                    f"{origin}: {table}.{name} has type {kind!r}; "
                    f"expected one of {', '.join(SCALARS)}"
                )
            typed[name] = SCALARS[kind]
        tables[table] = typed
    return Schema(customers=tables["customers"], events=tables["events"])


MAX_SCHEMA_BYTES = 10_000_000  # thousands of columns fit in far less


def load_schema_file(path: Path) -> Schema:
    """A schema file: a regular file of at most :data:`MAX_SCHEMA_BYTES` (a device such as
    /dev/zero, a pipe or a folder is refused before anything is read)."""
    try:
        data = read_small_file(path, MAX_SCHEMA_BYTES)
    except OSError as error:
        raise SchemaError(f"can't read schema file {path}: {error.strerror}") from None
    except NotASmallFile as error:
        raise SchemaError(f"can't read schema file {path}: {error}") from None
    return schema_from_json(data, str(path))


# ---- reflection ---------------------------------------------------------------------------

_TYPE_WORDS = (
    ("timestamp", ("TIMESTAMP", "DATETIME")),
    ("date", ("DATE",)),
    ("bool", ("BOOL",)),
    ("number", ("INT", "FLOAT", "DOUBLE", "REAL", "NUMERIC", "DECIMAL", "NUMBER", "HUGEINT")),
    ("text", ("CHAR", "TEXT", "STRING", "CLOB", "UUID", "ENUM")),
)


def kind_of_sql_type(name: str) -> Type | None:
    """Map a database type name to a language type; ``None`` for types that are not fields.

    >>> kind_of_sql_type("TIMESTAMP WITH TIME ZONE").kind, kind_of_sql_type("VARCHAR(20)").kind
    ('timestamp', 'text')
    >>> kind_of_sql_type("BLOB") is None
    True
    """
    upper = name.upper()
    for kind, words in _TYPE_WORDS:
        if any(word in upper for word in words):
            return SCALARS[kind]
    return None


def reflect_schema(
    url: str, customers: str = "customers", events: str = "events", engine=None
) -> Schema:
    """Read the two tables' columns from the store; raises SchemaError with a clear reason.

    ``engine``: an open SQLAlchemy engine for ``url`` to reflect through (a data source's
    own, so the store is opened once per command); without it one is made and disposed of.
    """
    import sqlalchemy as sa

    require_local_file(url)
    own = engine is None
    if own:
        try:
            engine = sa.create_engine(url)
        except Exception as error:  # bad URL, missing driver: SQLAlchemy raises many kinds
            raise SchemaError(f"can't open store {safe_url(url)}: {error}") from None
    try:
        with engine.connect() as connection:
            tables = {}
            for table in (customers, events):
                tables[table] = _columns(connection, table)
    except SchemaError:
        raise
    except Exception as error:
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        raise SchemaError(f"can't read store {safe_url(url)}: {reason}") from None
    finally:
        if own:
            engine.dispose()
    if not tables[customers]:
        raise SchemaError(f"store {safe_url(url)} has no table `{customers}`")
    return Schema(customers=tables[customers], events=tables[events])


def _columns(connection, table: str) -> dict[str, Type]:
    import sqlalchemy as sa

    if connection.dialect.name == "duckdb":
        # duckdb-engine's reflection is broken on SQLAlchemy 2.1; DuckDB's own catalog
        # function answers in ~1 ms where information_schema.columns takes ~20 ms (same rows).
        rows = connection.execute(
            sa.text(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE table_name = :t ORDER BY column_index"
            ),
            {"t": table},
        )
        pairs = [(name, str(kind)) for name, kind in rows]
    else:
        inspector = sa.inspect(connection)
        if not inspector.has_table(table):
            return {}
        pairs = [(c["name"], str(c["type"])) for c in inspector.get_columns(table)]
    return {name: kind for name, raw in pairs if (kind := kind_of_sql_type(raw)) is not None}


def require_local_file(url: str) -> None:
    """Opening a missing SQLite or DuckDB file would create an empty one; say what is wrong
    instead."""
    import re

    match = re.match(r"^(?:sqlite(?:\+\w+)?|duckdb):///(.+?)(\?.*)?$", url)
    if match and not match[1].startswith(":memory:") and not Path(match[1]).exists():
        raise SchemaError(
            f"the store {match[1]} does not exist (run `winlang demo` to make a "
            "sample one, or point [store] url in winlang.toml at yours)"
        )


def safe_url(url: str) -> str:
    """The URL without its password."""
    import re

    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
