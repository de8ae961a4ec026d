"""Stable assignment of customers to the holdout and to A/B variants.

A customer's draw is a number in [0, 1) computed from a keyed SHA-256 hash, so it is the same
in every process, on every platform and in every Python version (``hash()`` is salted per
process and is never used), and a SQL engine can compute it too:

1. the key is UTF-8 text, parts joined by one NUL character (``\\x00``):
   ``holdout␀<campaign>␀<customer id>`` or ``split␀<campaign>␀<rule>␀<customer id>``,
   where the customer id is its text form (``42``, ``c-0042``), as in the ledger;
2. ``h`` = the SHA-256 digest of the key; ``u`` = its first 6 bytes read as a big-endian
   unsigned integer (the first 12 hex digits), divided by 2**48;
3. holdout: the customer is held out when ``u < percent / 100``;
   split: the arm is the first whose running total of shares (in percent, in the order
   written) is greater than ``100 * u``.

SHA-256 is used rather than blake2b because PostgreSQL, DuckDB, Trino, Spark, BigQuery and
Snowflake all have it built in; 48 bits fit a signed 64-bit integer and a double exactly.

>>> round(draw(["holdout", "ladder", "42"]), 6)
0.409553
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

HASH_BITS = 48  # bits of the digest used; exact in a double and in a signed BIGINT
_SCALE = float(2**HASH_BITS)
_CHUNK = 65_536  # keys hashed per slice: bounds the Python objects alive at once


def id_texts(customer_ids: Sequence[object] | np.ndarray) -> np.ndarray:
    """Customer ids as text, the form hashed and compared with the ledger.

    >>> id_texts(np.array([7, 42])).tolist(), id_texts(np.array([-7, 42])).dtype.str
    (['7', '42'], '<U2')
    """
    array = np.asarray(customer_ids)
    # Already text: the same array (every caller only reads it; re-converting a million
    # texts on each of the policies' calls cost more than the hashing).
    if array.dtype.kind == "U":
        return array
    if array.dtype.kind in "iu" and array.size:
        # `astype(str)` gives every integer 21 characters (84 bytes, a million ids 80 MiB,
        # copied again by each policy's selection): as wide as the widest id is enough.
        widest = max(len(str(array.min())), len(str(array.max())))
        return array.astype(f"<U{widest}")
    return array.astype(str)


def _draws(prefix: str, texts: np.ndarray) -> np.ndarray:
    """The draw of each key ``prefix + text``.

    SHA-256 has no vectorized form here, so each key is a few ``hashlib`` calls; all the
    rest is done in bulk. The prefix, the same for every key, is hashed once, and each key
    continues a copy of that state with its text: the same digest as hashing the whole key
    (SHA-256 reads its input in order), without setting up a new hash per key, which was
    most of the time. The texts are encoded in one piece and split, and the digests are
    joined and read as one array.
    """
    if texts.size > _CHUNK:  # a slice at a time: each key's text, bytes and digest are
        # Python objects (~150 bytes a customer), which for millions would be gigabytes
        parts = [_draws(prefix, texts[at : at + _CHUNK]) for at in range(0, texts.size, _CHUNK)]
        return np.concatenate(parts)
    items = texts.tolist()
    if not items:
        return np.empty(0, dtype=np.float64)
    suffixes = "\n".join(items).encode("utf-8").split(b"\n")
    if len(suffixes) != len(items):  # a newline inside a text: encode them one by one
        suffixes = [t.encode("utf-8") for t in items]
    start = hashlib.sha256(prefix.encode("utf-8")).copy
    digests = []
    append = digests.append
    for suffix in suffixes:
        state = start()
        state.update(suffix)
        append(state.digest())
    words = np.frombuffer(b"".join(digests), dtype=">u8").reshape(len(items), 4)[:, 0]
    return (words >> np.uint64(64 - HASH_BITS)).astype(np.float64) / _SCALE


def draw(parts: Sequence[str]) -> float:
    """The draw in [0, 1) of one key, given as its parts (joined by NUL).

    >>> 0 <= draw(["split", "ladder", "hello", "42"]) < 1
    True
    """
    return float(_draws("", np.array(["\x00".join(parts)], dtype=object))[0])


def sample(campaign: str, customer_ids: Sequence[object] | np.ndarray, count: int) -> np.ndarray:
    """``count`` of ``customer_ids`` (as text) chosen by the draw of
    ``sample␀<campaign>␀<customer id>``: the same customers every time, whatever their order.

    >>> sample("ladder", [1, 2, 3, 4], 2).tolist() == sample("ladder", [4, 3, 2, 1], 2).tolist()
    True
    """
    texts = id_texts(customer_ids)
    order = np.lexsort((texts, _draws(f"sample\x00{campaign}\x00", texts)))
    return texts[order[:count]]


def holdout(
    campaign: str, customer_ids: Sequence[object] | np.ndarray, percent: float
) -> np.ndarray:
    """Which customers are in the campaign's holdout (``percent`` from 0 to 100).

    The key leaves the rule out: a customer held out of a campaign is held out of every rule.

    >>> holdout("ladder", ["1", "2", "3"], 0).tolist()
    [False, False, False]
    """
    if not 0 <= percent <= 100:
        raise ValueError(f"a holdout percent is between 0 and 100, not {percent}")
    texts = id_texts(customer_ids)
    return _draws(f"holdout\x00{campaign}\x00", texts) < percent / 100


def variant(
    campaign: str,
    rule: str,
    customer_ids: Sequence[object] | np.ndarray,
    shares: Sequence[float],
) -> np.ndarray:
    """The arm (0-based, in the order written) of each customer in a ``split`` of ``rule``.

    ``shares`` are percentages adding up to 100.

    >>> variant("ladder", "hello", ["1", "2"], [100]).tolist()
    [0, 0]
    """
    if not shares or any(s < 0 for s in shares) or abs(sum(shares) - 100) > 1e-9:
        raise ValueError(f"split shares must be non-negative and add up to 100, not {shares}")
    texts = id_texts(customer_ids)
    u = _draws(f"split\x00{campaign}\x00{rule}\x00", texts) * 100
    bounds = np.cumsum(np.asarray(shares, dtype=np.float64))
    # side="right": u equal to a bound belongs to the next arm, as in "running total > 100u";
    # the clip guards against a running total that rounds to just under 100.
    arms = np.searchsorted(bounds, u, side="right")
    return np.minimum(arms, len(shares) - 1).astype(np.int64)
