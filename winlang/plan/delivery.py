"""The delivery plan: what each rule sends and does, lowered once from the campaign.

For every rule, in file order: its arms (one of 100% for a rule without ``split``); each
arm's send chain — its first ``send`` and the ``else send`` failovers, walked by
:func:`winlang.check.templates.send_chain` — each step with its template and the IR of the
values its message reads (``with`` parameters, placeholders that are customer fields); and the
arm's other actions (lists, ``unsubscribe``). The contact policies read the chains (which
channels, in which order), the planner renders the messages from the very same steps, and
nothing lowers the campaign a second time.

>>> from winlang.project import checked_text
>>> from winlang.schema import schema_from_json
>>> schema = schema_from_json('{"customers": {"first_name": "text", "phone": "text", '
...     '"consent_sms": "bool", "push_token": "text", "consent_push": "bool"}}')
>>> checked = checked_text('''campaign "c"
... template hi sms "Hi {first_name}, {pct}% off"
... template hi_push push "{pct}% off"
... rule nudge: when true then send sms hi with pct = 10 else send push hi_push with pct = 10
... ''', schema)
>>> plan = delivery_plan(checked)
>>> [(s.channel, s.template) for s in plan.rules[0].arms[0].chain]
[('sms', 'hi'), ('push', 'hi_push')]
>>> [name for name, _ in plan.rules[0].arms[0].chain[0].fields]
['first_name']
>>> len(plan.nodes())  # `pct = 10` twice, and `first_name`: each value fetched once
2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .. import ast as A
from ..check import CheckedCampaign
from ..check.templates import Placeholder, arms_of, scan, send_chain
from . import ir
from .lower import Lowering

Action = A.ListAction | A.Unsubscribe


@dataclass(frozen=True, slots=True)
class SendStep:
    """One ``send <channel> <template> with ...`` of a chain, with the IR of the values its
    message reads: ``with`` parameters and the placeholders that are customer fields."""

    channel: str
    template: str
    params: tuple[tuple[str, ir.Node], ...] = ()
    fields: tuple[tuple[str, ir.Node], ...] = ()


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm of a split (a rule without ``split`` has one arm of 100%): its send chain, in
    the order tried (empty: no message), then its other actions, in the order written."""

    share: float
    chain: tuple[SendStep, ...]
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleDelivery:
    """What a rule does once it matches: its arms and ``repeat every`` in seconds."""

    name: str
    arms: tuple[Arm, ...]
    split: bool = False
    repeat_seconds: float | None = None


@dataclass(frozen=True, eq=False)
class DeliveryPlan:
    """Every rule's delivery, in file order, and the templates the chains name."""

    rules: tuple[RuleDelivery, ...]
    templates: Mapping[str, A.Template] = field(default_factory=dict)

    @property
    def arms(self) -> tuple[Arm, ...]:
        """Every arm of every rule, in file order: the arm index of a customer is a
        position here (see :meth:`arm_index`)."""
        return tuple(arm for rule in self.rules for arm in rule.arms)

    def arm_index(self, rule_index: np.ndarray, variant: np.ndarray) -> np.ndarray:
        """The position in :attr:`arms` of each customer's arm, from their rule and variant
        (-1, not a split: the rule's only arm)."""
        first = np.cumsum([0] + [len(r.arms) for r in self.rules])[:-1].astype(np.int64)
        rule_index = np.asarray(rule_index, dtype=np.int64)
        if rule_index.size == 0:
            return rule_index
        return first[rule_index] + np.maximum(np.asarray(variant, dtype=np.int64), 0)

    def nodes(self) -> list[ir.Node]:
        """The values messages read, each node once."""
        found = (
            node
            for arm in self.arms
            for step in arm.chain
            for _, node in (*step.params, *step.fields)
        )
        return list(dict.fromkeys(found))


def delivery_plan(checked: CheckedCampaign, lowering: Lowering | None = None) -> DeliveryPlan:
    """The delivery plan of a checked campaign (``lowering``: one already under way, so the
    values share its nodes)."""
    lowering = lowering or Lowering(checked)
    campaign = checked.campaign
    templates = {t.name.name: t for t in campaign.templates}
    fields = {name for name, s in checked.symbols.items() if s.kind in ("field", "derived")}

    def step(send: A.Send) -> SendStep:
        template = templates[send.template.name]
        texts = [template.body.value] + ([template.subject.value] if template.subject else [])
        names = {p.name for text in texts for p in scan(text) if isinstance(p, Placeholder)}
        return SendStep(
            channel=send.channel.name,
            template=send.template.name,
            params=tuple((p.name.name, lowering.lower(p.value)) for p in send.params),
            fields=tuple((n, lowering.name(n)) for n in sorted(names & fields)),
        )

    def arm(share: float, actions: tuple[A.Action, ...]) -> Arm:
        others = tuple(a for a in actions if not isinstance(a, A.Send))
        return Arm(share, tuple(step(send) for send in send_chain(actions)), others)

    rules = tuple(
        RuleDelivery(
            rule.name.name,
            tuple(arm(share, actions) for share, actions in arms_of(rule)),
            split=isinstance(rule.actions, A.Split),
            repeat_seconds=rule.repeat.seconds if rule.repeat else None,
        )
        for rule in campaign.rules
    )
    return DeliveryPlan(rules, templates)
