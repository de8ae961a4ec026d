"""Database URLs read without SQLAlchemy, and the rules for the state database's URL.

``winlang check`` judges ``[state] url`` (E710) and names databases in messages without
importing SQLAlchemy, which only commands that open a database need. URLs are read exactly
as SQLAlchemy's ``make_url`` reads them (the same pattern; tests compare the two), and shown
as its ``render_as_string`` shows them, password hidden.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, unquote

from .frozen import frozen

BACKENDS = ("sqlite", "postgresql")  # the state's databases; DuckDB is for stores only

# SQLAlchemy's own URL pattern (sqlalchemy.engine.url._parse_url).
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)


@frozen
class DatabaseUrl:
    """A database URL's parts: ``drivername://username:password@host:port/database?query``."""

    drivername: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: tuple[tuple[str, tuple[str, ...]], ...] = ()  # sorted by key

    @property
    def backend(self) -> str:
        """``postgresql`` for ``postgresql+psycopg://...``."""
        return self.drivername.split("+")[0]

    def shown(self) -> str:
        """The URL with its password hidden (``***``)."""
        text = self.drivername + "://"
        if self.username is not None:
            text += quote(self.username, safe=" +")
            if self.password is not None:
                text += ":***"
            text += "@"
        if self.host is not None:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + quote(self.database, safe=" +/")
        if self.query:
            pairs = (f"{quote_plus(k)}={quote_plus(v)}" for k, vs in self.query for v in vs)
            text += "?" + "&".join(pairs)
        return text


def parse_url(text: str) -> DatabaseUrl:
    """``text`` as a database URL; ``ValueError`` when it is not one.

    >>> parse_url("postgresql+psycopg://ada:pw@db:5433/shop").shown()
    'postgresql+psycopg://ada:***@db:5433/shop'
    >>> parse_url("sqlite:///shop.db").database
    'shop.db'
    """
    found = _URL.match(text)
    if found is None:
        raise ValueError(f"not a database URL: {text!r}")
    parts = found.groupdict()
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts["query"] or ""):
        query.setdefault(key, []).append(value)
    return DatabaseUrl(
        drivername=parts["name"],
        username=None if parts["username"] is None else unquote(parts["username"]),
        password=None if parts["password"] is None else unquote(parts["password"]),
        host=parts["ipv4host"] or parts["ipv6host"],
        port=int(parts["port"]) if parts["port"] else None,
        database=None if parts["database"] is None else unquote(parts["database"]),
        query=tuple((k, tuple(query[k])) for k in sorted(query)),
    )


def state_url_problem(
    url: str, store_url: str | None = None, allow_other_tables: bool = False
) -> str | None:
    """Why ``url`` can't name the state database, or None: not a database URL, a database
    kind the state does not use, or the store's own database (unless allowed).

    >>> state_url_problem("sqlite:///state.db", "sqlite:///shop.db") is None
    True
    >>> state_url_problem("duckdb:///state.duckdb")
    'the state database must be SQLite or PostgreSQL, not duckdb (duckdb:///state.duckdb)'
    """
    try:
        parsed = parse_url(url)
    except ValueError:
        return (
            f"`{url}` is not a database URL: give the state one such as "
            "sqlite:///winlang-state.db or postgresql://host/database"
        )
    if parsed.backend not in BACKENDS:
        return (
            f"the state database must be SQLite or PostgreSQL, not {parsed.backend} ({safe(url)})"
        )
    if store_url is not None and not allow_other_tables and same_database(url, store_url):
        return (
            f"the state database {where(url)} is the store's: winlang would create its "
            "tables among your customer tables; give [state] url a database of its own "
            "(or set [state] allow_other_tables = true if you mean it)"
        )
    return None


def same_database(first: str, second: str) -> bool:
    """Whether two URLs name one database (one SQLite file however it is spelled, or one
    server's database whatever the driver and user).

    >>> same_database("sqlite:///a/../shop.db", "sqlite:///shop.db")
    True
    >>> same_database("postgresql://u@db:5432/shop", "postgresql+psycopg://v:pw@db/shop")
    True
    """
    try:
        a, b = parse_url(first), parse_url(second)
    except ValueError:
        return False
    if a.backend != b.backend:
        return False
    if a.backend == "sqlite":
        paths = sqlite_path(first), sqlite_path(second)
        return None not in paths and paths[0].resolve() == paths[1].resolve()
    return (a.host or "localhost", a.port or 5432, a.database, a.query) == (
        b.host or "localhost",
        b.port or 5432,
        b.database,
        b.query,
    )


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL, or None (another database, or in memory)."""
    try:
        parsed = parse_url(url)
    except ValueError:
        return None
    database = parsed.database
    if parsed.backend != "sqlite" or not database or database.startswith(":memory:"):
        return None
    return Path(database.removeprefix("file:"))


def where(url: str) -> str:
    """The state database as the user knows it: its file, or its URL without a password."""
    path = sqlite_path(url)
    return str(path) if path is not None else safe(url)


def safe(url: str) -> str:
    """``url`` without its password, for messages."""
    return parse_url(url).shown()
