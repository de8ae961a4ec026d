"""A real run after evaluation: policies, ledger rows for the whole plan, then sending.

Ordered so that a crash anywhere loses nothing: every firing is in the ledger (one
transaction per slice of ``plan_batch`` customers) before the first channel call, and the
sending loop picks up any planned message of the campaign, this run's or a dead run's.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from ..backends.base import RunContext
from ..check import CheckedCampaign
from ..check.templates import channels_sent_on, placeholder_names
from ..config import Config
from ..contracts.errors import DataError
from ..contracts.source import Source
from ..contracts.state import EmptyState
from ..evaluate import Evaluation, choose_backend
from ..formats import campaign_locale
from ..links import STAND_IN_SECRET, MissingSecret, Tracking, secret_from_environment
from ..plan import ir
from ..plan.delivery import DeliveryPlan, delivery_plan
from ..policies.apply import PolicyInputs, PolicyOutcome, apply_policies
from ..policies.hashing import id_texts
from ..policies.reasons import NO_LONGER_MATCHES, TOO_LONG, Status
from ..state import State
from .channels import ChannelPool
from .gather import contact_columns, customer_values, policy_inputs
from .ledger import Ledger
from .prepare import Planner, Skip
from .preview import Preview, preview_plan
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
    evaluation: Evaluation  # the matches the run acted on (only deferred ones: a subset)
    too_long: Counter = field(default_factory=Counter)  # rule -> customers skipped too_long
    too_long_deferred: Counter = field(default_factory=Counter)  # ... of them in quiet hours
    deferred_dropped: int = 0  # deferred firings dropped: no longer matching or reachable
    waiting: int = 0  # deferred firings of the campaign in the ledger after the run
    next_due: datetime | None = None  # when the first of them is due (naive UTC)


@dataclass
class _Written:
    """What writing the plan did, slice by slice."""

    planned: int = 0
    already: Counter = field(default_factory=Counter)
    too_long: Counter = field(default_factory=Counter)
    too_long_deferred: Counter = field(default_factory=Counter)
    # Of the firings earlier runs deferred only (memory stays with the batch, not the run):
    kept: set = field(default_factory=set)  # (rule, customer) planned or deferred
    skipped: set = field(default_factory=set)  # (rule, customer) skipped for a reason


def deliver_campaign(
    checked: CheckedCampaign,
    evaluation: Evaluation,
    source: Source,
    config: Config,
    state: State,
    settings: DeliverySettings | None = None,
    progress: Progress = lambda stage, done, total: None,
    only_deferred: bool = False,
) -> Delivery:
    """Plan and send; with ``only_deferred``, plan only the firings earlier runs deferred
    (for customers who still match their rule) and nothing new."""
    settings = settings or DeliverySettings()
    with _collector_paused():
        campaign = checked.campaign.name or ""
        ledger = Ledger(state, campaign, evaluation.now, settings.lease_seconds)
        deferred = ledger.deferred()
        if only_deferred:
            evaluation = only_pairs(evaluation, set(deferred))
        policed = police(checked, evaluation, source, config, state)
        outcome = policed.outcome
        used = channels_sent_on(checked.campaign)
        tracking = tracking_for(checked, config, real=True)  # no secret: fail before any write
        pool = ChannelPool(config, [c for c in used if c in config.channels])
        ledger.start()
        try:
            ledger.release_dead_runs()
            planner = make_planner(
                policed, source=source, config=config, state=state, tracking=tracking
            )
            planner = replace(
                planner, deferred={pair: found[0] for pair, found in deferred.items()}
            )
            written = _write_plan(ledger, planner, settings.plan_batch, progress)
            dropped = _drop_deferred(ledger, deferred, written)
            # The sending reads the ledger: the matched customers' ids as text, masks and
            # indexes (~45 MiB at 1M customers) are let go before it, not held to the end.
            del planner, policed
            sent = [0]

            def count(finished: int) -> None:
                sent[0] += finished
                progress("sent", sent[0], 0)

            tally = Sender(ledger, pool, settings, count).run()
            delivery = Delivery(
                ledger.run_id,
                outcome,
                written.planned,
                written.already,
                tally,
                evaluation,
                written.too_long,
                written.too_long_deferred,
                dropped,
                ledger.waiting(),
                ledger.next_due(),
            )
            ledger.finish("finished", {"planned": written.planned, **tally.totals()})
            return delivery
        except BaseException:
            ledger.finish("failed")
            raise
        finally:
            pool.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """What the run has loaded so far (modules, the evaluation) lives as long as the run:
    out of the garbage collector's sight while it plans and sends, the per-message objects
    don't make it rescan them; back in sight after, so a long-lived process leaks nothing."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def preview_campaign(
    checked: CheckedCampaign,
    evaluation: Evaluation,
    source: Source,
    config: Config,
    state: State | None,
) -> tuple[PolicyOutcome, Preview]:
    """The policies and the plan of a run, counted, writing nothing."""
    outcome, planner = plan_of(checked, evaluation, source, config, state)
    return outcome, preview_plan(planner)


