"""Tracking links: ``{link}`` in a template is the campaign's link plus tracking parameters."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import quote, urlsplit, urlunsplit

MESSAGE_ID_LENGTH = 12


def message_id(idempotency_key: str) -> str:
    """A short, URL-safe id for a message, stable for its idempotency key.

    >>> len(message_id("ladder/survey/42/0"))
    12
    """
    digest = hashlib.blake2b(idempotency_key.encode(), digest_size=10).digest()
    import base64

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
