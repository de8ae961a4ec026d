"""Consent, address and suppressions per channel, and failover along a send chain.

Consent is never optional: a channel is usable for a customer only when their consent value for
it is exactly ``True`` (null, false, ``1`` or ``"yes"`` are not consent), their address for it
is present (not null and not blank) and they are not suppressed for it (unsubscribed from that
channel, or from all channels: channel :data:`ALL`). No rule can override this.

A send chain (``send sms coupon else send push coupon_push``) uses its first usable channel.
When none is usable, the reason given is the one of the chain's *first* channel: the channel
the rule asked for first. For one channel the reasons are checked in the order
``no_consent``, ``no_address``, ``unsubscribed``.

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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .hashing import id_texts
from .reasons import Reason

ALL = "*"  # the channel of a suppression that covers every channel (`unsubscribe`)

Suppressions = Collection[tuple[str, str]]  # (customer id as text, channel or ALL)


@dataclass(frozen=True, slots=True)
class ChannelContact:
    """A channel's address and consent value for each planned customer (nulls allowed)."""

    address: np.ndarray
    consent: np.ndarray


@dataclass(frozen=True, slots=True)
class ContactResult:
    """Per customer: the step of the chain that is used (-1: none), else the skip reason."""

    step: np.ndarray
    reason: np.ndarray


def has_consent(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """True only where the consent value is exactly the boolean true.

    >>> has_consent(np.array([True, False, None, 1, "true"], dtype=object)).tolist()
    [True, False, False, False, False]
    """
    array = np.asarray(values)
    if array.dtype == np.bool_:
        return array.copy()
    # `type(v) is bool`: 1 == True in Python, and a 1 is not consent.
    return np.fromiter(
        (type(v) in (bool, np.bool_) and bool(v) for v in array.tolist()),
        dtype=bool,
        count=array.size,
    )


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float):
        return not math.isnan(value)
    if isinstance(value, str):
        return bool(value.strip())
    return True


def has_address(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """True where an address is present: not null, not NaN, not blank.

    >>> has_address(np.array(["a@b.c", None, "  ", float("nan")], dtype=object)).tolist()
    [True, False, False, False]
    """
    array = np.asarray(values, dtype=object)
    return np.fromiter((_present(v) for v in array.tolist()), dtype=bool, count=array.size)


def suppressed(
    customer_ids: Sequence[object] | np.ndarray, channel: str, suppressions: Suppressions
) -> np.ndarray:
    """True where the customer is suppressed for ``channel`` or for :data:`ALL`.

    >>> suppressed(["1", "2", "3"], "sms", {("1", "sms"), ("3", ALL), ("2", "email")}).tolist()
    [True, False, True]
    """
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

    >>> c = ChannelContact(np.array([None, "x", "x"], dtype=object), np.array([True] * 3))
    >>> channel_reasons(["1", "2", "3"], "sms", c, {("3", ALL)}).tolist()
    ['no_address', '', 'unsubscribed']
    """
    reasons = np.full(len(id_texts(customer_ids)), "", dtype=object)
    # Assigned in reverse order of seriousness, so the most serious reason is the one left.
    reasons[suppressed(customer_ids, channel, suppressions)] = Reason.UNSUBSCRIBED.value
    reasons[~has_address(contact.address)] = Reason.NO_ADDRESS.value
    reasons[~has_consent(contact.consent)] = Reason.NO_CONSENT.value
    return reasons


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
    step = np.full(texts.size, -1, dtype=np.int64)
    reason = np.full(texts.size, "", dtype=object)
    for index, chain in enumerate(chains):
        rows = which == index
        for position, ch in enumerate(chain):
            at = rows & (first <= position)
            why = per_channel[ch]
            # The reason of the first step tried is the one reported if no step works.
            reason[at & (first == position)] = why[at & (first == position)]
            usable = at & (step < 0) & (why == "")
            step[usable] = position
    reason[step >= 0] = ""
    return ContactResult(step, reason)
