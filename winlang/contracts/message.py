"""The message contract: what flows between the planner, the ledger and the channel plugins.

A :class:`Message` is fully rendered before any channel sees it; a channel answers each one
with a :class:`SendResult`. The idempotency key is the message's identity everywhere: the
ledger's unique key, the channel's duplicate filter, the provider's ``Idempotency-Key``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum

from ..frozen import frozen
from ..links import message_id


def idempotency_key(campaign: str, rule: str, customer_id: object, occurrence: int = 0) -> str:
    """The identity of one message: a rule of a campaign for a customer, the n-th time
    (``occurrence`` counts the periods of a ``repeat every`` rule, else 0).

    >>> idempotency_key("ladder", "survey", 42)
    'ladder/survey/42/0'
    """
    return f"{campaign}/{rule}/{customer_id}/{occurrence}"


@frozen(slots=True)
class Message:
    """One rendered message for one customer on one channel.

    ``text`` is the body of an SMS, push or chat message; an email has ``subject`` and
    ``body`` instead, and ``html`` says whether the body is HTML (its values then escaped);
    None (a message built by hand, or planned before winlang said) lets the channel judge by
    the text. ``parts`` is the SMS part count of the rendered text (None elsewhere).
    """

    idempotency_key: str
    campaign: str
    rule: str
    customer_id: str
    channel: str
    template: str
    to: str
    text: str | None = None
    subject: str | None = None
    body: str | None = None
    parts: int | None = None
    variant: str | None = None
    html: bool | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        """Short and URL-safe, for tracking links and provider references."""
        return message_id(self.idempotency_key)

    def as_json(self) -> dict[str, object]:
        """The outbox line: every field a downstream system needs, nothing empty (written
        out field by field: once per message planned and once per message sent)."""
        data: dict[str, object] = {
            "idempotency_key": self.idempotency_key,
            "message_id": self.message_id,
            "campaign": self.campaign,
            "rule": self.rule,
            "customer_id": self.customer_id,
            "channel": self.channel,
            "template": self.template,
            "to": self.to,
        }
        if self.text is not None:
            data["text"] = self.text
        if self.subject is not None:
            data["subject"] = self.subject
        if self.body is not None:
            data["body"] = self.body
        if self.parts is not None:
            data["parts"] = self.parts
        if self.variant is not None:
            data["variant"] = self.variant
        if self.html is not None:
            data["html"] = self.html
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Message:
        """The message back from :meth:`as_json` (the ledger keeps planned messages so).

        >>> m = Message("c/r/1/0", "c", "r", "1", "sms", "t", "+40", text="hi", parts=1)
        >>> Message.from_json(m.as_json()) == m
        True
        """
        fields = {k: v for k, v in data.items() if k != "message_id"}
        return cls(**fields)  # type: ignore[arg-type]


class Outcome(StrEnum):
    SENT = "sent"  # accepted by the provider (or already accepted earlier: a repeat)
    TEMPORARY = "temporary"  # try again later with backoff: timeouts, 429, 5xx, 4xx greylisting
    PERMANENT = "permanent"  # never going to work: bad address, rejected; triggers `else send`


@frozen(slots=True)
class SendResult:
    """A channel's answer for one message. ``attempted`` is False only for a message the
    channel never transmitted because of an earlier failure in the same batch (the
    connection dropped before its turn): it goes back to the queue without costing an
    attempt. Anything that may have reached the provider was attempted."""

    idempotency_key: str
    outcome: Outcome
    provider_id: str | None = None
    error: str | None = None
    attempted: bool = True

    @classmethod
    def sent(cls, message: Message, provider_id: str | None = None) -> SendResult:
        return cls(message.idempotency_key, Outcome.SENT, provider_id)

    @classmethod
    def temporary(cls, message: Message, error: str) -> SendResult:
        return cls(message.idempotency_key, Outcome.TEMPORARY, error=error)

    @classmethod
    def permanent(cls, message: Message, error: str) -> SendResult:
        return cls(message.idempotency_key, Outcome.PERMANENT, error=error)

    @classmethod
    def not_attempted(cls, message: Message, reason: str) -> SendResult:
        """Not transmitted at all (an earlier failure in the batch stopped the channel
        before this message): sent again soon, without counting an attempt."""
        return cls(message.idempotency_key, Outcome.TEMPORARY, error=reason, attempted=False)
