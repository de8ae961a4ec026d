"""The engine's view of the state (:class:`LedgerView`) and the rule that a run's own work
is never its history (:func:`not_own_work`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from ..contracts.errors import StateError
from ..plan import ir
from ..times import naive_utc
from . import tables as T


class LedgerView:
    """The engine's view of the state: who received what, who is in which list, which rule
    fired for whom (see :class:`winlang.plan.ir.StateFlag`).

    What a run of a campaign decides on is the history *before* its clock: rows the campaign
    wrote at ``now`` itself (messages planned or sent, list members added) are the work of
    the run at ``now`` — the one asking, a run at the same ``now`` killed before it, or one
    running beside it — and never feed its own decisions (:func:`not_own_work`). So a run
    resumed after a crash, or repeated, at the same ``now`` decides exactly as the first.
    """

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
        where = [m.campaign == campaign, m.status == "sent", m.sent_at < now]
        if flag.key:
            where.append((m.channel if flag.by_channel else m.template) == flag.key)
        if flag.window is not None:
            where.append(m.sent_at >= now - _seconds(flag.window))
        if flag.older_than is not None:  # `received x more than D ago`
            where.append(m.sent_at < now - _seconds(flag.older_than))
        return sa.select(m.customer_id).where(*where).distinct()

    def _fired(self, flag: ir.StateFlag, campaign: str, now: datetime) -> sa.Select:
        m = T.messages.c
        where = [
            m.campaign == campaign,
            m.rule == flag.key,
            m.status.in_(self.FIRED),
            m.planned_at < now,
        ]
        if flag.window is not None:  # `repeat every D`: only a firing within D blocks
            where.append(m.planned_at > now - _seconds(flag.window))
        return sa.select(m.customer_id).where(*where).distinct()

    def _in_list(self, flag: ir.StateFlag, campaign: str, now: datetime) -> sa.Select:
        members = T.list_members.c
        return sa.select(members.customer_id).where(
            members.list_name == flag.key,
            members.added_at <= now,
            not_own_work(members.campaign, members.added_at, campaign, now),
            sa.or_(  # not removed yet, or removed by this very run
                members.removed_at.is_(None),
                members.removed_at > now,
                sa.not_(not_own_work(members.removed_by, members.removed_at, campaign, now)),
            ),
        )


def not_own_work(
    campaign_column: sa.ColumnElement, time_column: sa.ColumnElement, campaign: str, now: datetime
) -> sa.ColumnElement[bool]:
    """Rows that are not the work of ``campaign``'s run at ``now`` (see :class:`LedgerView`),
    whose work is what the campaign wrote stamped with the run's clock. Null-safe: a row
    without a campaign (an ingested unsubscribe) is never the run's own."""
    return sa.or_(
        campaign_column.is_(None), campaign_column != campaign, time_column != naive_utc(now)
    )


def _seconds(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def _ids(ids: list[str]) -> np.ndarray:
    """Customer ids as the ledger stores them: text. Only the store knows whether "007" is
    the number 7 or the text "007", so each backend reads them as its id column's type."""
    return np.array(ids, dtype=object)


def unreadable_time(connection: sa.Connection, table: sa.Table, *conditions) -> StateError:
    """The error for a row of ``table`` whose time column holds text that is not a time
    (SQLite keeps any text): it names the row, the column and the value. Asked only after
    reading failed."""
    url = connection.engine.url.render_as_string(hide_password=False)
    times = [c for c in table.columns if isinstance(c.type, sa.DateTime)]
    raw = [sa.type_coerce(c, sa.String).label(c.name) for c in times]
    for row in connection.execute(sa.select(table.c.id, *raw).where(*conditions)):
        for column in times:
            value = row._mapping[column.name]
            if value is not None and not _is_time(value):
                return StateError(
                    f"the state database {_where(url)} has a `{column.name}` that is not a "
                    f"time in row {row.id} of `{table.name}`: {str(value)[:60]!r}; correct or "
                    "delete that row"
                )
    return StateError(
        f"the state database {_where(url)} has a time it can't read in `{table.name}`"
    )


def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _where(url: str) -> str:
    from . import where

    return where(url)