def only_pairs(evaluation: Evaluation, pairs: set[tuple[str, str]]) -> Evaluation:
    """The evaluation narrowed to customers whose matched rule is one of ``pairs``
    (rule name, customer id as text)."""
    decisions = evaluation.decisions
    names = [rule.name for rule in evaluation.plan.rules]
    texts = np.asarray(decisions.ids).astype(str)
    keep = np.array(
        [
            (names[r], c) in pairs
            for r, c in zip(decisions.rules.tolist(), texts.tolist(), strict=True)
        ],
        dtype=bool,
    )
    return replace(evaluation, decisions=decisions.take(keep))


def _drop_deferred(
    ledger: Ledger, deferred: dict[tuple[str, str], tuple[int, int, int]], written: _Written
) -> int:
    """Drop the deferred firings this run did not plan again: the customer no longer matches
    the rule (recorded as a ``no_longer_matches`` skip) or may not be messaged now (the
    run's own skip says why)."""
    gone = [pair for pair in deferred if pair not in written.kept]
    skips = [
        Skip(rule, customer, NO_LONGER_MATCHES)
        for rule, customer in gone
        if (rule, customer) not in written.skipped
    ]
    return ledger.drop_deferred([deferred[pair][1:] for pair in gone], skips)


@dataclass(frozen=True, eq=False)
class Policed:
    """An evaluation after the contact policies: the campaign's delivery plan (lowered once,
    read by the policies and the planner alike), what the policies read and their outcome."""

    checked: CheckedCampaign
    evaluation: Evaluation
    delivery: DeliveryPlan
    inputs: PolicyInputs
    outcome: PolicyOutcome


def police(
    checked: CheckedCampaign,
    evaluation: Evaluation,
    source: Source,
    config: Config,
    state: State | None,
) -> Policed:
    """Apply the contact policies to the customers ``evaluation`` matched (``state`` may be
    None: no state yet), reading the delivery plan lowered with the evaluation's plan."""
    delivery = evaluation.delivery or delivery_plan(checked)
    inputs = policy_inputs(checked, evaluation, source, config, state, delivery)
    return Policed(checked, evaluation, delivery, inputs, apply_policies(inputs))


def plan_of(
    checked: CheckedCampaign,
    evaluation: Evaluation,
    source: Source,
    config: Config,
    state: State | None,
) -> tuple[PolicyOutcome, Planner]:
    """The policies' outcome for an evaluation and the planner of its messages (nothing
    written; ``state`` may be None: no state yet)."""
    policed = police(checked, evaluation, source, config, state)
    tracking = tracking_for(checked, config, real=False)
    planner = make_planner(policed, source=source, config=config, state=state, tracking=tracking)
    return policed.outcome, planner


def tracking_for(checked: CheckedCampaign, config: Config, real: bool) -> Tracking | None:
    """The links of ``[tracking]`` for a run of the campaign, None without it. Unsubscribe
    links (any email, any ``{unsubscribe}``) need ``WINLANG_TRACKING_SECRET``: a real run
    without it is a :class:`DataError` (the project can't be used as it is); a dry run or a
    preview signs with a stand-in (the same length, so SMS parts are counted right; the link
    would not work)."""
    if config.tracking is None:
        return None
    tracking = Tracking(config.tracking.base_url, secret_from_environment())
    if tracking.secret is not None:
        return tracking
    if not real or config.tracking.stand_in_secret:
        return replace(tracking, secret=STAND_IN_SECRET)
    if any(_needs_unsubscribe(t, config) for t in checked.campaign.templates):
        try:
            tracking.unsubscribe_token("")
        except MissingSecret as error:  # saying what to set
            raise DataError(str(error)) from None
    return tracking


