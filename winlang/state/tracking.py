"""The ledger read by message id: what `winlang serve` needs to answer a short or unsubscribe
link, and `winlang ingest` to place the ``wl_m`` of a tracked link (reached through
:class:`winlang.state.StateStore`).

Writing clicks and unsubscribes goes through the ingest writer (:mod:`winlang.tracking`), so
they are events like any other, seen by the engines, the contact policies and the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson
import sqlalchemy as sa

from . import tables as T

M = T.messages.c
SENT = "sent"


@dataclass(frozen=True, slots=True)
class TrackedMessage:
    """A ledger row found by its message id: whom it went to, on which channel and template
    (the step sent, after any failover), and the tracked link its ``{link}`` stood for."""

    message_id: str
    key: str
    campaign: str
    rule: str
    customer_id: str
    channel: str | None
    template: str | None
    status: str
    sent_at: datetime | None
    link: str | None  # the redirect target kept with the message; None: no `{link}`


def messages_by_id(engine: sa.Engine, ids: Iterable[str]) -> dict[str, list[TrackedMessage]]:
    """The ledger rows of each of ``ids`` (usually one; two rows share an id only when their
    60-bit ids collide, which the callers treat as unknown)."""
    wanted = sorted(set(ids))
    found: dict[str, list[TrackedMessage]] = {}
    query = sa.select(
        M.message_id,
        M.idempotency_key,
        M.campaign,
        M.rule,
        M.customer_id,
        M.channel,
        M.template,
        M.status,
        M.sent_at,
        M.step,
        M.payload,
    )
    with engine.connect() as connection:
        for start in range(0, len(wanted), 500):  # within SQLite's limit on bound values
            chunk = wanted[start : start + 500]
            for row in connection.execute(query.where(M.message_id.in_(chunk))):
                found.setdefault(row.message_id, []).append(
                    TrackedMessage(
                        row.message_id,
                        row.idempotency_key,
                        row.campaign,
                        row.rule,
                        str(row.customer_id),
                        row.channel,
                        row.template,
                        row.status,
                        row.sent_at,
                        _link_of(row.payload, row.step),
                    )
                )
    return found


def _link_of(payload: str | None, step: int | None) -> str | None:
    """The tracked link kept in the payload's message of ``step`` (``metadata.link``)."""
    try:
        items = orjson.loads(payload) if payload else []
    except orjson.JSONDecodeError:
        return None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("step") == step:
            message = item.get("message")
            metadata = message.get("metadata") if isinstance(message, dict) else None
            link = metadata.get("link") if isinstance(metadata, dict) else None
            return link if isinstance(link, str) else None
    return None


@dataclass(frozen=True, slots=True)
class TrackedFiring:
    """A firing of a campaign as the demo's simulated customers react to it."""

    message_id: str
    customer_id: str
    status: str  # sent or held_out
    channel: str | None
    planned_at: datetime


def sent_and_held_out(engine: sa.Engine, campaign: str, run_id: int) -> list[TrackedFiring]:
    """The messages ``run_id`` of ``campaign`` sent and the firings it held out, in ledger
    order (so a seeded simulation picks the same customers every time)."""
    query = (
        sa.select(M.message_id, M.customer_id, M.status, M.channel, M.planned_at)
        .where(M.campaign == campaign, M.run_id == run_id, M.status.in_((SENT, "held_out")))
        .order_by(M.id)
    )
    with engine.connect() as connection:
        return [
            TrackedFiring(
                row.message_id, str(row.customer_id), row.status, row.channel, row.planned_at
            )
            for row in connection.execute(query)
        ]
