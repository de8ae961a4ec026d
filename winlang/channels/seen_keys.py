"""The idempotency keys an outbox file holds, kept compactly: a 64-bit hash and the line's
byte offset per key (16 bytes), not the key itself (a Python string in a set: ~120 bytes).

A hash says a key *may* be in the file; the line at each offset with that hash is read back
to be sure, so a collision never drops a message. Hashes are Python's ``hash`` (the same
within the process, which is as long as the keys are kept). New keys wait in a small dict
and are merged into two sorted NumPy arrays in bulk.

>>> lines = {}
>>> seen = SeenKeys()
>>> seen.add("c/r/1/0", 0); lines[0] = "c/r/1/0"
>>> seen.contains("c/r/1/0", lines.get), seen.contains("c/r/2/0", lines.get), len(seen)
(True, False, 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

KeyAt = Callable[[int], str | None]  # the key of the line at a byte offset (None: not ours)


class SeenKeys:
    """Keys with the offset of their line; membership checked against the lines."""

    MERGE_AT = 65_536  # pending keys merged into the sorted arrays at once

    def __init__(self, hash_key: Callable[[str], int] = hash) -> None:
        self._hash = hash_key
        # Sorted hashes and the line of each, made at the first merge: NumPy is imported
        # then, not when a channel is opened (`winlang check` opens them, loading no NumPy).
        self._hashes: np.ndarray | None = None
        self._offsets: np.ndarray | None = None
        self._pending: dict[int, int] = {}  # hash -> offset, not merged yet

    def __len__(self) -> int:
        merged = 0 if self._hashes is None else len(self._hashes)
        return merged + len(self._pending)

    def add(self, key: str, offset: int) -> None:
        """Remember that the line at ``offset`` holds ``key``."""
        digest = self._hash(key)
        if digest in self._pending:  # another key with this hash: both kept, in the arrays
            self._merge()
        self._pending[digest] = offset
        if len(self._pending) >= self.MERGE_AT:
            self._merge()

    def contains(self, key: str, key_at: KeyAt) -> bool:
        """Whether a line holds ``key``: each line remembered under its hash is read back
        with ``key_at`` (one, unless 64-bit hashes collide)."""
        digest = self._hash(key)
        pending = self._pending.get(digest)
        if pending is not None and key_at(pending) == key:
            return True
        hashes = self._hashes
        if hashes is None:
            return False
        start = int(hashes.searchsorted(digest, "left"))
        if start == len(hashes) or hashes[start] != digest:
            return False
        stop = int(hashes.searchsorted(digest, "right"))
        offsets = self._offsets[start:stop].tolist()  # type: ignore[index]
        return any(key_at(offset) == key for offset in offsets)

    def clear(self) -> None:
        self._hashes = self._offsets = None
        self._pending = {}

    def _merge(self) -> None:
        import numpy as np

        if not self._pending:
            return
        hashes = np.fromiter(self._pending, np.int64, len(self._pending))
        offsets = np.fromiter(self._pending.values(), np.int64, len(self._pending))
        if self._hashes is not None and self._offsets is not None:
            hashes = np.concatenate([self._hashes, hashes])
            offsets = np.concatenate([self._offsets, offsets])
        order = np.argsort(hashes, kind="stable")  # timsort: the sorted run is kept as it is
        self._hashes, self._offsets = hashes[order], offsets[order]
        self._pending = {}
