"""The contact policies in their one order, over every planned customer of a run.

:func:`apply_policies` is pure: the caller (the run, or a dry run: the same function) passes
what the state holds (fired rules, suppressions, message history) and gets back, per planned
customer, a status, a reason, the channel and template chosen after failover, the A/B
variant and, for deferred customers, when quiet hours end. The order (see ``ORDER`` in
:mod:`winlang.policies.reasons`):

1. already fired (and ``repeat every`` not run out) → skipped ``already_fired``
2. holdout → held_out ``holdout`` (never messaged; nothing else is checked)
3. consent and address, with failover along the send chain → skipped ``no_consent`` /
   ``no_address`` / ``bad_address`` (present but not one valid address for the channel)
4. suppressions (checked per channel with 3, so failover skips an unsubscribed channel) →
   skipped ``unsubscribed``
5. the campaign's cap, then the global cap → skipped ``cap`` / ``global_cap``
6. quiet hours in the customer's zone → deferred ``quiet_hours`` (with ``deferred_until``)
7. everyone left is sent; the variant of a ``split`` rule is a stable hash, drawn first
   because the arm decides the send chain, and recorded with the message.

A rule with no ``send`` (only list actions or ``unsubscribe``) sends no message: steps 3 to 6
do not apply and its customers get status ``send`` with no channel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from .. import ast as A
from .caps import CapLimit, History, cap_reasons
from .contact import ChannelContact, Suppressions, resolve_chains
from .hashing import holdout, id_texts, variant
from .quiet import TimeOfDay, in_quiet_hours, next_allowed, resolve_zones
from .reasons import Reason, Status


@dataclass(frozen=True, slots=True)
class SendStep:
    """One ``send <channel> <template>`` of a chain."""

    channel: str
    template: str


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm of a split (a rule without ``split`` has one arm of 100%)."""

    share: float
    chain: tuple[SendStep, ...]  # `send ... else send ...`, in order; empty: no message


@dataclass(frozen=True, slots=True)
class RulePlan:
    """What the policies need of a rule: its name, arms and ``repeat every`` in seconds."""

    name: str
    arms: tuple[Arm, ...]
    split: bool = False
    repeat_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class QuietWindow:
    """``quiet hours 21:00 to 09:00``."""

    start: TimeOfDay
    end: TimeOfDay


@dataclass(frozen=True, eq=False)
class PolicyInputs:
    """Everything the policies read; the per-customer arrays are aligned by position.

    ``last_fired`` is when the customer's matched rule last fired for them (NaT: never);
    ``zones`` their IANA zone names (None: no zone column); ``timezone`` the campaign's zone,
    else the config's ``defaults.timezone``.
    """

    campaign: str
    now: datetime
    rules: tuple[RulePlan, ...]
    customer_ids: np.ndarray
    rule_index: np.ndarray
    contacts: Mapping[str, ChannelContact]
    last_fired: np.ndarray | None = None
    zones: np.ndarray | None = None
    suppressions: Suppressions = frozenset()
    history: History = field(default_factory=History.empty)
    holdout_percent: float = 0.0
    cap: CapLimit | None = None
    global_cap: CapLimit | None = None
    quiet: QuietWindow | None = None
    timezone: str | None = None


@dataclass(frozen=True, eq=False)
class PolicyOutcome:
    """Per planned customer (aligned with the inputs) and the counts for the run summary."""

    status: np.ndarray  # Status values
    reason: np.ndarray  # Reason values, "" for send
    channel: np.ndarray  # chosen channel after failover, None when no message
    template: np.ndarray
    step: np.ndarray  # position in the send chain, -1 when none
    variant: np.ndarray  # arm of a split rule, -1 otherwise (and for held-out customers)
    deferred_until: np.ndarray  # datetime64[us] UTC, NaT unless deferred
    invalid_zones: tuple[str, ...]  # customer zone names that were not IANA zones
    invalid_zone_customers: int = 0  # customers whose zone was one of them

    def summary(self) -> dict[str, object]:
        """Counts for the run summary: ``sent`` (messages), ``actions_only``, ``held_out``,
        ``skipped`` by reason (deferred customers count as ``quiet_hours``) and ``channels``."""
        # Object arrays compared with each status directly: no text copy of every row.
        status = self.status
        message = self.channel != None  # noqa: E711 (element-wise)
        is_send = status == Status.SEND.value
        sent = is_send & message
        skipped = (status == Status.SKIPPED.value) | (status == Status.DEFERRED.value)
        return {
            "sent": int(sent.sum()),
            "actions_only": int((is_send & ~message).sum()),
            "held_out": int((status == Status.HELD_OUT.value).sum()),
            "skipped": _counts(self.reason[skipped]),
            "channels": _counts(self.channel[sent]),
        }