def _needs_unsubscribe(template, config: Config) -> bool:
    channel = config.channels.get(template.channel.name)
    texts = (template.body, template.subject) if template.subject else (template.body,)
    uses = any("unsubscribe" in placeholder_names(t.value) for t in texts)
    return uses or (channel is not None and channel.kind == "email")


def make_planner(
    policed: Policed,
    *,
    source: Source,
    config: Config,
    state: State | None,
    tracking: Tracking | None = None,
) -> Planner:
    """The planner of a run's messages: the values its messages read, fetched from
    ``source`` for the matched customers only; ``state`` may be None (no state yet),
    ``tracking`` the links of ``[tracking]`` (see :func:`tracking_for`)."""
    evaluation, inputs, outcome = policed.evaluation, policed.inputs, policed.outcome
    campaign = policed.checked.campaign
    backend = choose_backend(evaluation.engine, source)
    nodes = policed.delivery.nodes()
    context = RunContext(
        now=evaluation.now, state=state.view() if state is not None else EmptyState()
    )
    fetched = customer_values(source, backend, nodes, evaluation.decisions, context)
    texts = id_texts(inputs.customer_ids)  # made once by the policies' inputs
    rule_index = np.asarray(evaluation.decisions.rules, dtype=np.int64)
    return Planner(
        campaign=campaign,
        now=evaluation.now,
        delivery=policed.delivery,
        channels=config.channels,
        ids=texts,
        rule_index=rule_index,
        arm_index=policed.delivery.arm_index(rule_index, outcome.variant),
        outcome=outcome,
        usable=outcome.usable,  # the contact step's, for each channel of the chains
        addresses={name: contact.address for name, contact in inputs.contacts.items()},
        values=dict(zip(nodes, fetched, strict=True)),
        sms_max_parts=config.limits.sms_max_parts,
        locale=campaign_locale(campaign, config.locale),
        tracking=tracking,
    )


def run_columns(
    checked: CheckedCampaign,
    source: Source,
    config: Config,
    delivery: DeliveryPlan | None = None,
) -> list[ir.Column]:
    """The customer columns a run reads of its matched customers: the contact policies'
    (addresses, consents, the zone) and the columns the messages show (of ``delivery``,
    the campaign's delivery plan, lowered here if not given). Evaluated with ``carry=``
    these, the backend reads them in the same pass as the decisions."""
    delivery = delivery or delivery_plan(checked)
    shown = [n for n in delivery.nodes() if isinstance(n, ir.Column)]
    return list(dict.fromkeys([*contact_columns(checked.campaign, source, config), *shown]))


def _write_plan(ledger: Ledger, planner: Planner, size: int, progress: Progress) -> _Written:
    total = len(planner.ids)
    done = _Written()
    deferred = planner.outcome.status == Status.DEFERRED
    waiting = planner.deferred
    for start in range(0, total, size):
        rows = range(start, min(start + size, total))
        firings, skips = planner.plan(rows)
        written = ledger.record_plan(firings, skips)
        done.planned += sum(f.status == "planned" for f in firings if f.key in written)
        done.already.update(f.rule for f in firings if f.key not in written)
        if waiting:
            done.kept.update(p for f in firings if (p := (f.rule, f.customer_id)) in waiting)
            done.skipped.update(p for s in skips if (p := (s.rule, s.customer_id)) in waiting)
        too_long = [s for s in skips if s.reason == TOO_LONG]
        done.too_long.update(s.rule for s in too_long)
        late = {str(planner.ids[i]) for i in rows if deferred[i]}
        done.too_long_deferred.update(s.rule for s in too_long if s.customer_id in late)
        progress("planned", rows.stop, total)
        ledger.heartbeat()  # a long plan must not make the run look dead
    return done
