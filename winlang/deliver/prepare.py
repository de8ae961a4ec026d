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

from collections.abc import Mapping
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
from .render import render_message


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

    def plan(self, rows: range) -> tuple[list[Firing], list[Skip]]:
        batch = _Rows.of(self, rows)
        firings: list[Firing] = []
        skips: list[Skip] = []
        status, reason = self.outcome.status, self.outcome.reason
        rules = self.delivery.rules
        for i in rows:
            rule = rules[self.rule_index[i]].name
            if status[i] == Status.SKIPPED:
                skips.append(Skip(rule, str(self.ids[i]), str(reason[i])))
                continue
            firing = self._firing(i, rule, batch)
            if firing.messages or firing.status in ("held_out", "done"):
                firings.append(firing)
            else:  # every usable step's message is too long to send
                skips.append(Skip(rule, firing.customer_id, TOO_LONG))
            if firing.status == "deferred" and firing.messages:
                skips.append(Skip(rule, firing.customer_id, str(reason[i]), firing.due))
        return firings, skips

    def keyed(self, i: int, rule: str, customer: str) -> tuple[int, str]:
        """Row ``i``'s firing occurrence and its ledger key: an earlier run's deferred
        firing keeps its own, else the period ``now`` falls in."""
        nth = self.deferred.get((rule, customer))
        if nth is None:
            nth = occurrence(self.now, self.delivery.rules[self.rule_index[i]].repeat_seconds)
        return nth, idempotency_key(self.campaign_name, rule, customer, nth)

    def _firing(self, i: int, rule: str, rows: _Rows) -> Firing:
        customer = str(self.ids[i])
        nth, key = self.keyed(i, rule, customer)
        variant = variant_label(int(self.outcome.variant[i]))
        arm = self.arms[self.arm_index[i]]
        if self.outcome.status[i] == Status.HELD_OUT:
            return Firing(key, rule, customer, nth, "held_out", variant, (), ())
        first = int(self.outcome.step[i])
        if first < 0:  # a rule without `send`: its actions are the whole firing
            return Firing(key, rule, customer, nth, "done", variant, (), arm.actions)
        steps = [first] + [
            p for p in range(first + 1, len(arm.chain)) if self.usable[arm.chain[p].channel][i]
        ]
        rendered = (
            (step, self._message(i, rule, customer, nth, variant, arm.chain[step], key, n, rows))
            for n, step in enumerate(steps)
        )
        messages = tuple((step, m) for step, m in rendered if self.fits(m))
        if self.outcome.status[i] == Status.DEFERRED:
            until = self.outcome.deferred_until[i]
            due = until.astype(datetime)
            return Firing(key, rule, customer, nth, "deferred", variant, messages, (), due)
        return Firing(key, rule, customer, nth, "planned", variant, messages, arm.actions)

    def fits(self, message: Message) -> bool:
        """Whether the rendered message may be sent: an SMS within ``sms_max_parts``."""
        limit = self.sms_max_parts
        return limit is None or message.parts is None or message.parts <= limit

    def _message(
        self,
        i: int,
        rule: str,
        customer: str,
        nth: int,
        variant: str | None,
        send: SendStep,
        key: str,
        attempt: int,
        rows: _Rows,
    ) -> Message:
        # A failover is a different message on another channel: a key of its own, so a
        # provider that drops repeats by key does not drop it.
        return self._render(
            rule,
            customer,
            send,
            to=str(rows.address(send.channel, i)).strip(),
            fields={name: rows.value(node, i) for name, node in send.fields},
            params={name: rows.value(node, i) for name, node in send.params},
            key=key if attempt == 0 else f"{key}/{attempt}",
            occurrence=nth,
            variant=variant,
            firing_key=key,
        )

    def _render(self, rule: str, customer: str, send: SendStep, **message: object) -> Message:
        """``send``'s template rendered for ``customer`` (``message``: the address, the
        values, the key and what else :func:`render_message` takes)."""
        return render_message(
            campaign=self.campaign_name,
            link=self.link,
            rule=rule,
            customer_id=customer,
            template=self.delivery.templates[send.template],
            channel=send.channel,
            kind=self.channels[send.channel].kind,
            locale=self.locale,
            tracking=self.tracking,
            **message,
        )


@dataclass(frozen=True, slots=True)
class _Rows:
    """One slice of a planner's rows with its addresses and values as Python values (read
    once per message), made when the slice is planned and dropped after it."""

    start: int
    addresses: Mapping[str, list]
    values: Mapping[ir.Node, list]

    @classmethod
    def of(cls, planner: Planner, rows: range) -> _Rows:
        start, stop = rows.start, max(rows.start, rows.stop)
        return cls(
            start,
            {c: _python(a, start, stop) for c, a in planner.addresses.items()},
            {n: _python(v, start, stop) for n, v in planner.values.items()},
        )

    def value(self, node: ir.Node, i: int) -> object:
        return self.values[node][i - self.start]

    def address(self, channel: str, i: int) -> object:
        return self.addresses[channel][i - self.start]


def _python(values, start: int, stop: int) -> list:
    """``values[start:stop]`` (Arrow, NumPy or a list) as a list of Python values."""
    if hasattr(values, "to_pylist"):
        return values.slice(start, stop - start).to_pylist()
    return list(values[start:stop])
