"""The idempotency keys an outbox file holds, kept compactly: a 64-bit hash and the line's
byte offset per key (16 bytes), not the key itself (a Python string in a set: ~120 bytes).

A hash says a key *may* be in the file; the line at each offset with that hash is read back
to be sure, so a collision never drops a message. Hashes are Python's ``hash`` (the same
within the process, which is as long as the keys are kept). New keys wait in a small dict
and are merged into two sorted NumPy arrays in bulk.

The filter grows with the file (every key it holds answers a repeat, from any run), so it is
kept small, and it is kept out of the heap: each merge writes the arrays into anonymous
mappings of their own, which go back to the system whole when the next merge replaces them.
Arrays of growing sizes made and freed in the heap left holes no later allocation fitted
(glibc raises its mmap threshold after the first large frees): while a run sent 700k
messages its resident memory grew ~50 MiB for 11 MiB of keys.

>>> lines = {}
>>> seen = SeenKeys()
>>> seen.add("c/r/1/0", 0); lines[0] = "c/r/1/0"
>>> seen.contains("c/r/1/0", lines.get), seen.contains("c/r/2/0", lines.get), len(seen)
(True, False, 1)
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

KeyAt = Callable[[int], str | None]  # the key of the line at a byte offset (None: not ours)


class SeenKeys:
    """Keys with the offset of their line; membership checked against the lines."""

    MERGE_AT = 16_384  # pending keys merged into the sorted arrays at once (~1.5 MB of dict)

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

    @property
    def nbytes(self) -> int:
        """The bytes of the merged arrays: 16 a key (the pending dict aside)."""
        if self._hashes is None or self._offsets is None:
            return 0
        return self._hashes.nbytes + self._offsets.nbytes

    def _merge(self) -> None:
        """The pending keys inserted into the sorted arrays, written into new mappings."""
        import numpy as np

        if not self._pending:
            return
        count = len(self._pending)
        new = np.fromiter(self._pending, np.int64, count)
        order = np.argsort(new, kind="stable")
        new_offsets = np.fromiter(self._pending.values(), np.int64, count)[order]
        new = new[order]
        old = self._hashes if self._hashes is not None else np.empty(0, np.int64)
        old_offsets = self._offsets if self._offsets is not None else np.empty(0, np.int64)
        # Where each new key lands among the old ones (after equal hashes: order is kept).
        at = old.searchsorted(new, "right") + np.arange(count)
        size = len(old) + count
        old_rows = _mapped(size, np.bool_)
        old_rows[:] = True
        old_rows[at] = False
        hashes, offsets = _mapped(size, np.int64), _mapped(size, np.int64)
        hashes[at], offsets[at] = new, new_offsets
        hashes[old_rows], offsets[old_rows] = old, old_offsets
        self._hashes, self._offsets = hashes, offsets
        self._pending = {}


def _mapped(size: int, dtype) -> np.ndarray:
    """An uninitialised array in an anonymous mapping of its own (unmapped when the array
    is dropped), not in the heap."""
    import numpy as np

    itemsize = np.dtype(dtype).itemsize
    return np.frombuffer(mmap.mmap(-1, max(size * itemsize, 1)), dtype, size)
