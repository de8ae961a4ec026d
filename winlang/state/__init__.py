"""winlang's own state database: runs, the message ledger, assignments, lists, suppressions
and ingested events. ``open_state`` creates or migrates it (Alembic, versioned schema).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> state = open_state(f"sqlite:///{folder / 'state.db'}")
>>> state.version()
'0006'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from ..contracts.errors import StateError
from ..database_urls import same_database, sqlite_path, state_url_problem, where
from ..plan import ir
from ..times import naive_utc
from . import ingested, reads, tracking
from . import tables as T
from .ingested import EventWriter
from .leases import LOCK_NAME, Lease
from .ledger import RunLedger, next_due, wall_clock
from .records import (
    CustomerMessage,
    FiringRecord,
    RunMessage,
    RunSkip,
    SentHistory,
    SuppressionRow,
)
from .tracking import TrackedFiring, TrackedMessage
from .view import LedgerView, not_own_work, unreadable_time

__all__ = [
    "HEAD",
    "DatabaseError",
    "LedgerView",
    "State",
    "StateStore",
    "describe",
    "not_own_work",
    "open_state",
    "read_state",
    "revisions",
    "same_database",
    "sqlite_path",
    "state_url_problem",
    "unreadable_time",
    "where",
]

MIGRATIONS = Path(__file__).parent / "migrations"


class StateStore:
    """A migrated state database, and the only way into it: every read and write of
    winlang's own tables is a typed method here (the tables are private to this package).
    Rows go in and out as the frozen dataclasses of :mod:`winlang.state.records`, NumPy
    arrays or Arrow tables."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        """Close the connections to the database."""
        self.engine.dispose()

    def version(self) -> str | None:
        """The schema revision of the database (:data:`HEAD` once migrated)."""
        with self.engine.connect() as connection:
            return connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()

    # ---- what the engine and the policies read --------------------------------------

    def view(self) -> LedgerView:
        """The engine's view: who received what, is in which list, for whom a rule fired."""
        return LedgerView(self.engine)

    def sent_history(self, campaign: str, now: datetime, seconds: float) -> SentHistory:
        """Messages sent within ``seconds`` before ``now``, but ``campaign``'s own at
        ``now`` (the frequency caps count them)."""
        return reads.sent_history(self.engine, campaign, now, seconds)

    def suppressions(
        self, now: datetime, customer: str | None = None, campaign: str | None = None
    ) -> list[SuppressionRow]:
        """Suppressions recorded at or before ``now`` (of ``customer`` only, when given);
        with ``campaign``, without its own ``unsubscribe`` actions at ``now``."""
        return reads.suppressions(self.engine, now, customer, campaign)

    def has_ingested_events(self) -> bool:
        """Whether ``winlang ingest`` stored any event here."""
        return ingested.anything_ingested(self.engine)

    def ingested_events(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str],
        since: datetime | None,
        until: datetime,
        filters: Sequence[ir.EventFilter] | None = None,
    ) -> pa.Table:
        """Ingested events of ``types`` (None: all) between ``since`` and ``until`` as an
        Arrow table of ``columns`` (of :data:`winlang.state.ingested.COLUMNS`); with
        ``filters``, only the events one of them keeps."""
        return ingested.read_events(self.engine, types, columns, since, until, filters)

    # ---- writes ---------------------------------------------------------------------

    def ledger(
        self,
        campaign: str,
        now: datetime,
        lease_seconds: float = 300.0,
        wall: Callable[[], datetime] = wall_clock,
    ) -> RunLedger:
        """The ledger writes of one run of ``campaign`` at the run clock ``now``."""
        return RunLedger(self.engine, campaign, now, lease_seconds, wall)

    def event_writer(self) -> AbstractContextManager[EventWriter]:
        """One transaction of ``winlang ingest`` (the ingest lock held)."""
        return ingested.event_writer(self.engine)

    def record_unsubscribe(
        self, customer_id: str, channel: str, at: datetime, campaign: str | None = None
    ) -> bool:
        """Suppress ``customer_id`` on ``channel`` (``*``: every channel) from ``at`` on;
        False when they were suppressed there already."""
        row = SuppressionRow(customer_id, channel, naive_utc(at), campaign)
        with self.engine.begin() as connection:
            return ingested.add_suppressions(connection, [row]) == 1

    def lease(self, name: str = LOCK_NAME, seconds: float = 300.0) -> Lease:
        """The lease ``name`` of the ``locks`` table, for this process to take."""
        return Lease(self.engine, name, seconds)

    # ---- reports --------------------------------------------------------------------

    def runs(self) -> list[tuple[int, str]]:
        """Every run recorded, oldest first: its id and campaign."""
        return reads.runs(self.engine)

    def run_count(self, campaign: str) -> int:
        """How many runs of ``campaign`` were recorded."""
        return reads.run_count(self.engine, campaign)

    def firings(self, campaign: str, now: datetime) -> list[FiringRecord]:
        """The campaign's firings planned at or before ``now``."""
        return reads.firings(self.engine, campaign, now)

    def customer_messages(self, customer_id: str, limit: int = 500) -> list[CustomerMessage]:
        """The latest ``limit`` messages to ``customer_id``, of every campaign."""
        return reads.customer_messages(self.engine, customer_id, limit)

    def next_due(self, campaign: str) -> datetime | None:
        """When ``campaign``'s earliest deferred firing is due (naive UTC), if one waits."""
        return next_due(self.engine, campaign)

    def sent_channel(self, campaign: str, customer_id: str, template: str) -> str | None:
        """The channel on which ``campaign`` sent ``customer_id`` the message ``template``."""
        return reads.sent_channel(self.engine, campaign, customer_id, template)

    def run_messages(self, run_id: int) -> list[RunMessage]:
        """The message rows run ``run_id`` wrote."""
        return reads.run_messages(self.engine, run_id)

    def run_skips(self, run_id: int) -> list[RunSkip]:
        """The skips run ``run_id`` recorded."""
        return reads.run_skips(self.engine, run_id)

    # ---- tracked links (winlang serve, ingest's wl_m, the demo) ---------------------

    def messages_by_id(self, ids: Sequence[str]) -> dict[str, list[TrackedMessage]]:
        """The ledger rows of each message id (the token of a short link, a link's
        ``wl_m``): usually one; several only when 60-bit ids collide."""
        return tracking.messages_by_id(self.engine, ids)

    def sent_and_held_out(self, campaign: str, run_id: int) -> list[TrackedFiring]:
        """The messages run ``run_id`` of ``campaign`` sent and the firings it held out."""
        return tracking.sent_and_held_out(self.engine, campaign, run_id)


