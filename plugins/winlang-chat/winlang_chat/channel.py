"""The ``chat`` channel: POST ``{"text": ...}`` to an incoming-webhook URL.

Answers are classified like winlang's ``webhook`` channel: 2xx sent; 408, 429, 5xx, timeouts
and connection errors temporary; other 4xx permanent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import httpx
import orjson

from winlang.channels.http import make_client, post
from winlang.channels.settings import Settings
from winlang.contracts.message import Message, SendResult


def chat_text(message: Message) -> str:
    """The text of a chat post: the message text, else a bold subject over the body.

    >>> from winlang.testing import make_message
    >>> chat_text(make_message(subject="Hi", body="Come back"))
    '*Hi*\\nCome back'
    """
    if message.text is not None:
        return message.text
    parts = [f"*{message.subject}*" if message.subject else None, message.body]
    return "\n".join(part for part in parts if part)


class ChatChannel:
    plugin = "chat"

    def __init__(
        self,
        url: str,
        client: httpx.Client,
        username: str | None = None,
        batch_size: int = 20,
        rate: float | None = 1.0,
    ) -> None:
        self.url = url
        self.client = client
        self.username = username
        self.batch_size = batch_size
        self.rate_per_second = rate

    @classmethod
    def from_settings(cls, name: str, settings: Mapping[str, object]) -> ChatChannel:
        read = Settings(name, cls.plugin, settings)
        # the URL of an incoming webhook is its password: prefer it from the environment
        url = read.secret("url_env") if "url_env" in settings else read.text("url")
        if urlsplit(url).scheme not in ("http", "https"):
            key = "url_env" if "url_env" in settings else "url"
            raise read.error(key, "must give an http:// or https:// URL")
        username = read.text("username", None)
        # chat apps allow about one post per second per webhook
        batch_size, rate = read.batch_size(20), read.rate_per_second(1.0)
        return cls(url, make_client(read), username, batch_size, rate)

    def payload(self, message: Message) -> bytes:
        data: dict[str, str] = {"text": chat_text(message)}
        if self.username:
            data["username"] = self.username
        return orjson.dumps(data)

    def send(self, batch: Sequence[Message]) -> list[SendResult]:
        return [self._send_one(message) for message in batch]

    def _send_one(self, message: Message) -> SendResult:
        headers = {"Content-Type": "application/json", "Idempotency-Key": message.idempotency_key}
        return post(self.client, message, self.url, self.payload(message), headers)

    def close(self) -> None:
        self.client.close()
