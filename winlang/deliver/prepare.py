"""Turn the contact policies' outcome into ledger rows: firings with their rendered messages.

Pure: the caller fetched every value a message needs (customer fields for placeholders,
``with`` parameters, addresses) aligned with the run's matched customers. A firing carries
the message of *each usable step* of its send chain, first the one the policies chose, so a
permanent failure can fail over without going back to the store, and whichever run sends it
(after a crash, say) sends exactly what was planned.

A step is usable when the policies allow its channel *and* its rendered message fits: an SMS
of more than ``[limits] sms_max_parts`` parts (a long name, a non-GSM fallback) is left out
of the chain like a channel without consent; when no step is left the customer is skipped
as ``too_long``. A customer in quiet hours becomes a ``deferred`` firing with its due time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np

from .. import ast as A
from ..config import Channel as ChannelConfig
from ..contracts.message import Message, idempotency_key
from ..formats import DEFAULT_LOCALE
from ..links import Tracking
from ..plan import ir
from ..plan.delivery import Action, Arm, DeliveryPlan, SendStep
from ..policies.apply import PolicyOutcome
from ..policies.reasons import TOO_LONG, Status
from .columns import Distinct, Rows, distinct, grouped, python_values
from .render import CompiledTemplate, Recipients, compile_template, render_messages


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule firing for a customer, as the ledger records it.

    ``messages`` are (step, message) for each usable step of the chain, in the order to try;
    empty for a held-out customer and for a rule without ``send``.
    """

    key: str
    rule: str
    customer_id: str
    occurrence: int
    status: str  # planned, held_out, done, deferred
    variant: str | None
    messages: tuple[tuple[int, Message], ...]
    actions: tuple[Action, ...]
    due: datetime | None = None  # deferred: when quiet hours end (naive UTC)


@dataclass(frozen=True, slots=True)
class Skip:
    rule: str
    customer_id: str
    reason: str
    until: datetime | None = None  # quiet hours: when the customer may be messaged