State = StateStore  # the name most of winlang knows it by
DatabaseError = sa.exc.SQLAlchemyError  # what a blip of the database raises


HEAD = "0006"
VERSION_TABLE = "winlang_schema_version"
READ_BUSY_SECONDS = 10.0  # a reader waits this long for a run's write to end, then fails
WRITE_BUSY_SECONDS = 60.0


def revisions() -> frozenset[str]:
    """The schema revisions this winlang knows, from its migration files (``0002_...``)."""
    return frozenset(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("*_*.py"))


def read_state(
    url: str, *, store_url: str | None = None, allow_other_tables: bool = False
) -> StateStore | None:
    """The state database for reading only (dry runs, report, explain): None when there is
    none yet (no file, or a database without tables); a :class:`StateError` when it can't be
    read, is damaged, is not winlang's, or needs a migration, which only a real run may do."""
    _require_usable_url(url, store_url, allow_other_tables)
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            return None
        if not os.access(path, os.R_OK):
            raise StateError(f"the state database {where(url)} can't be read: no permission")
    engine = _translating(_reader(url), url)
    try:
        version = _inventory(engine, url, allow_other_tables)
    except BaseException:
        engine.dispose()
        raise
    if version is None:
        engine.dispose()
        return None  # no winlang tables here yet
    if version != HEAD:
        engine.dispose()
        raise StateError(
            f"the state database {where(url)} is at schema version {version}, this "
            f"winlang needs {HEAD}: run once without --dry-run to migrate it"
        )
    return StateStore(engine)


def open_state(
    url: str, *, store_url: str | None = None, allow_other_tables: bool = False
) -> StateStore:
    """Open the state database at ``url`` for a run, creating or migrating its tables first;
    a :class:`StateError` when it can't be written or is not winlang's to migrate."""
    from alembic import command
    from alembic.config import Config

    _require_usable_url(url, store_url, allow_other_tables)
    _require_writable(url)
    engine = _translating(_writer(url), url)
    try:
        if _inventory(engine, url, allow_other_tables) == HEAD:
            return StateStore(engine)  # the common case, without loading Alembic
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # two first runs at once: one migrates
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7406163)")
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError as error:
        engine.dispose()
        raise StateError(
            f"can't open the state database {where(url)}: {_first_line(error)}"
        ) from None
    except BaseException:
        engine.dispose()
        raise
    return StateStore(engine)


def _require_usable_url(url: str, store_url: str | None, allow_other_tables: bool) -> None:
    problem = state_url_problem(url, store_url, allow_other_tables)
    if problem is not None:
        raise StateError(problem)


