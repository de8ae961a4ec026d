"""Messages for tests.

>>> make_message(customer_id="7").idempotency_key
'test/win_back/7/0'
>>> [m.to for m in make_messages(2)]
['customer1@example.com', 'customer2@example.com']
"""

from __future__ import annotations

from typing import Any

from ..contracts.message import Message, idempotency_key


def make_message(**overrides: Any) -> Message:
    """A rendered email message; any field can be overridden (``to=``, ``text=``...).

    The idempotency key follows ``campaign``, ``rule`` and ``customer_id`` (and
    ``occurrence=``) unless given.
    """
    occurrence = overrides.pop("occurrence", 0)
    fields: dict[str, Any] = {
        "campaign": "test",
        "rule": "win_back",
        "customer_id": "1",
        "channel": "email",
        "template": "miss_you",
        "to": "ada@example.com",
        "subject": "We miss you",
        "body": "Come back for 10% off.",
        **overrides,
    }
    fields.setdefault(
        "idempotency_key",
        idempotency_key(fields["campaign"], fields["rule"], fields["customer_id"], occurrence),
    )
    return Message(**fields)


def make_messages(count: int, **overrides: Any) -> list[Message]:
    """``count`` messages for customers 1..count, each with its own address and key."""
    return [
        make_message(customer_id=str(n), to=f"customer{n}@example.com", **overrides)
        for n in range(1, count + 1)
    ]
