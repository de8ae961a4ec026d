"""A dry run's plan, counted with arrays: what a real run's :class:`Planner` would write,
per rule, without building a firing per customer.

A real run needs every firing (a ledger row and its messages); a dry run reads only counts:
the messages per rule and their first channel, the SMS parts, and the customers whose every
SMS is too long to send. They follow from the planner's aligned arrays, exactly as
:meth:`Planner.plan` decides them:

- a skipped customer, a held-out one and a rule without ``send`` plan no message;
- of the others, grouped by rule and arm, each position of the send chain is tried as a
  vector: the step the policies chose, then each later step whose channel is usable;
- a tried step counts when its message fits: an SMS within ``[limits] sms_max_parts``,
  anything else always; the first step that fits is the message, and a customer with none
  is ``too_long`` (a deferred one too, counted apart);
- an SMS's parts depend only on its rule, template and the values its text reads (a link's
  message id is always :data:`winlang.links.MESSAGE_ID_LENGTH` characters of base32, all
  GSM-7, and so is an unsubscribe link's signature), so each distinct combination of values
  is rendered once, by the planner's own rendering, and mapped back to its rows.

A deferred customer's message is not sent in this run: it counts only when it is too long.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..plan import ir
from ..plan.delivery import Arm, SendStep
from ..policies.reasons import Status
from .columns import codes_of, grouped
from .prepare import Planner

NO_PARTS = -1  # a message without SMS parts (not an SMS): it always fits


@dataclass(frozen=True)
class Preview:
    """What a dry run would plan, per rule: messages and their first channel, SMS parts, and
    the customers whose every SMS is too long (so the dry run's counts are the real run's)."""

    sent: Counter = field(default_factory=Counter)
    channels: defaultdict = field(default_factory=lambda: defaultdict(Counter))
    parts: Counter = field(default_factory=Counter)
    too_long: Counter = field(default_factory=Counter)
    too_long_deferred: Counter = field(default_factory=Counter)


def preview_plan(planner: Planner) -> Preview:
    """The counts of the firings and skips ``planner.plan`` would make of all its rows."""
    preview = Preview()
    status = np.asarray(planner.outcome.status)
    first = np.asarray(planner.outcome.step, dtype=np.int64)
    late = status == Status.DEFERRED
    # What `Planner.plan` turns into a message: not skipped, not held out, a rule with `send`.
    messaged = (status != Status.SKIPPED) & (status != Status.HELD_OUT) & (first >= 0)
    rows = np.flatnonzero(messaged)
    if not rows.size:
        return preview
    rule_index = np.asarray(planner.rule_index, dtype=np.int64)[rows]
    arm_index = np.asarray(planner.arm_index, dtype=np.int64)[rows]
    codes = _Codes(planner.values)
    arms = planner.delivery.arms
    for group in grouped(rule_index * len(arms) + arm_index):
        at = rows[group]
        rule = planner.delivery.rules[rule_index[group[0]]].name
        arm = arms[arm_index[group[0]]]
        chosen, parts = _first_fitting(planner, rule, arm, at, first[at], codes)
        _count(preview, rule, arm, chosen, parts, late[at])
    return preview


def _first_fitting(
    planner: Planner, rule: str, arm: Arm, rows: np.ndarray, first: np.ndarray, codes: _Codes
) -> tuple[np.ndarray, np.ndarray]:
    """For rows of one rule and arm, the chain position of each one's first message that
    fits (-1: none does) and its SMS parts (:data:`NO_PARTS` when not an SMS)."""
    chosen = np.full(rows.size, -1, dtype=np.int64)
    parts = np.full(rows.size, NO_PARTS, dtype=np.int64)
    limit = planner.sms_max_parts
    for position, step in enumerate(arm.chain):
        tried = (chosen < 0) & planner.tries(position, step, rows, first)
        if not tried.any():
            continue
        sizes = _sms_parts(planner, rule, step, rows[tried], codes)
        fits = np.ones(sizes.size, dtype=bool)
        if limit is not None:
            fits = (sizes == NO_PARTS) | (sizes <= limit)
        taken = np.flatnonzero(tried)[fits]
        chosen[taken] = position
        parts[taken] = sizes[fits]
    return chosen, parts


def _count(
    preview: Preview,
    rule: str,
    arm: Arm,
    chosen: np.ndarray,
    parts: np.ndarray,
    late: np.ndarray,
) -> None:
    """Add one rule and arm's rows to ``preview``: a message for each row sent now, and the
    rows with none that fits, too long (those deferred to after quiet hours counted apart)."""
    none = chosen < 0
    if too_long := int(none.sum()):
        preview.too_long[rule] += too_long
        preview.too_long_deferred[rule] += int((none & late).sum())
    sent = ~none & ~late
    if not sent.any():
        return
    preview.sent[rule] += int(sent.sum())
    preview.parts[rule] += int(np.maximum(parts[sent], 0).sum())
    counts = np.bincount(chosen[sent], minlength=len(arm.chain))
    for step, count in zip(arm.chain, counts.tolist(), strict=True):
        if count:
            preview.channels[rule][step.channel] += count


def _sms_parts(
    planner: Planner, rule: str, step: SendStep, rows: np.ndarray, codes: _Codes
) -> np.ndarray:
    """The SMS parts of ``step``'s message for each of ``rows`` (:data:`NO_PARTS` for
    another channel), rendering one message per distinct combination of its values."""
    if planner.channels[step.channel].kind != "sms":
        return np.full(rows.size, NO_PARTS, dtype=np.int64)
    nodes = [node for _, node in (*step.fields, *step.params)]
    first, inverse = _distinct(codes.of(nodes, rows), rows.size)
    # One message per distinct combination, rendered as the real run renders it (under the
    # firing's own key, so its links carry the real message id).
    measured = np.sort(rows[first])
    keys = [
        planner.keyed(i, rule, customer)[1]
        for i, customer in zip(measured.tolist(), planner.ids[measured].tolist(), strict=True)
    ]
    messages = planner.render(rule, step, measured, keys, keys)
    parts = np.asarray([NO_PARTS if m.parts is None else m.parts for m in messages])
    return parts[np.searchsorted(measured, rows[first])][inverse]


def _distinct(columns: Sequence[np.ndarray], size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``size`` rows of aligned code ``columns``: the position of each
    one's first occurrence, and for every row, which distinct one it is."""
    if not columns:  # a text with no values: one message for all
        return np.zeros(min(size, 1), dtype=np.int64), np.zeros(size, dtype=np.int64)
    key = columns[0]
    for column in columns[1:]:
        # renumbered first (fewer than `size` values), so the product can't overflow
        key = np.unique(key, return_inverse=True)[1].reshape(-1)
        key = key * (int(column.max()) + 1) + column
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


class _Codes:
    """Each value column as integer codes, equal values equal codes (nulls have their own),
    made once per column and only for the columns an SMS reads."""

    def __init__(self, values) -> None:
        self._values = values
        self._codes: dict[ir.Node, np.ndarray] = {}

    def of(self, nodes: Sequence[ir.Node], rows: np.ndarray) -> list[np.ndarray]:
        """The codes of ``nodes`` at ``rows``."""
        for node in nodes:
            if node not in self._codes:
                self._codes[node] = codes_of(self._values[node])
        return [self._codes[node][rows] for node in nodes]
