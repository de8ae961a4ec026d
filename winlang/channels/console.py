"""The ``console`` channel: prints each message readably; for trying campaigns out.

>>> import io
>>> from winlang.testing import make_message
>>> out = io.StringIO()
>>> channel = ConsoleChannel(stream=out)
>>> [r.outcome.value for r in channel.send([make_message(to="ada@example.com")])]
['sent']
>>> print(out.getvalue().splitlines()[0])
--- email to ada@example.com [test/win_back/1/0]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from ..contracts.message import Message, SendResult
from .settings import Settings

STREAMS = {"stdout": lambda: sys.stdout, "stderr": lambda: sys.stderr}


# Control characters but tab and newline: a terminal obeys them (ESC sequences clear the
# screen, set the title, write the clipboard), so a customer value must not print them raw.
_TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """``text`` safe to print on a terminal: control characters written as ``\\xNN`` (a
    Windows line end is a line end).

    >>> shown("Ana\\x1b[2J\\r\\nBo\\rX")
    'Ana\\\\x1b[2J\\nBo\\\\x0dX'
    """
    text = text.replace("\r\n", "\n")
    return _TERMINAL_CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", text)


def render(message: Message) -> str:
    """A message as a few readable lines, safe to print on a terminal."""
    lines = [f"--- {message.channel} to {message.to} [{message.idempotency_key}]"]
    if message.subject is not None:
        lines.append(f"Subject: {message.subject}")
    lines.extend(part for part in (message.text, message.body) if part is not None)
    return shown("\n".join(lines)) + "\n"


class ConsoleChannel:
    """Writes to ``stream`` (stdout by default); every message counts as sent."""

    plugin = "console"

    def __init__(
        self, stream: TextIO | None = None, batch_size: int = 100, rate: float | None = None
    ) -> None:
        self.stream = stream
        self.batch_size = batch_size
        self.rate_per_second = rate

    @classmethod
    def from_settings(cls, name: str, settings: Mapping[str, object]) -> ConsoleChannel:
        read = Settings(name, cls.plugin, settings)
        stream = read.values.get("stream", "stdout")
        if isinstance(stream, str):
            if stream not in STREAMS:
                raise read.error("stream", "must be stdout or stderr")
            stream = STREAMS[stream]()
        elif not hasattr(stream, "write"):
            raise read.error("stream", "must be stdout, stderr or a writable stream")
        return cls(stream, read.batch_size(100), read.rate_per_second())

    def send(self, batch: Sequence[Message]) -> list[SendResult]:
        stream = self.stream or sys.stdout  # looked up late: tests capture sys.stdout
        results = []
        for message in batch:
            try:
                stream.write(render(message))
                results.append(SendResult.sent(message))
            except (OSError, ValueError) as error:  # a closed pipe or stream
                results.append(SendResult.temporary(message, f"console: {error}"))
        return results

    def close(self) -> None:
        pass  # the stream is the caller's
