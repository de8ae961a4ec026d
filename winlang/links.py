"""Tracking links: ``{link}`` in a template is the campaign's link plus tracking parameters."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import quote, urlsplit, urlunsplit

MESSAGE_ID_LENGTH = 12


def message_id(idempotency_key: str) -> str:
    """A short, URL-safe id for a message, stable for its idempotency key: the first 60 bits
    of its BLAKE2b digest in lowercase base32 (what ``base64.b32encode`` spells, written out
    here because the standard one is pure Python and this runs once per message).

    >>> message_id("ladder/survey/42/0") == _b32_message_id("ladder/survey/42/0")
    True
    """
    digest = hashlib.blake2b(idempotency_key.encode(), digest_size=10).digest()
    bits = int.from_bytes(digest[:8], "big") >> 4  # 12 characters of 5 bits, 2 at a time
    pair = _BASE32_PAIRS
    return (
        pair[bits >> 50]
        + pair[(bits >> 40) & 1023]
        + pair[(bits >> 30) & 1023]
        + pair[(bits >> 20) & 1023]
        + pair[(bits >> 10) & 1023]
        + pair[bits & 1023]
    )


_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_BASE32_PAIRS = tuple(a + b for a in _BASE32 for b in _BASE32)  # 10 bits -> 2 characters


def _b32_message_id(idempotency_key: str) -> str:
    """:func:`message_id` by the standard library, which it must always equal."""
    import base64

    digest = hashlib.blake2b(idempotency_key.encode(), digest_size=10).digest()
    return base64.b32encode(digest).decode().lower()[:MESSAGE_ID_LENGTH]


def tracking_link(base: str, campaign: str, rule: str, message: str) -> str:
    """``base`` with campaign, rule and message id appended as query parameters.

    >>> tracking_link("https://shop.example/back?x=1", "ladder", "survey", "abc")
    'https://shop.example/back?x=1&wl_c=ladder&wl_r=survey&wl_m=abc'
    """
    head, tail = _around_message(base, campaign, rule)
    return f"{head}{message}{tail}"


@lru_cache(maxsize=1024)
def _around_message(base: str, campaign: str, rule: str) -> tuple[str, str]:
    """The link up to and after the message id: parsed once per campaign and rule, since a
    run renders the same link for every message of a rule."""
    parts = urlsplit(base)
    extra = f"wl_c={quote(campaign, safe='')}&wl_r={quote(rule, safe='')}&wl_m=\0"
    query = f"{parts.query}&{extra}" if parts.query else extra
    head, tail = urlunsplit(parts._replace(query=query)).split("\0")
    return head, tail
