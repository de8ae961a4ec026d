"""Consent, address and suppressions per channel, and failover along a send chain.

Consent is never optional: a channel is usable for a customer only when their consent value for
it is a yes (boolean ``True``, or the number ``1`` in a 0/1 column; null, false, 0, 2 or ``"yes"``
are not consent), their address for it is present (not null and not blank) and valid for the
channel's kind (exactly one e-mail mailbox, a phone number, no control characters:
:mod:`winlang.addresses`), and they are not suppressed for it (unsubscribed from that channel,
or from all channels: channel :data:`ALL`; :mod:`.suppressions` finds them in the store's
events, the ingested ones and the state). No rule can override this. ``winlang check`` refuses
a consent column of any other type (:func:`winlang.store_layout.consent_type_problem`).

A send chain (``send sms coupon else send push coupon_push``) uses its first usable channel.
When none is usable, the reason given is the one of the chain's *first* channel: the channel
the rule asked for first. For one channel the reasons are checked in the order
``no_consent``, ``no_address``, ``bad_address``, ``unsubscribed``.

>>> import numpy as np
>>> sms = ChannelContact(address=np.array(["+40722", None], dtype=object),
...                      consent=np.array([True, True], dtype=object))
>>> push = ChannelContact(address=np.array(["tok", "tok"], dtype=object),
...                       consent=np.array([None, True], dtype=object))
>>> r = resolve_chains(["1", "2"], [0, 0], [("sms", "push")], {"sms": sms, "push": push}, set())
>>> r.step.tolist(), r.reason.tolist()
([0, 1], ['', ''])
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..addresses import (
    CONTROL_CLASS,
    NAMED_EMAIL,
    PHONE,
    PLAIN_EMAIL,
    PLAIN_EMAIL_MAX_LENGTH,
    valid_address,
)
from .hashing import id_texts
from .reasons import Reason

ALL = "*"  # the channel of a suppression that covers every channel (`unsubscribe`)

Suppressions = Collection[tuple[str, str]]  # (customer id as text, channel or ALL)


@dataclass(frozen=True, eq=False)
class SuppressionMasks(AbstractSet[tuple[str, str]]):
    """A run's suppressions as arrays: per channel (:data:`ALL`: every channel), where each
    of the run's customers is suppressed on it, aligned with ``ids`` (the customers, as in
    :class:`~winlang.policies.inputs.PolicyInputs`). A channel is then looked up for every
    customer at once, with no id hashed or compared; as a set it holds the same (customer id
    as text, channel) pairs as any other :data:`Suppressions`.

    >>> masks = SuppressionMasks(np.array([1, 2, 3]), {"sms": np.array([True, False, False]),
    ...                                                ALL: np.array([False, False, True])})
    >>> masks.on("sms", 3).tolist(), masks.on("email", 3).tolist()
    ([True, False, True], [False, False, True])
    >>> sorted(masks.take(np.array([0, 1])))
    [('1', 'sms')]
    """

    ids: np.ndarray
    masks: Mapping[str, np.ndarray]

    def on(self, channel: str, size: int) -> np.ndarray:
        """Where each customer is suppressed on ``channel`` or on every channel; ``size``
        says how many customers the caller has (they must be these)."""
        if size != len(self.ids):
            raise ValueError(f"suppressions of {len(self.ids)} customers read for {size}")
        found = np.zeros(size, dtype=bool)
        for key in dict.fromkeys((channel, ALL)):
            if key in self.masks:
                found |= self.masks[key]
        return found

    def take(self, rows: np.ndarray) -> SuppressionMasks:
        """The suppressions of the customers at ``rows`` (a mask or positions)."""
        return SuppressionMasks(self.ids[rows], {c: m[rows] for c, m in self.masks.items()})

    @cached_property
    def _pairs(self) -> frozenset[tuple[str, str]]:
        return frozenset(
            (customer, channel)
            for channel, mask in self.masks.items()
            for customer in id_texts(self.ids[mask]).tolist()
        )

    def __contains__(self, pair: object) -> bool:
        return pair in self._pairs

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)


@dataclass(frozen=True, slots=True)
class ChannelContact:
    """A channel's address and consent value for each planned customer (nulls allowed):
    NumPy arrays or Arrow arrays (a source's columns as they come, with no copy into
    Python objects); ``kind`` is the channel's (``email``, ``sms``...), which says what a
    valid address is."""

    address: np.ndarray
    consent: np.ndarray
    kind: str = "other"


@dataclass(frozen=True, slots=True)
class ContactResult:
    """Per customer: the step of the chain that is used (-1: none), else the skip reason;
    and per channel of the chains, where it can be used (what the planner reads to fail
    over to a later step)."""

    step: np.ndarray
    reason: np.ndarray
    usable: Mapping[str, np.ndarray]


def is_consent(value: object) -> bool:
    """Whether one consent value is a yes: the boolean true, or the number 1 (a 0/1 column).

    >>> [is_consent(v) for v in (True, 1, 1.0, False, 0, 2, None, "true", "1")]
    [True, True, True, False, False, False, False, False, False]
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return value == 1
    return False


