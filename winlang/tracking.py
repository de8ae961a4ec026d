"""Clicks and unsubscribes from tracked links, recorded in the state.

`winlang serve` (``/r/`` and ``/u/``) and `winlang demo` (its simulated customers) record them
here, one way: as events written by the ingest writer (:func:`winlang.ingest.write.write_batch`),
so a click is a ``click`` event of the message's campaign, template, channel and customer that
``clicked`` conditions, ``report`` and ``explain`` see at once, and an unsubscribe is an
``unsubscribe`` event on the message's channel that suppresses the customer there from the
next run on (:mod:`winlang.policies.suppressions`), exactly as an ingested one does.

Each is recorded once per message: its event id is made from the message id
(``winlang/click/<id>``, ``winlang/unsubscribe/<id>``), so a second click or a second post
changes nothing. The rule is the message's: the event id names the ledger row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .ingest.records import Event
from .state import State
from .state.tracking import TrackedMessage

CLICK = "click"
UNSUBSCRIBE = "unsubscribe"


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording did: ``new`` False when the message's event was there already."""

    message: TrackedMessage
    new: bool


def event_id(kind: str, message: TrackedMessage) -> str:
    """The id of a message's click or unsubscribe event: one per message.

    >>> m = TrackedMessage("g5xc5dk6h7o7", "l/s/42/0", "l", "s", "42", "sms", "t", "sent",
    ...                    None, None)
    >>> event_id("click", m)
    'winlang/click/g5xc5dk6h7o7'
    """
    return f"winlang/{kind}/{message.message_id}"


def find_message(state: State, message_id: str) -> TrackedMessage | None:
    """The message a link's token names, if the ledger has exactly one such message that
    was given to a channel (a held-out firing has no link)."""
    found = state.messages_by_id([message_id]).get(message_id, [])
    return found[0] if len(found) == 1 and found[0].channel is not None else None


def record_click(state: State, message: TrackedMessage, at: datetime | None = None) -> Recorded:
    """Record that ``message``'s short link was followed at ``at`` (now by default)."""
    return Recorded(message, record(state, CLICK, [(message, at)]) == 1)


def record_unsubscribe(
    state: State, message: TrackedMessage, at: datetime | None = None
) -> Recorded:
    """Record that ``message``'s customer unsubscribed from its channel at ``at``."""
    return Recorded(message, record(state, UNSUBSCRIBE, [(message, at)]) == 1)


def record(
    state: State, kind: str, reactions: Sequence[tuple[TrackedMessage, datetime | None]]
) -> int:
    """Record a click or an unsubscribe (``kind``) for each message, at its time (now when
    None), in one transaction; how many were new."""
    from .ingest.write import write_batch  # SQLAlchemy and PyArrow: only when writing

    wall = _naive_utc(datetime.now(UTC))
    events = [
        (
            line,
            Event(
                event_id(kind, message),
                message.customer_id,
                kind,
                message.channel,
                message.campaign,
                message.template,
                _naive_utc(at) if at is not None else wall,
            ),
        )
        for line, (message, at) in enumerate(reactions, start=1)
    ]
    if not events:
        return 0
    with state.event_writer() as writer:
        return write_batch(writer, events, wall).new


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
