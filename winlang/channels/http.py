"""HTTP helpers for channels that POST to a provider (``webhook`` and third-party channels).

>>> outcome_for_status(202), outcome_for_status(429), outcome_for_status(404)
(<Outcome.SENT: 'sent'>, <Outcome.TEMPORARY: 'temporary'>, <Outcome.PERMANENT: 'permanent'>)
>>> signature(b'{"a":1}', "s3cret")[:15]
'sha256=5910e620'
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping

import httpx

from ..contracts.message import Message, Outcome, SendResult
from .deadline import DeadlineTransport
from .settings import Settings

# Worth another try later: the provider is slow, busy or briefly broken.
TEMPORARY_STATUSES = frozenset({408, 425, 429})


def outcome_for_status(status: int) -> Outcome:
    """2xx sent; 408, 425, 429 and 5xx temporary; any other status permanent."""
    if 200 <= status < 300:
        return Outcome.SENT
    if status in TEMPORARY_STATUSES or status >= 500:
        return Outcome.TEMPORARY
    return Outcome.PERMANENT


def signature(body: bytes, secret: str) -> str:
    """The ``X-Winlang-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def make_client(read: Settings) -> httpx.Client:
    """A pooled client with the ``connect_timeout`` and ``read_timeout`` settings (seconds),
    and ``timeout``, the whole request's (default: their sum): connecting, sending and the
    answer to its last byte end within it, however slowly the server sends."""
    connect = read.number("connect_timeout", 5.0)
    per_read = read.number("read_timeout", 10.0)
    total = read.number("timeout", connect + per_read)
    timeout = httpx.Timeout(per_read, connect=connect)
    # redirects are not followed: a POST that moved is a configuration problem to surface
    return httpx.Client(timeout=timeout, follow_redirects=False, transport=DeadlineTransport(total))


def post(
    client: httpx.Client,
    message: Message,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    provider_id: Callable[[httpx.Response], str | None] | None = None,
) -> SendResult:
    """POST one message and classify the answer; never raises for a network failure."""
    try:
        response = client.post(url, content=body, headers=dict(headers))
    except httpx.TimeoutException as error:
        # the provider may have accepted it: the retry carries the same idempotency key
        return SendResult.temporary(message, f"timeout: {type(error).__name__}")
    except httpx.HTTPError as error:  # refused, reset, DNS...
        return SendResult.temporary(message, f"{type(error).__name__}: {error}")
    outcome = outcome_for_status(response.status_code)
    if outcome is Outcome.SENT:
        return SendResult.sent(message, provider_id(response) if provider_id else None)
    error = f"HTTP {response.status_code}: {response.text[:200]}"
    return SendResult(message.idempotency_key, outcome, error=error)


def json_id(response: httpx.Response) -> str | None:
    """The ``id`` field of a JSON response body, if there is one."""
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return None if value is None else str(value)