def has_consent(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """Per customer, :func:`is_consent` of their consent value, in bulk where the values
    are all booleans or all numbers (and nulls).

    >>> has_consent(np.array([True, False, None, 1, 0, "true"], dtype=object)).tolist()
    [True, False, False, True, False, False]
    """
    if isinstance(values, pa.Array | pa.ChunkedArray):
        kind = values.type
        if pa.types.is_boolean(kind) or pa.types.is_null(kind):
            return _true(values.cast(pa.bool_()))
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            return _true(pc.equal(values.cast(pa.float64()), 1.0))
        values = np.array(values.to_pylist(), dtype=object)
    array = np.asarray(values)
    if array.dtype == np.bool_:
        return array.copy()
    if array.dtype.kind in "iuf":
        return array == 1
    fast = _arrow(array, pa.bool_())
    if fast is not None:  # only booleans and nulls: Arrow reads them in bulk
        return fast.fill_null(False).to_numpy(zero_copy_only=False)
    return np.fromiter((is_consent(v) for v in array.tolist()), dtype=bool, count=array.size)


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float):
        return not math.isnan(value)
    if isinstance(value, str):
        return bool(value.strip())
    return True


# Every character for which ``str.isspace()`` is true (``str.strip()`` removes exactly these);
# tests/policies check the list against Python's own.
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# A text is present when some character of it is not whitespace: an RE2 search.
_NOT_BLANK = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in PYTHON_WHITESPACE) + "]"