def occurrence(now: datetime, repeat_seconds: float | None) -> int:
    """Which firing of a ``repeat every`` rule this is: the period ``now`` falls in. Runs in
    the same period agree on it (so the ledger key catches a repeat); a repeat can't fire
    again within one period, so consecutive firings never share one.

    >>> from datetime import UTC
    >>> occurrence(datetime(2026, 11, 22, tzinfo=UTC), None)
    0
    >>> occurrence(datetime(2026, 11, 22, tzinfo=UTC), 86_400)
    20779
    """
    return int(now.timestamp() // repeat_seconds) if repeat_seconds else 0


def variant_label(arm: int) -> str | None:
    """``A``, ``B``, ... for the arms of a split; None outside a split.

    >>> variant_label(0), variant_label(1), variant_label(-1)
    ('A', 'B', None)
    """
    return chr(ord("A") + arm) if arm >= 0 else None


@dataclass(frozen=True, eq=False)
class Planner:
    """Builds the firings and skips of a run, a slice of rows at a time.

    Arrays are aligned with the run's matched customers: ``ids`` as text, ``rule_index``
    (into ``delivery.rules``), ``arm_index`` (into ``delivery.arms``), the policy
    ``outcome``; ``usable`` maps a channel to a bool array (consent, address, not
    suppressed); ``addresses`` a channel to its addresses; ``values`` a node of
    :meth:`DeliveryPlan.nodes` to its values. Addresses and values may be Arrow arrays:
    each slice of rows becomes Python values only while it is planned, so memory follows
    the slice, not the run.
    """

    campaign: A.CampaignFile
    now: datetime
    delivery: DeliveryPlan
    channels: Mapping[str, ChannelConfig]
    ids: np.ndarray
    rule_index: np.ndarray
    arm_index: np.ndarray
    outcome: PolicyOutcome
    usable: Mapping[str, np.ndarray]
    addresses: Mapping[str, np.ndarray]
    values: Mapping[ir.Node, np.ndarray]
    sms_max_parts: int | None = None  # [limits]: longer SMS messages are not sent
    deferred: Mapping[tuple[str, str], int] = field(default_factory=dict)
    # (rule, customer) -> occurrence of a firing an earlier run deferred: planned again
    # under its own key, so the ledger takes it over instead of writing a second one
    locale: str = DEFAULT_LOCALE  # how placeholders format values
    tracking: Tracking | None = None  # [tracking]: short and unsubscribe links

    @cached_property
    def campaign_name(self) -> str:
        """The campaign's name, looked up once (``CampaignFile.name`` scans its headers)."""
        return self.campaign.name or ""

    @cached_property
    def arms(self) -> tuple[Arm, ...]:
        """The delivery plan's arms, laid out once (``arm_index`` points into them)."""
        return self.delivery.arms

    @cached_property
    def link(self) -> str | None:
        found = self.campaign.setting("link")
        return str(found.value) if found is not None else None

    @cached_property
    def _compiled(self) -> dict[tuple[int, str], CompiledTemplate]:
        """Each template compiled once per run, for each channel kind it is sent on."""
        kinds = {
            (step.template, self.channels[step.channel].kind)
            for arm in self.arms
            for step in arm.chain
        }
        templates = self.delivery.templates
        return {
            (template, kind): compile_template(templates[template], kind, self.locale)
            for template, kind in kinds
        }

    @cached_property
    def _occurrences(self) -> tuple[int, ...]:
        """Each rule's occurrence at ``now`` (see :func:`occurrence`), worked out once."""
        return tuple(occurrence(self.now, rule.repeat_seconds) for rule in self.delivery.rules)

    def plan(self, rows: range) -> tuple[list[Firing], list[Skip]]:
        """The firings and skips of ``rows``, their messages rendered a column at a time
        (:meth:`_messages`); the rest read from the slice's columns as Python lists."""
        part = slice(rows.start, rows.stop)
        outcome = self.outcome
        status = outcome.status[part].tolist()
        rules = self.delivery.rules
        names = [rules[r].name for r in self.rule_index[part].tolist()]
        ids = [str(customer) for customer in self.ids[part].tolist()]
        keyed: dict[int, tuple[str, str, int, str]] = {}  # row -> rule, customer, nth, key
        for i, state, rule, customer in zip(rows, status, names, ids, strict=True):
            if state != Status.SKIPPED:
                keyed[i] = (rule, customer, *self.keyed(i, rule, customer))
        messages = self._messages(np.fromiter(keyed, dtype=np.int64, count=len(keyed)), keyed)
        arms = [self.arms[a] for a in self.arm_index[part].tolist()]
        steps = outcome.step[part].tolist()
        variants = [variant_label(v) for v in outcome.variant[part].tolist()]
        reason = outcome.reason
        firings: list[Firing] = []
        skips: list[Skip] = []
        for offset, (i, state) in enumerate(zip(rows, status, strict=True)):
            if state == Status.SKIPPED:
                skips.append(Skip(names[offset], ids[offset], str(reason[i])))
                continue
            rule, customer, nth, key = keyed[i]
            variant = variants[offset]
            if state == Status.HELD_OUT:
                firings.append(Firing(key, rule, customer, nth, "held_out", variant, (), ()))
                continue
            if steps[offset] < 0:  # a rule without `send`: its actions are the whole firing
                actions = arms[offset].actions
                firings.append(Firing(key, rule, customer, nth, "done", variant, (), actions))
                continue
            sent = tuple(messages.get(i, ()))
            if state == Status.DEFERRED:
                due = outcome.deferred_until[i].astype(datetime)
                firing = Firing(key, rule, customer, nth, "deferred", variant, sent, (), due)
            else:
                actions = arms[offset].actions
                firing = Firing(key, rule, customer, nth, "planned", variant, sent, actions)
            if sent:
                firings.append(firing)
            else:  # every usable step's message is too long to send
                skips.append(Skip(rule, customer, TOO_LONG))
            if state == Status.DEFERRED and sent:
                skips.append(Skip(rule, customer, str(reason[i]), due))
        return firings, skips

    def keyed(self, i: int, rule: str, customer: str) -> tuple[int, str]:
        """Row ``i``'s firing occurrence and its ledger key: an earlier run's deferred
        firing keeps its own, else the period ``now`` falls in."""
        nth = self.deferred.get((rule, customer))
        if nth is None:
            nth = self._occurrences[self.rule_index[i]]
        return nth, idempotency_key(self.campaign_name, rule, customer, nth)

    def fits(self, message: Message) -> bool:
        """Whether the rendered message may be sent: an SMS within ``sms_max_parts``."""
        limit = self.sms_max_parts
        return limit is None or message.parts is None or message.parts <= limit

    def _messages(
        self, rows: np.ndarray, keyed: Mapping[int, tuple[str, str, int, str]]
    ) -> dict[int, list[tuple[int, Message]]]:
        """The (step, message) of each usable step of the send chain of each of ``rows``
        (those not skipped) whose message :meth:`fits`, in the order to try.

        Rows are grouped by rule and arm, and each position of the chain is rendered for
        all the group's rows that try it at once: the step the policies chose, and each
        later step whose channel is usable. A failover is a different message on another
        channel: a key of its own (the firing's and its place among the steps tried), so a
        provider that drops repeats by key does not drop it.
        """
        status = self.outcome.status[rows]
        first = np.asarray(self.outcome.step, dtype=np.int64)[rows]
        messaged = (status != Status.HELD_OUT) & (first >= 0)
        rows, first = rows[messaged], first[messaged]
        found: dict[int, list[tuple[int, Message]]] = {i: [] for i in rows.tolist()}
        if not rows.size:
            return found
        values = _Values(self, rows)
        rule_index = np.asarray(self.rule_index, dtype=np.int64)[rows]
        arm_index = np.asarray(self.arm_index, dtype=np.int64)[rows]
        rules = self.delivery.rules
        for group in grouped(rule_index * len(self.arms) + arm_index):
            at, firsts = rows[group], first[group]
            rule = rules[rule_index[group[0]]].name
            tried_before = np.zeros(at.size, dtype=np.int64)
            for position, step in enumerate(self.arms[arm_index[group[0]]].chain):
                tried = self.tries(position, step, at, firsts)
                if not tried.any():
                    continue
                who = at[tried]
                keys = [keyed[i][3] for i in who.tolist()]
                attempts = tried_before[tried].tolist()
                own = [k if n == 0 else f"{k}/{n}" for k, n in zip(keys, attempts, strict=True)]
                rendered = self.render(rule, step, who, own, keys, values)
                fits = self.fits
                for i, message in zip(who.tolist(), rendered, strict=True):
                    if fits(message):
                        found[i].append((position, message))
                tried_before += tried
        return found

    def tries(
        self, position: int, step: SendStep, rows: np.ndarray, first: np.ndarray
    ) -> np.ndarray:
        """Which of ``rows`` (``first``: the chain position the policies chose for each) try
        the send chain's ``position``: the chosen step, and each later step whose channel is
        usable, in order."""
        later = (first < position) & np.asarray(self.usable[step.channel])[rows]
        return (first == position) | later

    def render(
        self,
        rule: str,
        send: SendStep,
        rows: np.ndarray,
        keys: Sequence[str],
        firing_keys: Sequence[str],
        values: _Values | None = None,
    ) -> list[Message]:
        """``send``'s template rendered for ``rows`` (row numbers, ascending) under their
        messages' ``keys``, their links carrying the message id of ``firing_keys``;
        ``values`` are the rows' columns when the caller has them."""
        values = values if values is not None else _Values(self, rows)
        kind = self.channels[send.channel].kind
        compiled = self._compiled[(send.template, kind)]
        positions = values.positions(rows)
        variant = self.outcome.variant[rows].tolist()
        recipients = Recipients(
            keys,
            firing_keys,
            [str(c) for c in self.ids[rows].tolist()],
            [str(a).strip() for a in values.addresses(send.channel, positions)],
            [variant_label(v) for v in variant],
        )
        columns = {name: values.column(node, positions) for name, node in send.fields}
        columns.update((name, values.column(node, positions)) for name, node in send.params)
        return render_messages(
            compiled,
            campaign=self.campaign_name,
            rule=rule,
            channel=send.channel,
            link=self.link,
            tracking=self.tracking,
            recipients=recipients,
            values=columns,
        )


class _Values:
    """The addresses and template values of some rows (row numbers, ascending), read from
    the planner's columns when first asked for and kept while those rows are planned: a
    slice at a time, so memory follows the slice, not the run."""

    def __init__(self, planner: Planner, rows: np.ndarray) -> None:
        self._planner = planner
        self._rows = rows
        self._taken: Rows = rows
        if rows.size and int(rows[-1]) - int(rows[0]) + 1 == rows.size:
            self._taken = range(int(rows[0]), int(rows[-1]) + 1)  # contiguous: a slice
        self._addresses: dict[str, list] = {}
        self._columns: dict[ir.Node, Distinct] = {}

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """Where ``rows`` (some of these rows) are among them."""
        return np.searchsorted(self._rows, rows)

    def addresses(self, channel: str, positions: np.ndarray) -> list:
        found = self._addresses.get(channel)
        if found is None:
            found = python_values(self._planner.addresses[channel], self._taken)
            self._addresses[channel] = found
        return [found[p] for p in positions.tolist()]

    def column(self, node: ir.Node, positions: np.ndarray) -> Distinct:
        found = self._columns.get(node)
        if found is None:
            found = self._columns[node] = distinct(self._planner.values[node], self._taken)
        return found.take(positions)
