"""The contact policies in their one order, over every planned customer of a run.

:func:`apply_policies` is pure: the caller (the run, or a dry run: the same function) passes
what the state holds (suppressions, message history) and gets back, per planned customer, a
status, a reason, the channel and template chosen after failover, the A/B variant and, for
deferred customers, when quiet hours end. The steps run in the order of
:data:`winlang.policies.steps.STEPS`:

1. holdout → held_out ``holdout`` (never messaged; nothing else is checked)
2. the variant of a ``split`` rule, a stable hash, drawn before the contact checks because
   the arm decides the send chain, and recorded with the message
3. consent and address, with failover along the send chain → skipped ``no_consent`` /
   ``no_address`` / ``bad_address`` (present but not one valid address for the channel);
   suppressions, checked per channel with them, so failover skips an unsubscribed channel →
   skipped ``unsubscribed``
4. the campaign's cap, then the global cap → skipped ``cap`` / ``global_cap``
5. quiet hours in the customer's zone → deferred ``quiet_hours`` (with ``deferred_until``)
6. everyone left is sent.

A rule that already fired for a customer never gets here: it does not match
(``StateFlag("fired")`` in the plan), and the customer goes on to the next rule. A rule with
no ``send`` (only list actions or ``unsubscribe``) sends no message: the contact, cap and
quiet-hours steps do not apply and its customers get status ``send`` with no channel.
"""

from __future__ import annotations

from functools import reduce

import numpy as np

from .inputs import PolicyInputs, PolicyOutcome, QuietWindow
from .reasons import Status
from .steps import STATUS_CODE, STATUS_TEXT, STEPS, PolicyState

__all__ = ["PolicyInputs", "PolicyOutcome", "QuietWindow", "apply_policies", "outcome_of"]


def apply_policies(inputs: PolicyInputs) -> PolicyOutcome:
    """Apply every contact policy, in the documented order, to the planned customers."""
    return outcome_of(reduce(lambda state, step: step(state), STEPS, PolicyState.start(inputs)))


def outcome_of(state: PolicyState) -> PolicyOutcome:
    """The outcome of the last step's state: texts, and the chosen channel and template."""
    rules = state.inputs.rules
    status, step = state.status, state.step
    chains = state.chains
    chain_index = state.chain_index
    # Every (chain, step) laid out flat, so the chosen send is one fancy-index away.
    flat = [s for c in chains for s in c]
    offset = np.cumsum([0] + [len(c) for c in chains])[:-1].astype(np.int64)
    messaged = (step >= 0) & (
        (status == STATUS_CODE[Status.SEND]) | (status == STATUS_CODE[Status.DEFERRED])
    )
    picked = offset[chain_index[messaged]] + step[messaged] if flat else np.zeros(0, np.int64)
    channel = np.full(state.size, None, dtype=object)
    template = np.full(state.size, None, dtype=object)
    channel[messaged] = np.array([s.channel for s in flat], dtype=object)[picked]
    template[messaged] = np.array([s.template for s in flat], dtype=object)[picked]
    is_split = np.array([r.split for r in rules], dtype=bool)
    held_out = status == STATUS_CODE[Status.HELD_OUT]
    shown = is_split[state.rule_index] & ~held_out if state.size else np.zeros(0, dtype=bool)
    zones = state.zones
    return PolicyOutcome(
        status=STATUS_TEXT[status],
        reason=state.vocabulary.texts()[state.reason],
        channel=channel,
        template=template,
        step=np.where(messaged, step, -1),
        variant=np.where(shown, state.arm, -1),
        deferred_until=state.deferred_until,
        invalid_zones=zones.invalid if zones is not None else (),
        invalid_zone_customers=zones.invalid_customers if zones is not None else 0,
        usable=state.usable,
    )