def _counts(values: np.ndarray) -> dict[str, int]:
    """How often each value occurs, by its text, sorted."""
    by_text: Counter[str] = Counter()
    for value, count in Counter(values.tolist()).items():
        by_text[str(value)] += count
    return dict(sorted(by_text.items()))


def _chain(actions: tuple[A.Action, ...]) -> tuple[SendStep, ...]:
    # A rule's message is its first `send` (with its `else send` failovers).
    send = next((a for a in actions if isinstance(a, A.Send)), None)
    steps = []
    while send is not None:
        steps.append(SendStep(send.channel.name, send.template.name))
        send = send.fallback
    return tuple(steps)


def rule_plan(rule: A.Rule) -> RulePlan:
    """The policy view of a parsed rule."""
    repeat = rule.repeat.seconds if rule.repeat else None
    if isinstance(rule.actions, A.Split):
        arms = tuple(Arm(arm.percent, _chain(arm.actions)) for arm in rule.actions.arms)
        return RulePlan(rule.name.name, arms, split=True, repeat_seconds=repeat)
    return RulePlan(rule.name.name, (Arm(100.0, _chain(rule.actions)),), repeat_seconds=repeat)


def _utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _already_fired(inputs: PolicyInputs, rule_index: np.ndarray) -> np.ndarray:
    if inputs.last_fired is None:
        return np.zeros(rule_index.size, dtype=bool)
    last = np.asarray(inputs.last_fired).astype("datetime64[us]")
    now = np.datetime64(_utc(inputs.now).replace(tzinfo=None), "us")
    # NaN repeat (no `repeat every`) never allows a second firing: comparisons with NaN fail.
    repeat = np.array([r.repeat_seconds or np.nan for r in inputs.rules], dtype=np.float64)
    elapsed = (now - last) / np.timedelta64(1, "s")
    return ~np.isnat(last) & ~(elapsed >= repeat[rule_index])


def _variants(inputs: PolicyInputs, texts: np.ndarray, rule_index: np.ndarray) -> np.ndarray:
    arms = np.zeros(texts.size, dtype=np.int64)
    for index, rule in enumerate(inputs.rules):
        rows = rule_index == index
        if rule.split and rows.any():
            shares = [arm.share for arm in rule.arms]
            arms[rows] = variant(inputs.campaign, rule.name, texts[rows], shares)
    return arms


