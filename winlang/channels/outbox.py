"""The ``outbox`` channel (the safe default): one JSON object per message per line of a file.

It plays the provider in the exactly-once tests, so it drops repeats: a message whose
idempotency key is already in the file is answered ``sent`` and not written again. Writers take
an exclusive ``flock`` around read-check-append, so two processes can share one file; each
batch is flushed and fsynced before it is answered; a line cut short by a crash (the start of
an outbox line without its newline) is removed on the next open, so it is written again, whole,
once. Any other last line without a newline is kept, and a newline is written after it first.

What the file holds is known by the keys of its lines, read once per process: the channels of
one process (a run opens one per sending thread) share them per file, as hashes and line
offsets (:class:`winlang.channels.seen_keys.SeenKeys`), so memory stays ~16 bytes a line and
no thread parses the lines another one wrote.

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
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import orjson

from ..contracts.message import Message, SendResult
from ..sandbox import SandboxError, is_torn_outbox_line, outbox_file
from .seen_keys import SeenKeys
from .settings import Settings


class OutboxChannel:
    """Appends messages to a JSON-lines file, once per idempotency key."""

    plugin = "outbox"

    def __init__(self, path: Path, batch_size: int = 500, rate: float | None = None) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.rate_per_second = rate
        self._fd: int | None = None
        self._known = _known_keys(self.path)

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
        known = self._known
        try:
            with self._locked() as fd:
                self._read_new_lines(fd)
                results, new = self._check(batch, fd)
                _write_all(fd, b"".join(line for _, line in new))
                os.fsync(fd)
                for key, line in new:
                    known.seen.add(key, known.offset)
                    known.offset += len(line)
        except OSError as error:  # a full disk is worth retrying later
            self._reload()  # forget the keys whose lines did not reach the file
            return [SendResult.temporary(m, f"outbox {self.path}: {error}") for m in batch]
        return results

    def _check(
        self, batch: Sequence[Message], fd: int
    ) -> tuple[list[SendResult], list[tuple[str, bytes]]]:
        """A result for every message, and the key and line to append of each new one (a
        key twice in the batch is written once)."""
        results, new, fresh = [], [], set()
        seen, key_at = self._known.seen, _key_reader(fd)
        for message in batch:
            key = message.idempotency_key
            if key not in fresh and not seen.contains(key, key_at):
                fresh.add(key)
                new.append((key, orjson.dumps(message.as_json()) + b"\n"))
            results.append(SendResult.sent(message, message.message_id))
        return results, new

    def _reload(self) -> None:
        """Read the keys again from the file alone."""
        self._known.forget()
        try:
            with self._locked() as fd:
                self._read_new_lines(fd)
        except OSError:
            pass  # still failing: the next send reports it

    @contextmanager
    def _locked(self) -> Iterator[int]:
        """This file's lock: the process's other channels on it wait on the thread lock,
        other processes on the ``flock``."""
        fd = self._open()
        with self._known.lock:
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
        """Learn the keys that another process appended since the last read; cut off a torn
        last line (a writer that died mid-line never had that message answered) and end any
        other last line that lacks its newline, so no line is lost or joined."""
        known = self._known
        size = os.fstat(fd).st_size
        if size < known.offset:  # truncated or replaced behind our back: start over
            known.forget()
        if size == known.offset:
            return
        data = os.pread(fd, size - known.offset, known.offset)
        complete = data.rfind(b"\n") + 1
        last = data[complete:]
        if last and is_torn_outbox_line(last) and _key_of(last) is None:
            os.ftruncate(fd, known.offset + complete)
        elif last:
            _write_all(fd, b"\n")
            data, complete = data + b"\n", len(data) + 1
        at = known.offset
        for line in data[:complete].splitlines(keepends=True):
            key = _key_of(line)
            if key is not None:
                known.seen.add(key, at)
            at += len(line)
        known.offset += complete

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _KnownKeys:
    """What the channels of this process know of one outbox file: the keys of its lines up
    to ``offset``, behind ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen = SeenKeys()
        self.offset = 0  # how far into the file the keys were read

    def forget(self) -> None:
        self.seen.clear()
        self.offset = 0


# Per file, as long as a channel on it is open (a weak reference: nothing stays behind).
_KNOWN: weakref.WeakValueDictionary[str, _KnownKeys] = weakref.WeakValueDictionary()
_KNOWN_LOCK = threading.Lock()


def _known_keys(path: Path) -> _KnownKeys:
    name = os.path.realpath(path)
    with _KNOWN_LOCK:
        known = _KNOWN.get(name)
        if known is None:
            known = _KNOWN[name] = _KnownKeys()
        return known


def _key_reader(fd: int) -> Callable[[int], str | None]:
    """The key of the line at a byte offset of ``fd`` (None: not an outbox line)."""

    def key_at(offset: int) -> str | None:
        chunk = b""
        while True:
            data = os.pread(fd, 4096, offset + len(chunk))
            chunk += data
            if b"\n" in data or not data:  # the line as the reading split it (a lone CR too)
                return _key_of(chunk.splitlines()[0]) if chunk else None

    return key_at


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
