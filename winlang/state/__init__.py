"""winlang's own state database: runs, the message ledger, assignments, lists, suppressions
and ingested events. ``open_state`` creates or migrates it (Alembic, versioned schema).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> state = open_state(f"sqlite:///{folder / 'state.db'}")
>>> state.version()
'0001'
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


HEAD = "0001"


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
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except sa.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise DataError(f"can't open the state database {safe(url)}: {reason}") from None
    return State(engine)


def safe(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


class LedgerView:
    """The engine's view of the state: who received what, who is in which list, which rule
    fired for whom (see :class:`winlang.plan.ir.StateFlag`)."""

    FIRED = ("planned", "sending", "sent", "failed", "held_out")  # a message exists

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
    """Customer ids are stored as text; give numbers back as numbers when all are."""
    try:
        return np.array([int(i) for i in ids], dtype=np.int64)
    except ValueError:
        return np.array(ids, dtype=object)