def has_address(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """True where an address is present: not null, not NaN, not blank.

    >>> has_address(np.array(["a@b.c", None, "  ", float("nan")], dtype=object)).tolist()
    [True, False, False, False]
    """
    if isinstance(values, pa.Array | pa.ChunkedArray):
        if _is_text(values.type) or pa.types.is_null(values.type):
            return _true(pc.match_substring_regex(values.cast(pa.string()), _NOT_BLANK))
        values = np.array(values.to_pylist(), dtype=object)
    array = np.asarray(values, dtype=object)
    text = _arrow(array, pa.string(), from_pandas=True) if array.size else None
    if text is not None:  # only texts, nulls and NaN: one regular expression over them all
        return _true(pc.match_substring_regex(text, _NOT_BLANK))
    return np.fromiter((_present(v) for v in array.tolist()), dtype=bool, count=array.size)


# What RE2 (Arrow's regular expressions) accepts in bulk as certainly valid, per channel kind;
# the rest is judged one by one by :func:`winlang.addresses.valid_address`.
# Blanks around an address are stripped before it is used (RE2's `\s` is a subset of what
# `str.strip` removes), so the patterns allow them.
_SURELY_VALID = {
    "email": rf"^\s*(?:{PLAIN_EMAIL[1:-1]}|{NAMED_EMAIL[1:-1]})\s*$",
    "sms": rf"^\s*{PHONE[1:-1]}\s*$",
}


def valid_addresses(values: Sequence[object] | np.ndarray, kind: str) -> np.ndarray:
    """True where an address is present and valid for a channel of ``kind``.

    >>> valid_addresses(np.array(["a@b.c", "a@b.c, x@evil.test", None], dtype=object),
    ...                 "email").tolist()
    [True, False, False]
    """
    texts = _texts(values)
    if texts is None:  # numbers or mixed values: each judged by its text
        items = list(values.to_pylist() if hasattr(values, "to_pylist") else values)
        return _judge(np.zeros(len(items), dtype=bool), np.arange(len(items)), items, kind)
    if kind in _SURELY_VALID:
        sure = pc.match_substring_regex(texts, _SURELY_VALID[kind])
        if kind == "email":
            sure = pc.and_(sure, pc.less_equal(pc.utf8_length(texts), PLAIN_EMAIL_MAX_LENGTH))
    else:
        sure = pc.invert(pc.match_substring_regex(texts, CONTROL_CLASS))
        sure = pc.and_(sure, pc.match_substring_regex(texts, _NOT_BLANK))
    valid = _true(sure)
    rows = np.flatnonzero(~valid & _true(pc.is_valid(texts)))
    return _judge(valid, rows, texts.take(pa.array(rows, type=pa.int64())).to_pylist(), kind)


def _judge(valid: np.ndarray, rows: np.ndarray, items: list, kind: str) -> np.ndarray:
    """``valid`` with each of ``rows`` (whose values are ``items``) judged one by one."""
    for row, value in zip(rows.tolist(), items, strict=True):
        valid[row] = _present(value) and valid_address(str(value), kind)
    return valid


def _texts(values: Sequence[object] | np.ndarray) -> pa.Array | pa.ChunkedArray | None:
    """The values as an Arrow string array when they are all texts or nulls, else None."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        if _is_text(values.type) or pa.types.is_null(values.type):
            return values.cast(pa.string())
        return None
    array = np.asarray(values, dtype=object)
    return _arrow(array, pa.string(), from_pandas=True) if array.size else None


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _true(flags: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Where an Arrow bool array is true (null is not)."""
    return np.asarray(flags.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _arrow(array: np.ndarray, kind: pa.DataType, from_pandas: bool = False) -> pa.Array | None:
    """``array`` as an Arrow array of ``kind`` when each value is of that kind or null (NaN
    counts as null with ``from_pandas``); None when some value is of another type, which
    the callers then judge one by one."""
    if array.ndim != 1:
        return None
    try:
        converted = pa.array(array, from_pandas=from_pandas)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if pa.types.is_null(converted.type):
        return pa.nulls(len(converted), kind)
    return converted if converted.type == kind else None


def suppressed(
    customer_ids: Sequence[object] | np.ndarray, channel: str, suppressions: Suppressions
) -> np.ndarray:
    """True where the customer is suppressed for ``channel`` or for :data:`ALL`.

    >>> suppressed(["1", "2", "3"], "sms", {("1", "sms"), ("3", ALL), ("2", "email")}).tolist()
    [True, False, True]
    """
    if isinstance(suppressions, SuppressionMasks):
        return suppressions.on(channel, len(customer_ids))
    texts = id_texts(customer_ids)
    blocked = [str(c) for c, ch in suppressions if ch in (channel, ALL)]
    if not blocked or texts.size == 0:
        return np.zeros(texts.shape, dtype=bool)
    return np.isin(texts, np.array(blocked, dtype=str))


def channel_reasons(
    customer_ids: Sequence[object] | np.ndarray,
    channel: str,
    contact: ChannelContact,
    suppressions: Suppressions,
) -> np.ndarray:
    """Per customer, why ``channel`` can't be used (``""``: it can).

    >>> c = ChannelContact(np.array([None, "x", "x", "x\\ny"], dtype=object),
    ...                    np.array([True] * 4))
    >>> channel_reasons(["1", "2", "3", "4"], "push", c, {("3", ALL)}).tolist()
    ['no_address', '', 'unsubscribed', 'bad_address']
    """
    reasons = np.full(len(id_texts(customer_ids)), "", dtype=object)
    # Assigned in reverse order of seriousness, so the most serious reason is the one left.
    reasons[suppressed(customer_ids, channel, suppressions)] = Reason.UNSUBSCRIBED.value
    invalid = np.flatnonzero(~valid_addresses(contact.address, contact.kind))
    reasons[invalid] = Reason.BAD_ADDRESS.value
    # A valid address is present: only the invalid ones can be missing.
    reasons[invalid[~has_address(_take(contact.address, invalid))]] = Reason.NO_ADDRESS.value
    reasons[~has_consent(contact.consent)] = Reason.NO_CONSENT.value
    return reasons


def _take(values: Sequence[object] | np.ndarray | pa.Array, rows: np.ndarray):
    """The values at ``rows`` (Arrow stays Arrow)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.take(pa.array(rows, type=pa.int64()))
    return np.asarray(values, dtype=object)[rows]


def resolve_chains(
    customer_ids: Sequence[object] | np.ndarray,
    chain_index: Sequence[int] | np.ndarray,
    chains: Sequence[Sequence[str]],
    contacts: Mapping[str, ChannelContact],
    suppressions: Suppressions,
    start: Sequence[int] | np.ndarray | None = None,
) -> ContactResult:
    """The first usable step of each customer's send chain, or the reason of its first step.

    ``chains[chain_index[i]]`` is customer i's chain of channels. ``start`` (per customer,
    default 0) skips the steps before it: the delivery loop passes the failed step + 1 after a
    permanent failure, and then the reason is the one of step ``start``. A customer whose
    chain has no step left gets step -1 and reason ``""`` (nothing to send).

    >>> c = ChannelContact(np.array(["x"], dtype=object), np.array([False]))
    >>> r = resolve_chains(["1"], [0], [("sms",)], {"sms": c}, set())
    >>> r.step.tolist(), r.reason.tolist()
    ([-1], ['no_consent'])
    """
    texts = id_texts(customer_ids)
    which = np.asarray(chain_index, dtype=np.int64)
    first = np.zeros(texts.size, dtype=np.int64) if start is None else np.asarray(start)
    missing = {ch for chain in chains for ch in chain} - contacts.keys()
    if missing:
        raise ValueError(f"no address and consent data for channel(s) {sorted(missing)}")
    # One pass per channel over every customer, then cheap masks per chain step.
    per_channel = {
        ch: channel_reasons(texts, ch, contacts[ch], suppressions)
        for ch in {ch for chain in chains for ch in chain}
    }
    usable_on = {ch: why == "" for ch, why in per_channel.items()}  # compared once each
    step = np.full(texts.size, -1, dtype=np.int64)
    reason = np.full(texts.size, "", dtype=object)
    for index, chain in enumerate(chains):
        rows = which == index
        for position, ch in enumerate(chain):
            at = rows & (first <= position)
            # The reason of the first step tried is the one reported if no step works.
            tried = at & (first == position)
            reason[tried] = per_channel[ch][tried]
            step[at & (step < 0) & usable_on[ch]] = position
    reason[step >= 0] = ""
    return ContactResult(step, reason, usable_on)
