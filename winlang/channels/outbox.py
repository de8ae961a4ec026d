"""The ``outbox`` channel (the safe default): one JSON object per message per line of a file.

It plays the provider in the exactly-once tests, so it drops repeats: a message whose
idempotency key is already in the file is answered ``sent`` and not written again. Writers take
an exclusive ``flock`` around read-check-append, so two processes can share one file; each
batch is flushed and fsynced before it is answered; a line cut short by a crash (the start of
an outbox line without its newline) is removed on the next open, so it is written again, whole,
once. Any other last line without a newline is kept, and a newline is written after it first.

It appends only to its own files: the path must end in ``.jsonl``, lie inside the project
folder, and an existing file must be empty or start with an outbox line
(:func:`winlang.sandbox.outbox_file`); anything else is refused when the channel is set up.

>>> import tempfile, pathlib
>>> from winlang.testing import make_message
>>> path = pathlib.Path(tempfile.mkdtemp()) / "out" / "sms.jsonl"
>>> outbox = OutboxChannel(path)
>>> message = make_message()
>>> [r.outcome.value for r in outbox.send([message, message])]
['sent', 'sent']
>>> len(path.read_text().splitlines())
1
>>> outbox.close()
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import orjson

from ..contracts.message import Message, SendResult
from ..sandbox import SandboxError, is_torn_outbox_line, outbox_file
from .settings import Settings


class OutboxChannel:
    """Appends messages to a JSON-lines file, once per idempotency key."""

    plugin = "outbox"

    def __init__(self, path: Path, batch_size: int = 500, rate: float | None = None) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.rate_per_second = rate
        self._fd: int | None = None
        self._keys: set[str] = set()
        self._offset = 0  # how far into the file the keys were read

    @classmethod
    def from_settings(cls, name: str, settings: Mapping[str, object]) -> OutboxChannel:
        read = Settings(name, cls.plugin, settings)
        try:
            path = outbox_file(read.root, read.output_file("path", f"outbox/{name}.jsonl"))
        except (SandboxError, OSError) as error:
            raise read.error("path", f"is refused: {error}") from None
        return cls(path, read.batch_size(500), read.rate_per_second())

    def send(self, batch: Sequence[Message]) -> list[SendResult]:
        if not batch:
            return []
        try:
            with self._locked() as fd:
                self._read_new_lines(fd)
                results, lines = self._check(batch)
                _write_all(fd, b"".join(lines))
                os.fsync(fd)
                self._offset += sum(map(len, lines))
        except OSError as error:  # a full disk is worth retrying later
            self._reload()  # forget the keys whose lines did not reach the file
            return [SendResult.temporary(m, f"outbox {self.path}: {error}") for m in batch]
        return results

    def _check(self, batch: Sequence[Message]) -> tuple[list[SendResult], list[bytes]]:
        """A result for every message, and the lines to append for the new ones."""
        results, lines = [], []
        for message in batch:
            if message.idempotency_key not in self._keys:
                self._keys.add(message.idempotency_key)
                lines.append(orjson.dumps(message.as_json()) + b"\n")
            results.append(SendResult.sent(message, message.message_id))
        return results, lines

    def _reload(self) -> None:
        """Read the keys again from the file alone."""
        self._keys, self._offset = set(), 0
        try:
            with self._locked() as fd:
                self._read_new_lines(fd)
        except OSError:
            pass  # still failing: the next send reports it

    @contextmanager
    def _locked(self) -> Iterator[int]:
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # O_APPEND: every write lands at the current end, whoever else appended meanwhile
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        return self._fd

    def _read_new_lines(self, fd: int) -> None:
        """Learn the keys that this or another process appended since the last read; cut off
        a torn last line (a writer that died mid-line never had that message answered) and
        end any other last line that lacks its newline, so no line is lost or joined."""
        size = os.fstat(fd).st_size
        if size < self._offset:  # truncated or replaced behind our back: start over
            self._keys, self._offset = set(), 0
        data = os.pread(fd, size - self._offset, self._offset)
        complete = data.rfind(b"\n") + 1
        last = data[complete:]
        if last and is_torn_outbox_line(last) and _key_of(last) is None:
            os.ftruncate(fd, self._offset + complete)
        elif last:
            _write_all(fd, b"\n")
            data, complete = data + b"\n", len(data) + 1
        for line in data[:complete].splitlines():
            key = _key_of(line)
            if key is not None:
                self._keys.add(key)
        self._offset += complete

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _key_of(line: bytes) -> str | None:
    """The idempotency key of one line; None for a blank or foreign line (kept, not ours)."""
    try:
        key = orjson.loads(line).get("idempotency_key")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return key if isinstance(key, str) else None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
