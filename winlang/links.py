"""Links in messages: ``{link}`` and ``{unsubscribe}``.

Without ``[tracking]`` in winlang.toml, ``{link}`` is the campaign's ``link`` with tracking
parameters added (``wl_c`` campaign, ``wl_r`` rule, ``wl_m`` message id). With
``[tracking] base_url``, ``{link}`` is a short link ``BASE/r/TOKEN`` that ``winlang serve``
redirects to that same tracked link, recording the click; ``{unsubscribe}`` is
``BASE/u/TOKEN``, where the token is the message id and an HMAC signature made with the secret
in ``WINLANG_TRACKING_SECRET``, so nobody can unsubscribe a customer they did not message.

The message id (the token of a short link) is derived from the firing's ledger key, so a run
resumed or repeated renders the same link, and the ledger keeps it (``messages.message_id``) to
find the message again.

>>> tracking = Tracking("https://go.example.com", secret=b"s3cret")
>>> tracking.short_link("da2kpshv6v5f")
'https://go.example.com/r/da2kpshv6v5f'
>>> token = tracking.unsubscribe_token("da2kpshv6v5f")
>>> tracking.unsubscribe_link("da2kpshv6v5f") == f"https://go.example.com/u/{token}"
True
>>> tracking.verified_unsubscribe(token), tracking.verified_unsubscribe(token[:-1] + "a")
('da2kpshv6v5f', None)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from functools import lru_cache
from urllib.parse import quote, urlsplit, urlunsplit

from .frozen import frozen

MESSAGE_ID_LENGTH = 12  # base32 characters: 60 bits
SIGNATURE_LENGTH = 12  # base32 characters of the unsubscribe token's HMAC: 60 bits
SECRET_ENV = "WINLANG_TRACKING_SECRET"
CLICK_PATH = "/r/"
UNSUBSCRIBE_PATH = "/u/"
_TOKEN = re.compile(rf"[a-z2-7]{{{MESSAGE_ID_LENGTH}}}")
_SIGNED = re.compile(rf"[a-z2-7]{{{MESSAGE_ID_LENGTH + SIGNATURE_LENGTH}}}")
# Rendered in a dry run or a preview when the secret is not set: same length, never valid.
STAND_IN_SECRET = b"winlang: no WINLANG_TRACKING_SECRET, a stand-in for dry runs"


class MissingSecret(ValueError):
    """An unsubscribe link asked for without ``WINLANG_TRACKING_SECRET``; the message says
    what to set. (A plain ValueError: this module is below the error contracts, which the
    message id it defines is part of.)"""


@lru_cache(maxsize=8192)  # a message's id is read when planned, written and answered
def message_id(idempotency_key: str) -> str:
    """A short, URL-safe id for a message, stable for its idempotency key: the first 60 bits
    of its BLAKE2b digest in lowercase base32 (what ``base64.b32encode`` spells, written out
    here because the standard one is pure Python and this runs once per message).

    >>> message_id("ladder/survey/42/0")
    'g5xc5dk6h7o7'
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
    digest = hashlib.blake2b(idempotency_key.encode(), digest_size=10).digest()
    return base64.b32encode(digest).decode().lower()[:MESSAGE_ID_LENGTH]


def is_message_id(text: str) -> bool:
    """Whether ``text`` has the shape of a message id (checked before any lookup).

    >>> is_message_id("da2kpshv6v5f"), is_message_id("../etc/passwd")
    (True, False)
    """
    return _TOKEN.fullmatch(text) is not None


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


def base_url_problem(url: str) -> str | None:
    """What is wrong with ``[tracking] base_url``, or None.

    >>> base_url_problem("https://go.example.com") is None
    True
    >>> base_url_problem("go.example.com")
    '`go.example.com` is not a web address: write "https://go.example.com"'
    >>> base_url_problem("https://go.example.com/?a=1")
    'a base URL has no query or fragment: `https://go.example.com/?a=1`'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f'`{url}` is not a web address: write "https://{url.split("://")[-1]}"'
    if parts.query or parts.fragment:
        return f"a base URL has no query or fragment: `{url}`"
    return None


def secret_from_environment() -> bytes | None:
    """The tracking secret (``WINLANG_TRACKING_SECRET``), or None when it is not set."""
    value = os.environ.get(SECRET_ENV, "")
    return value.encode() if value else None


@frozen
class Tracking:
    """Where short and unsubscribe links point (``[tracking] base_url``) and the secret
    unsubscribe tokens are signed with (None: not set)."""

    base_url: str
    secret: bytes | None = None

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")

    def short_link(self, token: str) -> str:
        return f"{self.base}{CLICK_PATH}{token}"

    def unsubscribe_link(self, token: str) -> str:
        return f"{self.base}{UNSUBSCRIBE_PATH}{self.unsubscribe_token(token)}"

    def unsubscribe_token(self, token: str) -> str:
        """The message id followed by its signature; :class:`MissingSecret` without a
        secret."""
        if self.secret is None:
            raise MissingSecret(
                f"unsubscribe links are signed with a secret, and {SECRET_ENV} is not set: "
                "set it to a long random text, the same for `winlang serve` (e.g. the output "
                'of `python3 -c "import secrets; print(secrets.token_hex(32))"`)'
            )
        return token + _signature(self.secret, token)

    def verified_unsubscribe(self, signed: str) -> str | None:
        """The message id of an unsubscribe token whose signature is right, else None."""
        if self.secret is None or _SIGNED.fullmatch(signed) is None:
            return None
        token, signature = signed[:MESSAGE_ID_LENGTH], signed[MESSAGE_ID_LENGTH:]
        good = _signature(self.secret, token)
        return token if hmac.compare_digest(good, signature) else None


def _signature(secret: bytes, token: str) -> str:
    digest = hmac.new(secret, f"unsubscribe:{token}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:SIGNATURE_LENGTH]


def short_link_length(base_url: str) -> int:
    """The length of a short link (``BASE/r/`` and a message id), for SMS estimates."""
    return len(base_url.rstrip("/")) + len(CLICK_PATH) + MESSAGE_ID_LENGTH


def unsubscribe_link_length(base_url: str) -> int:
    return len(base_url.rstrip("/")) + len(UNSUBSCRIBE_PATH) + MESSAGE_ID_LENGTH + SIGNATURE_LENGTH