def apply_policies(inputs: PolicyInputs) -> PolicyOutcome:
    """Apply every contact policy, in the documented order, to the planned customers."""
    texts = id_texts(inputs.customer_ids)
    n = texts.size
    rule_index = np.asarray(inputs.rule_index, dtype=np.int64)
    # Codes while the policies run (0: not decided yet), texts at the end: comparing small
    # integers is what makes a policy step cost nothing next to the hashing.
    status = np.zeros(n, dtype=np.int8)
    reason = np.zeros(n, dtype=np.int16)
    reasons = _Vocabulary()

    def stop(mask: np.ndarray, new_status: Status, why: Reason | np.ndarray) -> None:
        status[mask] = _STATUS_CODE[new_status]
        reason[mask] = reasons.codes(why[mask]) if isinstance(why, np.ndarray) else reasons[why]

    stop(_already_fired(inputs, rule_index), Status.SKIPPED, Reason.ALREADY_FIRED)
    pending = status == 0
    if inputs.holdout_percent:
        held = np.zeros(n, dtype=bool)
        held[pending] = holdout(inputs.campaign, texts[pending], inputs.holdout_percent)
        stop(held, Status.HELD_OUT, Reason.HOLDOUT)

    # The arm decides the chain, so the (stable) variant is drawn before contact checks.
    arm = _variants(inputs, texts, rule_index)
    first_chain = np.cumsum([0] + [len(r.arms) for r in inputs.rules])
    chains = [arm_.chain for r in inputs.rules for arm_ in r.arms]
    chain_index = first_chain[:-1][rule_index] + arm if n else np.zeros(0, dtype=np.int64)
    has_message = np.array([len(c) > 0 for c in chains], dtype=bool)[chain_index]

    step = np.full(n, -1, dtype=np.int64)
    todo = (status == 0) & has_message
    contact = resolve_chains(
        texts[todo],
        chain_index[todo],
        [tuple(s.channel for s in c) for c in chains],
        _subset(inputs.contacts, todo),
        inputs.suppressions,
    )
    step[todo] = contact.step
    stop(_spread(contact.step < 0, todo, False), Status.SKIPPED, _spread(contact.reason, todo, ""))

    todo = (status == 0) & has_message
    if inputs.cap is not None or inputs.global_cap is not None:
        why = cap_reasons(
            texts[todo], inputs.history, inputs.now, inputs.campaign, inputs.cap, inputs.global_cap
        )
        stop(_spread(why != "", todo, False), Status.SKIPPED, _spread(why, todo, ""))

    deferred_until = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    zones = resolve_zones(inputs.zones, inputs.timezone)
    todo = (status == 0) & has_message
    if inputs.quiet is not None and todo.any():
        start, end = inputs.quiet.start, inputs.quiet.end

        def zones_of(rows: np.ndarray) -> np.ndarray | None:
            # Resolved names already hold the fallback for null and unknown zones.
            return (
                zones.names[rows]
                if inputs.zones is not None
                else np.full(int(rows.sum()), zones.fallback, dtype=object)
            )

        quiet = _spread(
            in_quiet_hours(inputs.now, zones_of(todo), start, end, zones.fallback), todo, False
        )
        stop(quiet, Status.DEFERRED, Reason.QUIET_HOURS)
        deferred_until[quiet] = next_allowed(
            inputs.now, zones_of(quiet), start, end, zones.fallback
        )
    status[status == 0] = _STATUS_CODE[Status.SEND]

    # Every (chain, step) laid out flat, so the chosen send is one fancy-index away.
    flat = [s for c in chains for s in c]
    offset = np.cumsum([0] + [len(c) for c in chains])[:-1].astype(np.int64)
    messaged = (step >= 0) & (
        (status == _STATUS_CODE[Status.SEND]) | (status == _STATUS_CODE[Status.DEFERRED])
    )
    picked = offset[chain_index[messaged]] + step[messaged] if flat else np.zeros(0, np.int64)
    channel = np.full(n, None, dtype=object)
    template = np.full(n, None, dtype=object)
    channel[messaged] = np.array([s.channel for s in flat], dtype=object)[picked]
    template[messaged] = np.array([s.template for s in flat], dtype=object)[picked]
    is_split = np.array([r.split for r in inputs.rules], dtype=bool)
    held_out = status == _STATUS_CODE[Status.HELD_OUT]
    shown = is_split[rule_index] & ~held_out if n else np.zeros(0, dtype=bool)
    return PolicyOutcome(
        status=_STATUS_TEXT[status],
        reason=reasons.texts()[reason],
        channel=channel,
        template=template,
        step=np.where(messaged, step, -1),
        variant=np.where(shown, arm, -1),
        deferred_until=deferred_until,
        invalid_zones=zones.invalid,
        invalid_zone_customers=zones.invalid_customers,
    )


_STATUS_CODE = {s: code for code, s in enumerate(Status, start=1)}
_STATUS_TEXT = np.array(["", *(s.value for s in Status)], dtype=object)


class _Vocabulary:
    """Reason texts as small codes (0: no reason); texts outside :class:`Reason` get codes
    too, so any reason a step reports comes back unchanged."""

    def __init__(self) -> None:
        self._texts: list[str] = ["", *(r.value for r in Reason)]
        self._codes = {text: code for code, text in enumerate(self._texts)}

    def __getitem__(self, reason: Reason) -> int:
        return self._codes[reason.value]

    def codes(self, values: np.ndarray) -> np.ndarray:
        """The code of each value (an object array of texts)."""
        found = np.zeros(values.size, dtype=np.int16)
        left = np.ones(values.size, dtype=bool)
        for text, code in list(self._codes.items()):
            if not left.any():
                break
            same = left & (values == text)
            found[same] = code
            left &= ~same
        for value in dict.fromkeys(values[left].tolist()):  # rare: not a known reason
            found[left & (values == value)] = self._add(value)
        return found

    def _add(self, text: str) -> int:
        self._codes[text] = len(self._texts)
        self._texts.append(text)
        return self._codes[text]

    def texts(self) -> np.ndarray:
        return np.array(self._texts, dtype=object)


def _subset(contacts: Mapping[str, ChannelContact], rows: np.ndarray) -> dict[str, ChannelContact]:
    return {
        ch: ChannelContact(_rows(c.address, rows, object), _rows(c.consent, rows, None), c.kind)
        for ch, c in contacts.items()
    }


def _rows(values, rows: np.ndarray, dtype) -> np.ndarray | pa.Array:
    """The selected rows of a NumPy or Arrow array (Arrow stays Arrow)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.filter(pa.array(rows))
    return np.asarray(values, dtype=dtype)[rows]


def _spread(values: np.ndarray, rows: np.ndarray, default: object) -> np.ndarray:
    """``values`` (one per selected row) placed back among all rows."""
    full = np.full(rows.size, default, dtype=values.dtype if values.dtype == bool else object)
    full[rows] = values
    return full
