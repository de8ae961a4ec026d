"""The ``webhook`` channel: POSTs each message as JSON, signed, with an ``Idempotency-Key``.

The receiver (an SMS, push or chat provider, or your own service) verifies
``X-Winlang-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the shared secret, and
drops a repeated ``Idempotency-Key``: a timed-out request may have been accepted, and winlang
retries it with the same key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import httpx
import orjson

from ..addresses import has_control_characters, header_text
from ..contracts.message import Message, SendResult
from .http import json_id, make_client, post, signature
from .settings import Settings


class WebhookChannel:
    plugin = "webhook"

    def __init__(
        self,
        url: str,
        client: httpx.Client,
        secret: str | None = None,
        headers: Mapping[str, str] | None = None,
        batch_size: int = 100,
        rate: float | None = None,
    ) -> None:
        self.url = url
        self.client = client  # one connection pool, reused across batches
        self.secret = secret
        self.headers = dict(headers or {})
        self.batch_size = batch_size
        self.rate_per_second = rate

    @classmethod
    def from_settings(cls, name: str, settings: Mapping[str, object]) -> WebhookChannel:
        read = Settings(name, cls.plugin, settings)
        url = read.text("url")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise read.error("url", f"must be an http:// or https:// URL, not {url!r}")
        secret = read.secret("secret_env", required=False)
        headers = read.mapping("headers")
        if any(has_control_characters(f"{k}{v}") for k, v in headers.items()):
            raise read.error("headers", "must not hold line breaks or other control characters")
        batch_size, rate = read.batch_size(100), read.rate_per_second()
        return cls(url, make_client(read), secret, headers, batch_size, rate)

    def request(self, message: Message) -> tuple[bytes, dict[str, str]]:
        """The body and headers of the POST for one message."""
        body = orjson.dumps(message.as_json())
        headers = {
            **self.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": header_text(message.idempotency_key),  # an id may hold a CR LF
        }
        if self.secret is not None:
            headers["X-Winlang-Signature"] = signature(body, self.secret)
        return body, headers

    def send(self, batch: Sequence[Message]) -> list[SendResult]:
        results = []
        for message in batch:
            body, headers = self.request(message)
            results.append(post(self.client, message, self.url, body, headers, json_id))
        return results

    def close(self) -> None:
        self.client.close()  # httpx allows closing twice
