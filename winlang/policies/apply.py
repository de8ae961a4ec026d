"""The contact policies in their one order, over every planned customer of a run.

:func:`apply_policies` is pure: the caller (the run, or a dry run: the same function) passes
what the state holds (fired rules, suppressions, message history) and gets back, per planned
customer, a status, a reason, the channel and template chosen after failover, the A/B
variant and, for deferred customers, when quiet hours end. The order (see ``ORDER`` in
:mod:`winlang.policies.reasons`):

1. already fired (and ``repeat every`` not run out) → skipped ``already_fired``
2. holdout → held_out ``holdout`` (never messaged; nothing else is checked)
3. consent and address, with failover along the send chain → skipped ``no_consent`` /
   ``no_address``
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

    def summary(self) -> dict[str, object]:
        """Counts for the run summary: ``sent`` (messages), ``actions_only``, ``held_out``,
        ``skipped`` by reason (deferred customers count as ``quiet_hours``) and ``channels``."""
        status = self.status.astype(str)
        reasons = self.reason.astype(str)
        message = self.channel != None  # noqa: E711 (element-wise)
        sent = (status == Status.SEND) & message
        skipped = (status == Status.SKIPPED) | (status == Status.DEFERRED)
        return {
            "sent": int(sent.sum()),
            "actions_only": int(((status == Status.SEND) & ~message).sum()),
            "held_out": int((status == Status.HELD_OUT).sum()),
            "skipped": dict(sorted(Counter(reasons[skipped].tolist()).items())),
            "channels": dict(sorted(Counter(self.channel[sent].tolist()).items())),
        }


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
    status = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)

    def stop(mask: np.ndarray, new_status: Status, why: Reason | np.ndarray) -> None:
        status[mask] = new_status.value
        reason[mask] = why[mask] if isinstance(why, np.ndarray) else why.value

    stop(_already_fired(inputs, rule_index), Status.SKIPPED, Reason.ALREADY_FIRED)
    pending = status == ""
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
    todo = (status == "") & has_message
    contact = resolve_chains(
        texts[todo],
        chain_index[todo],
        [tuple(s.channel for s in c) for c in chains],
        _subset(inputs.contacts, todo),
        inputs.suppressions,
    )
    step[todo] = contact.step
    stop(_spread(contact.step < 0, todo, False), Status.SKIPPED, _spread(contact.reason, todo, ""))

    todo = (status == "") & has_message
    if inputs.cap is not None or inputs.global_cap is not None:
        why = cap_reasons(
            texts[todo], inputs.history, inputs.now, inputs.campaign, inputs.cap, inputs.global_cap
        )
        stop(_spread(why != "", todo, False), Status.SKIPPED, _spread(why, todo, ""))

    deferred_until = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    zones = resolve_zones(inputs.zones, inputs.timezone)
    todo = (status == "") & has_message
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
    status[status == ""] = Status.SEND.value

    # Every (chain, step) laid out flat, so the chosen send is one fancy-index away.
    flat = [s for c in chains for s in c]
    offset = np.cumsum([0] + [len(c) for c in chains])[:-1].astype(np.int64)
    messaged = (step >= 0) & ((status == Status.SEND) | (status == Status.DEFERRED))
    picked = offset[chain_index[messaged]] + step[messaged] if flat else np.zeros(0, np.int64)
    channel = np.full(n, None, dtype=object)
    template = np.full(n, None, dtype=object)
    channel[messaged] = np.array([s.channel for s in flat], dtype=object)[picked]
    template[messaged] = np.array([s.template for s in flat], dtype=object)[picked]
    is_split = np.array([r.split for r in inputs.rules], dtype=bool)
    shown = is_split[rule_index] & (status != Status.HELD_OUT) if n else np.zeros(0, dtype=bool)
    return PolicyOutcome(
        status=status,
        reason=reason,
        channel=channel,
        template=template,
        step=np.where(messaged, step, -1),
        variant=np.where(shown, arm, -1),
        deferred_until=deferred_until,
        invalid_zones=zones.invalid,
    )


def _subset(contacts: Mapping[str, ChannelContact], rows: np.ndarray) -> dict[str, ChannelContact]:
    return {
        ch: ChannelContact(np.asarray(c.address, dtype=object)[rows], np.asarray(c.consent)[rows])
        for ch, c in contacts.items()
    }


def _spread(values: np.ndarray, rows: np.ndarray, default: object) -> np.ndarray:
    """``values`` (one per selected row) placed back among all rows."""
    full = np.full(rows.size, default, dtype=values.dtype if values.dtype == bool else object)
    full[rows] = values
    return full
