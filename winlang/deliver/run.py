"""A real run after evaluation: policies, ledger rows for the whole plan, then sending.

Ordered so that a crash anywhere loses nothing: every firing is in the ledger (one
transaction per slice of ``plan_batch`` customers) before the first channel call, and the
sending loop picks up any planned message of the campaign, this run's or a dead run's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..backends.base import EmptyState, RunContext, Source
from ..check import CheckedCampaign
from ..check.formats import campaign_locale
from ..config import Config
from ..evaluate import Evaluation, choose_backend
from ..plan.lower import Lowering
from ..policies.apply import PolicyOutcome, apply_policies
from ..policies.contact import channel_reasons
from ..state import State
from .channels import ChannelPool
from .gather import channels_used, customer_values, policy_inputs
from .ledger import Ledger
from .prepare import Planner, arm_specs, nodes_to_fetch
from .send import DeliverySettings, Sender, Tally

Progress = Callable[[str, int, int], None]  # (stage, done so far, total)


@dataclass(frozen=True, eq=False)
class Delivery:
    """What a real run did: the policies' split, what was planned and what was sent."""

    run_id: int
    outcome: PolicyOutcome
    planned: int  # messages this run planned (written to the ledger, to be sent)
    already_planned: Counter  # rule -> firings another run had written first
    tally: Tally


def deliver_campaign(
    checked: CheckedCampaign,
    evaluation: Evaluation,
    source: Source,
    config: Config,
    state: State,
    settings: DeliverySettings | None = None,
    progress: Progress = lambda stage, done, total: None,
) -> Delivery:
    settings = settings or DeliverySettings()
    campaign = checked.campaign.name or ""
    backend = choose_backend(evaluation.engine, source)
    inputs = policy_inputs(checked, evaluation, source, config, state)
    outcome = apply_policies(inputs)
    pool = ChannelPool(config, [c for c in channels_used(checked.campaign) if c in config.channels])
    ledger = Ledger(state, campaign, evaluation.now, settings.lease_seconds)
    ledger.start()
    try:
        ledger.release_dead_runs()
        planner = make_planner(checked, evaluation, source, backend, config, state, inputs, outcome)
        planned, already = _write_plan(ledger, planner, settings.plan_batch, progress)
        sent = [0]

        def count(finished: int) -> None:
            sent[0] += finished
            progress("sent", sent[0], 0)

        tally = Sender(ledger, pool, settings, count).run()
        delivery = Delivery(ledger.run_id, outcome, planned, already, tally)
        ledger.finish("finished", {"planned": planned, **tally.totals()})
        return delivery
    except BaseException:
        ledger.finish("failed")
        raise
    finally:
        pool.close()


def make_planner(checked, evaluation, source, backend, config, state, inputs, outcome) -> Planner:
    """The planner of a run's messages; ``state`` may be None (no state yet: `preview`)."""
    campaign = checked.campaign
    lowering = Lowering(checked)
    arms = arm_specs(campaign, lowering, set(_fields(checked)))
    nodes = nodes_to_fetch(arms)
    context = RunContext(
        now=evaluation.now, state=state.view() if state is not None else EmptyState()
    )
    ids = evaluation.decisions.ids
    fetched = customer_values(source, backend, nodes, ids, context)
    texts = np.asarray(ids).astype(str)
    first_arm = np.cumsum([0] + [len(r.arms) for r in inputs.rules])[:-1]
    rule_index = np.asarray(evaluation.decisions.rules, dtype=np.int64)
    arm_index = first_arm[rule_index] + np.maximum(outcome.variant, 0) if ids.size else rule_index
    return Planner(
        campaign=campaign,
        now=evaluation.now,
        rule_names=[r.name for r in inputs.rules],
        repeat_seconds=[r.repeat_seconds for r in inputs.rules],
        arms=arms,
        channels=config.channels,
        ids=texts,
        rule_index=rule_index,
        arm_index=arm_index,
        outcome=outcome,
        usable={
            name: channel_reasons(texts, name, contact, inputs.suppressions) == ""
            for name, contact in inputs.contacts.items()
        },
        addresses={name: _python(contact.address) for name, contact in inputs.contacts.items()},
        values=dict(zip(nodes, fetched, strict=True)),
        locale=campaign_locale(campaign, config.locale),
    )


def _python(values) -> list:
    """Arrow or NumPy values as a list of Python values (addresses, one per customer)."""
    return values.to_pylist() if hasattr(values, "to_pylist") else list(values)


def _fields(checked: CheckedCampaign) -> list[str]:
    return [name for name, s in checked.symbols.items() if s.kind in ("field", "derived")]


def _write_plan(
    ledger: Ledger, planner: Planner, size: int, progress: Progress
) -> tuple[int, Counter]:
    total = len(planner.ids)
    planned, already = 0, Counter()
    for start in range(0, total, size):
        firings, skips = planner.plan(range(start, min(start + size, total)))
        written = ledger.record_plan(firings, skips)
        planned += sum(f.status == "planned" for f in firings if f.key in written)
        already.update(f.rule for f in firings if f.key not in written)
        progress("planned", min(start + size, total), total)
        ledger.heartbeat()  # a long plan must not make the run look dead
    return planned, already