def _require_writable(url: str) -> None:
    """A run writes the ledger: an SQLite file and its folder (where SQLite keeps its
    journal) must be writable, and the folder must exist."""
    path = sqlite_path(url)
    if path is None:
        return
    folder = path.parent
    if not folder.is_dir():
        raise StateError(f"can't create the state database {path}: no folder {folder}")
    if path.exists() and not os.access(path, os.W_OK):
        raise StateError(
            f"the state database {path} is read-only, and a run writes the ledger: make it "
            "writable (a dry run, report and explain only read it)"
        )
    if not os.access(folder, os.W_OK):
        raise StateError(
            f"the state database's folder {folder} is read-only, and a run writes the "
            "ledger (SQLite keeps its journal beside the database): make the folder writable"
        )


def _inventory(engine: sa.Engine, url: str, allow_other_tables: bool) -> str | None:
    """The database's schema version, or None when winlang has not created its tables yet;
    a :class:`StateError` for a database that holds other tables (unless allowed), a state
    from a newer winlang, or a state with a table missing."""
    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        if VERSION_TABLE not in names:
            if names and not allow_other_tables:
                shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
                raise StateError(
                    f"the state database {where(url)} is not winlang's: it holds other tables "
                    f"({shown}); give [state] url a database of its own (or set [state] "
                    "allow_other_tables = true if you mean it)"
                )
            return None
        version = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar()
    known = revisions()
    if version not in known and str(version) > max(known):  # revisions are 0001, 0002...
        raise StateError(
            f"the state database {where(url)} was written by a newer winlang (schema "
            f"revision {version}; this one knows up to {HEAD}): upgrade winlang"
        )
    if version not in known:
        raise StateError(
            f"the state database {where(url)} has schema revision {version}, which no "
            f"winlang wrote (this one knows {', '.join(sorted(known))})"
        )
    missing = sorted(set(T.metadata.tables) - names) if version == HEAD else []
    if missing:
        tables = ", ".join(f"`{name}`" for name in missing)
        raise StateError(
            f"the state database {where(url)} has no table {tables}: it was dropped; restore "
            "the state from a backup (winlang does not recreate it: without the ledger, "
            "messages already sent would be sent again)"
        )
    return version


def _reader(url: str) -> sa.Engine:
    if sqlite_path(url) is None:
        return sa.create_engine(url)
    return sa.create_engine(url, connect_args={"timeout": READ_BUSY_SECONDS})


def _writer(url: str) -> sa.Engine:
    """An engine for a state that several runs may write at once. SQLite transactions
    start with ``BEGIN IMMEDIATE`` so a transaction that reads and then writes (a claim)
    holds the write lock from its first read, and a busy database is waited for."""
    if sa.engine.make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url)
    engine = sa.create_engine(url, connect_args={"timeout": WRITE_BUSY_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _immediate(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# What a database error means for the state, as the user can act on it.
_MEANINGS = (
    ("file is not a database", "is not an SQLite database (damaged, or another kind of file)"),
    ("malformed", "is damaged ({reason}): restore it from a backup"),
    ("database is locked", "is locked by another process ({reason}): try again when it ends"),
    ("readonly database", "is read-only, and a run writes the ledger"),
    ("unable to open database file", "can't be opened ({reason})"),
)


def describe(url: str, error: BaseException) -> str:
    """One line naming the state database and what is wrong with it.

    >>> import sqlite3
    >>> describe("sqlite:///s.db", sqlite3.DatabaseError("file is not a database"))
    'the state database s.db is not an SQLite database (damaged, or another kind of file)'
    """
    reason = _first_line(error)
    for needle, meaning in _MEANINGS:
        if needle in reason:
            return f"the state database {where(url)} {meaning.format(reason=reason)}"
    return f"the state database {where(url)} can't be used: {reason}"


def _translating(engine: sa.Engine, url: str) -> sa.Engine:
    """Every database error of ``engine`` but a broken constraint becomes a
    :class:`StateError` naming the state, wherever it is read (the engine's ledger view,
    the policies, the report), so an unreadable state is never taken for an empty one."""

    @sa.event.listens_for(engine, "handle_error")
    def _state_error(context) -> None:
        error = context.sqlalchemy_exception
        if not isinstance(context.original_exception, Exception) or not isinstance(
            error, sa.exc.DBAPIError
        ):
            return  # Ctrl-C, or not the database's word: left as it is
        if isinstance(error, sa.exc.IntegrityError):
            return
        raise StateError(describe(url, context.original_exception)) from (
            context.sqlalchemy_exception
        )

    return engine


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
