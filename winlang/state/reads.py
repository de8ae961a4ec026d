"""What the layers above read from the state: message history for the caps, suppressions,
the report's firings, a run's rows for the campaign tests. Each a function of an engine;
:class:`winlang.state.StateStore` is how callers reach them."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from ..times import naive_utc, stored_time
from . import tables as T
from .records import CustomerMessage, FiringRecord, RunMessage, RunSkip, SentHistory, SuppressionRow
from .view import not_own_work, unreadable_time

M = T.messages.c


def sent_history(engine: sa.Engine, campaign: str, now: datetime, seconds: float) -> SentHistory:
    """Messages sent within ``seconds`` before ``now`` (every campaign's), but ``campaign``'s
    own at ``now``: the work of this run, not its history. A send whose time can't be read
    counts as sent at ``now``: inside every window."""
    since = naive_utc(now) - timedelta(seconds=seconds)
    raw = sa.type_coerce(M.sent_at, sa.String)  # parsed below: a damaged row must not crash
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(M.customer_id, M.campaign, raw).where(
                M.status == "sent",
                M.sent_at >= since,
                M.sent_at <= naive_utc(now),
                not_own_work(M.campaign, M.sent_at, campaign, now),
            )
        ).all()
    if not rows:
        empty = np.array([], dtype=str)
        return SentHistory(empty, empty, np.array([], dtype="datetime64[us]"))
    ids, campaigns, texts = zip(*rows, strict=True)
    times = [stored_time(text) or naive_utc(now) for text in texts]
    return SentHistory(
        np.array(ids, dtype=str),
        np.array(campaigns, dtype=str),
        np.array(times, dtype="datetime64[us]"),
    )


def suppressions(
    engine: sa.Engine, now: datetime, customer: str | None = None, campaign: str | None = None
) -> list[SuppressionRow]:
    """The state's suppressions at or before ``now`` (of ``customer`` only, when given); with
    ``campaign``, without its own ``unsubscribe`` actions at ``now``."""
    s = T.suppressions.c
    query = sa.select(s.customer_id, s.channel, s.at, s.campaign).where(s.at <= naive_utc(now))
    if customer is not None:
        query = query.where(s.customer_id == customer)
    if campaign is not None:
        query = query.where(not_own_work(s.campaign, s.at, campaign, now))
    with engine.connect() as connection:
        return [SuppressionRow(*row) for row in connection.execute(query)]


def firings(engine: sa.Engine, campaign: str, now: datetime) -> list[FiringRecord]:
    """The campaign's firings planned at or before ``now``; a :class:`StateError` naming the
    row when a time can't be read."""
    query = sa.select(
        M.rule,
        M.customer_id,
        M.status,
        M.planned_at,
        M.sent_at,
        M.channel,
        M.template,
        M.variant,
        M.parts,
    ).where(M.campaign == campaign, M.planned_at <= naive_utc(now))
    with engine.connect() as connection:
        try:
            return [FiringRecord(*row) for row in connection.execute(query)]
        except ValueError:  # a time SQLite keeps as text that is not a time
            raise unreadable_time(connection, T.messages, M.campaign == campaign) from None


def customer_messages(engine: sa.Engine, customer: str, limit: int) -> list[CustomerMessage]:
    """The ledger's latest ``limit`` messages to ``customer``, of every campaign."""
    query = (
        sa.select(
            M.campaign,
            M.rule,
            M.channel,
            M.template,
            M.variant,
            M.status,
            M.planned_at,
            M.sent_at,
            M.parts,
            M.error,
        )
        .where(M.customer_id == customer)
        .order_by(M.planned_at.desc(), M.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [CustomerMessage(*row) for row in connection.execute(query)]


def run_count(engine: sa.Engine, campaign: str) -> int:
    """How many runs of ``campaign`` the state recorded."""
    query = sa.select(sa.func.count()).select_from(T.runs).where(T.runs.c.campaign == campaign)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def runs(engine: sa.Engine) -> list[tuple[int, str]]:
    """Every run recorded, oldest first: its id and campaign."""
    query = sa.select(T.runs.c.id, T.runs.c.campaign).order_by(T.runs.c.id)
    with engine.connect() as connection:
        return [(int(id_), str(campaign)) for id_, campaign in connection.execute(query)]


def sent_channel(engine: sa.Engine, campaign: str, customer: str, template: str) -> str | None:
    """The channel on which ``campaign`` sent ``customer`` the message ``template``, if any."""
    query = sa.select(M.channel).where(
        M.campaign == campaign,
        M.customer_id == customer,
        M.template == template,
        M.status == "sent",
    )
    with engine.connect() as connection:
        return connection.execute(query).scalar()


def run_messages(engine: sa.Engine, run_id: int) -> list[RunMessage]:
    """The message rows run ``run_id`` wrote."""
    query = sa.select(
        M.customer_id,
        M.rule,
        M.status,
        M.idempotency_key,
        M.channel,
        M.template,
        M.variant,
        M.error,
        M.due_at,
    ).where(M.run_id == run_id)
    with engine.connect() as connection:
        return [RunMessage(*row) for row in connection.execute(query)]


def run_skips(engine: sa.Engine, run_id: int) -> list[RunSkip]:
    """The skips run ``run_id`` recorded."""
    s = T.skips.c
    query = sa.select(s.customer_id, s.rule, s.reason, s.until).where(s.run_id == run_id)
    with engine.connect() as connection:
        return [RunSkip(*row) for row in connection.execute(query)]
