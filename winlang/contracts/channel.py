"""The channel contract: how a plugin sends batches of rendered messages.

A channel plugin (hook ``winlang_channel``) returns a :class:`Channel`; bad settings are
refused with :class:`~winlang.contracts.errors.ChannelError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .message import Message, SendResult


class Channel(Protocol):
    """A way to reach customers (SMS gateway, email server, chat app, webhook...).

    ``send`` gets at most ``batch_size`` messages and returns exactly one result per message,
    in any order, matched by idempotency key. It must not raise for a failing message:
    a refused address is ``SendResult.permanent``, a timeout ``SendResult.temporary``. The
    same idempotency key can arrive again (after a crash, or a retry of a timeout that the
    provider did accept): a channel that can, drops the repeat and answers ``sent``.
    ``rate_per_second`` (None: unlimited) is how fast winlang may call it.
    """

    plugin: str
    batch_size: int
    rate_per_second: float | None

    def send(self, batch: Sequence[Message]) -> Sequence[SendResult]: ...

    def close(self) -> None: ...
