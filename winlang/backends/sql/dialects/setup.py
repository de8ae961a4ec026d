"""Connection set-up: what each database needs checked or registered before a statement runs.

Each dialect's ``prepare`` calls the steps it needs: checks that refuse a connection whose
settings would give another answer (PushdownError), and Python functions registered on the
connection where the database's own fall short of the language (full Unicode case mapping;
SQLite's refusal of a wrong-typed value).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ....contracts.errors import DataError, PushdownError, wrong_value

RECASE = frozenset({"Function:lower", "Function:upper"})  # constructs needing case mapping


def uses_recase(constructs: frozenset[str]) -> bool:
    return bool(constructs & RECASE)


# ---- PostgreSQL ------------------------------------------------------------------------------


def pin_utc(connection: Connection) -> None:
    """timestamptz columns and binds meet in UTC, whatever the server's setting."""
    connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")


def require_icu(connection: Connection, collation: str) -> None:
    """Refuse a PostgreSQL server built without the ICU collation case mapping uses."""
    found = connection.exec_driver_sql(  # the collation's name is ours, never user data
        f"SELECT count(*) FROM pg_collation WHERE collname = '{collation}'"
    ).scalar()
    if not found:
        raise PushdownError(
            "lower()/upper() need Unicode case mapping, and this PostgreSQL server has "
            f'no ICU collation "{collation}" (built without ICU); use the numpy backend'
        )


# ---- DuckDB ----------------------------------------------------------------------------------


def require_binary_collation(connection: Connection) -> None:
    """Refuse a DuckDB database whose default collation would reorder text."""
    ((collation,),) = connection.exec_driver_sql(
        "SELECT current_setting('default_collation')"
    ).fetchall()
    if collation not in ("", "binary", None):
        raise PushdownError(
            f"this DuckDB database compares text with collation {collation!r}; the "
            "language compares by code point (set default_collation to binary)"
        )


def _arrow_case(case: Callable[[object], object]) -> Callable[[pa.Array], pa.Array]:
    """``case`` over an Arrow array, each distinct value once (DuckDB calls it per vector)."""

    def apply(values: pa.Array | pa.ChunkedArray) -> pa.Array:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = values.dictionary_encode()
        mapped = pa.array([case(v) for v in encoded.dictionary.to_pylist()], pa.string())
        return mapped.take(encoded.indices)

    return apply


def register_duckdb_recase(connection: Connection) -> None:
    """``winlang_lower``/``winlang_upper`` (see :func:`register_sqlite_recase`) on DuckDB,
    vectorized over Arrow."""
    import duckdb
    from duckdb import sqltypes

    raw = connection.connection.driver_connection
    for name, case in CASES.items():
        # Replace rather than trust what an earlier run left: a function created inside a
        # transaction that was rolled back is gone from the catalog but not from the driver.
        with contextlib.suppress(duckdb.Error):
            raw.remove_function(name)
        try:
            raw.create_function(
                name,
                _arrow_case(case),
                [sqltypes.VARCHAR],
                sqltypes.VARCHAR,
                type="arrow",
                side_effects=False,
            )
        except duckdb.CatalogException as error:
            # Another connection to the same database registered it: the catalog is shared
            # by the database's connections, so it is there for this one too.
            if "already exists" not in str(error):
                raise


# ---- SQLite ----------------------------------------------------------------------------------


def require_sqlite(connection: Connection, minimum: tuple[int, ...]) -> None:
    version = connection.dialect.dbapi.sqlite_version_info
    if version < minimum:
        raise PushdownError(
            f"SQLite {'.'.join(map(str, version))} lacks unixepoch(); the SQL backend "
            f"needs SQLite {'.'.join(map(str, minimum))} or later"
        )


def _lower(text: object) -> object:
    return text.lower() if isinstance(text, str) else text


def _upper(text: object) -> object:
    return text.upper() if isinstance(text, str) else text


CASES = {"winlang_lower": _lower, "winlang_upper": _upper}


def register_sqlite_recase(connection: Connection) -> None:
    """``winlang_lower``/``winlang_upper``: Python's full Unicode case mapping, as the numpy
    backend does it (``"ß".upper()`` is ``"SS"``, a final sigma lowers to ``ς``)."""
    raw = connection.connection.driver_connection
    for name, case in CASES.items():
        raw.create_function(name, 1, case, deterministic=True)


REFUSAL = "winlang_wrong_value"  # the SQL function that stops a statement on a wrong value
_REFUSED = "winlang_refused"  # connection.info key: the error it raised


def register_sqlite_refusal(connection: Connection) -> None:
    """``winlang_wrong_value(table, column, kind, value)``: stops the statement, leaving the
    error (the message every engine gives) for :func:`refusal_of`."""
    info = connection.info

    def refuse(table: str, name: str, kind: str, value: object) -> None:
        info[_REFUSED] = wrong_value(table, name, kind, value)
        raise ValueError("wrong-typed value")

    connection.connection.driver_connection.create_function(REFUSAL, 4, refuse, deterministic=True)


def refusal_of(connection: Connection) -> DataError | None:
    """The error :func:`register_sqlite_refusal`'s function left on ``connection``, once."""
    return connection.info.pop(_REFUSED, None)


TIME_SAMPLE = 1000
_ISO_UTC = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:?00)?)?")


def _iso_utc(value: object) -> bool:
    """``"2026-11-22"``, ``"2026-11-22 10:00:00.5"``, ``"2026-11-22T10:00:00Z"``: yes."""
    return isinstance(value, str) and _ISO_UTC.fullmatch(value) is not None


def verify_iso_times(connection: Connection, columns: dict[str, list[str]]) -> None:
    """SQLite's formulas read ISO text in UTC. A column written another way (epoch numbers,
    a +02:00 offset, 11/22/2026) would be misread silently, and a full check costs as much as
    the query itself (15 s on 10M events), so the first and last :data:`TIME_SAMPLE` stored
    values of each column are checked: a writer uses one format for a whole column."""
    quote = connection.dialect.identifier_preparer.quote
    for table, names in columns.items():
        for name in names:
            for order in ("", " ORDER BY rowid DESC"):
                query = (
                    f"SELECT {quote(name)} FROM {quote(table)} WHERE {quote(name)} "
                    f"IS NOT NULL{order} LIMIT {TIME_SAMPLE}"
                )
                try:
                    values = connection.exec_driver_sql(query).scalars().all()  # one fetch
                except sa.exc.DBAPIError:  # a table without rowid: the head must do
                    connection.rollback()
                    continue
                odd = next((v for v in values if not _iso_utc(v)), None)
                if odd is not None:
                    raise DataError(
                        f"`{table}`.`{name}` holds {odd!r}, which is not an ISO time in "
                        "UTC; SQLite stores must keep times as text like "
                        "'2026-11-22 10:00:00' (or use --engine numpy, which parses them)"
                    )
