"""The outbox's compact duplicate filter answers exactly as a plain set of the keys would,
hash collisions included (each hit is checked against the line it points to)."""

from __future__ import annotations

import threading

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from winlang.channels.outbox import OutboxChannel
from winlang.channels.seen_keys import SeenKeys
from winlang.testing import make_messages

KEYS = st.text(alphabet="ab/0", min_size=1, max_size=6)
# A few hashes for many keys: most lookups hit another key's lines and must be told apart.
TINY_HASHES = [hash, lambda key: hash(key) & 3, lambda key: 0]


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(st.booleans(), KEYS), max_size=60),
    which=st.sampled_from(range(len(TINY_HASHES))),
    merge_at=st.sampled_from([1, 2, 5, 65_536]),
)
def test_seen_keys_answer_as_a_set_does(steps, which, merge_at) -> None:
    seen, plain, lines = SeenKeys(TINY_HASHES[which]), set(), {}
    seen.MERGE_AT = merge_at
    for adding, key in steps:
        if adding and key not in plain:  # the outbox writes a key once
            offset = len(lines) * 10
            lines[offset] = key
            seen.add(key, offset)
            plain.add(key)
        assert seen.contains(key, lines.get) == (key in plain)
    assert len(seen) == len(plain)
    for key in plain:
        assert seen.contains(key, lines.get)


def test_the_filter_holds_sixteen_bytes_a_key_outside_the_heap() -> None:
    """What grows with the file is a hash and an offset per key, in anonymous mappings
    (freed whole when a merge replaces them), plus fewer than ``MERGE_AT`` pending keys."""
    import mmap

    seen = SeenKeys()
    seen.MERGE_AT = 1_000
    for n in range(10_500):
        seen.add(f"c/r/{n}/0", n * 100)
    assert len(seen) == 10_500
    assert seen.nbytes == 16 * 10_000  # ten merges; 500 keys still pending
    assert isinstance(seen._hashes.base.obj, mmap.mmap)
    assert isinstance(seen._offsets.base.obj, mmap.mmap)
    lines = {n * 100: f"c/r/{n}/0" for n in range(10_500)}
    assert all(seen.contains(f"c/r/{n}/0", lines.get) for n in range(0, 10_500, 97))
    assert not seen.contains("c/r/10500/0", lines.get)


def test_a_line_that_is_not_the_key_is_not_taken_for_it() -> None:
    seen = SeenKeys(lambda key: 7)  # every key collides
    seen.add("a", 0)
    assert not seen.contains("b", {0: "a"}.get)
    assert not seen.contains("a", {0: None}.get)  # the line is gone: not there


def test_channels_of_one_process_share_what_the_file_holds(tmp_path) -> None:
    """A run sends from several threads, one channel each: a key written by one is a repeat
    to all, and none of them reads back the lines the others wrote."""
    path = tmp_path / "o.jsonl"
    batch = make_messages(40)
    channels = [OutboxChannel(path) for _ in range(4)]

    def send(channel: OutboxChannel) -> None:
        for start in range(0, len(batch), 7):
            channel.send(batch[start : start + 7])

    threads = [threading.Thread(target=send, args=(c,)) for c in channels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = path.read_bytes().splitlines()
    assert len(written) == len(batch)
    assert channels[0]._known is channels[3]._known  # one filter for the file
    assert len(channels[0]._known.seen) == len(batch)
    for channel in channels:
        channel.close()


def test_keys_are_read_back_from_lines_as_the_file_was_split(tmp_path) -> None:
    """A line another tool ended with a lone CR holds two keys; both are repeats."""
    path = tmp_path / "o.jsonl"
    first, second = make_messages(2)
    lines = [orjson.dumps(m.as_json()) for m in (first, second)]
    path.write_bytes(lines[0] + b"\r" + lines[1] + b"\n")
    outbox = OutboxChannel(path)
    outbox.send([first, second])
    outbox.close()
    assert path.read_bytes() == lines[0] + b"\r" + lines[1] + b"\n"
