"""winlang's own state database: runs, the message ledger, assignments, lists, suppressions
and ingested events. ``open_state`` creates or migrates it (Alembic, versioned schema).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> state = open_state(f"sqlite:///{folder / 'state.db'}")
>>> state.version()
'0002'
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from ..errors import DataError
from ..plan import ir
from ..sources.normalize import naive_utc
from . import tables as T

MIGRATIONS = Path(__file__).parent / "migrations"


class State:
    """A migrated state database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def version(self) -> str | None:
        with self.engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT version_num FROM winlang_schema_version"
            ).scalar()

    def view(self) -> LedgerView:
        return LedgerView(self.engine)


HEAD = "0002"


def read_state(url: str) -> State | None:
    """The state database for reading only (dry runs, explain): None when it does not exist
    yet; an error when it needs a migration, which only a real run may do."""
    from ..schema import SchemaError, require_local_file

    try:
        require_local_file(url)
    except SchemaError:
        return None
    engine = sa.create_engine(url)
    try:
        version = State(engine).version()
    except sa.exc.SQLAlchemyError:
        engine.dispose()
        return None  # no winlang tables here yet
    if version != HEAD:
        raise DataError(
            f"the state database {safe(url)} is at schema version {version}, this "
            f"winlang needs {HEAD}: run once without --dry-run to migrate it"
        )
    return State(engine)


def open_state(url: str) -> State:
    """Open the state database at ``url``, creating or migrating its tables first."""
    from alembic import command
    from alembic.config import Config

    try:
        engine = _writer(url)
        if _version(engine) == HEAD:
            return State(engine)  # the common case, without loading Alembic
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # two first runs at once: one migrates
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7406163)")
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise DataError(f"can't open the state database {safe(url)}: {reason}") from None
    return State(engine)


def _version(engine: sa.Engine) -> str | None:
    try:
        return State(engine).version()
    except sa.exc.SQLAlchemyError:
        return None


def _writer(url: str) -> sa.Engine:
    """An engine for a state that several runs may write at once. SQLite transactions
    start with ``BEGIN IMMEDIATE`` so a transaction that reads and then writes (a claim)
    holds the write lock from its first read, and a busy database is waited for."""
    if sa.engine.make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url)
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _immediate(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def safe(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class LedgerView:
    """The engine's view of the state: who received what, who is in which list, which rule
    fired for whom (see :class:`winlang.plan.ir.StateFlag`)."""

    FIRED = ("planned", "sent", "failed", "held_out", "done")  # the rule fired for them

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def customers(self, flag: ir.StateFlag, campaign: str, now: datetime) -> np.ndarray:
        query = {"received": self._received, "in_list": self._in_list, "fired": self._fired}[
            flag.state
        ](flag, campaign, naive_utc(now))
        with self.engine.connect() as connection:
            ids = [row[0] for row in connection.execute(query)]
        return _ids(ids)

    def _received(self, flag: ir.StateFlag, campaign: str, now: datetime) -> sa.Select:
        m = T.messages.c
        where = [m.campaign == campaign, m.status == "sent", m.sent_at <= now]
        if flag.key:
            where.append((m.channel if flag.by_channel else m.template) == flag.key)
        if flag.window is not None:
            where.append(m.sent_at >= now - _seconds(flag.window))
        return sa.select(m.customer_id).where(*where).distinct()

    def _fired(self, flag: ir.StateFlag, campaign: str, now: datetime) -> sa.Select:
        m = T.messages.c
        where = [
            m.campaign == campaign,
            m.rule == flag.key,
            m.status.in_(self.FIRED),
            m.planned_at <= now,
        ]
        if flag.window is not None:  # `repeat every D`: only a firing within D blocks
            where.append(m.planned_at > now - _seconds(flag.window))
        return sa.select(m.customer_id).where(*where).distinct()

    def _in_list(self, flag: ir.StateFlag, campaign: str, now: datetime) -> sa.Select:
        members = T.list_members.c
        return sa.select(members.customer_id).where(
            members.list_name == flag.key, members.added_at <= now
        )


def _seconds(seconds: float):
    from datetime import timedelta

    return timedelta(seconds=seconds)


def _ids(ids: list[str]) -> np.ndarray:
    """Customer ids as the ledger stores them: text. Only the store knows whether "007" is
    the number 7 or the text "007", so each backend reads them as its id column's type."""
    return np.array(ids, dtype=object)
