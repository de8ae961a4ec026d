"""Gather what the contact policies read, for the customers a run matched.

From the store: each channel's address and consent field and the customer's time zone. From
the store's events, the ingested ones and the state: suppressions
(:mod:`winlang.policies.suppressions`). From the state: the message history the frequency caps
count. From the campaign:
holdout, cap, quiet hours, time zone and each rule's send chains. A dry run and a real run
gather the same way; only a real run writes afterwards.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from .. import ast as A
from ..backends.base import Decisions, RunContext
from ..check import CheckedCampaign
from ..check.templates import channels_sent_on
from ..config import Config
from ..contracts.source import Source
from ..evaluate import Evaluation, release_unused_memory
from ..plan import ir
from ..plan.delivery import DeliveryPlan, delivery_plan
from ..policies.apply import PolicyInputs, QuietWindow
from ..policies.caps import CapLimit, History
from ..policies.contact import ChannelContact
from ..policies.hashing import id_texts
from ..policies.suppressions import suppression_pairs
from ..state import State


def customer_values(
    source: Source,
    backend,
    nodes: list[ir.Node],
    decisions: Decisions,
    context: RunContext,
) -> list[pa.Array]:
    """The nodes' values for the matched customers (in ``decisions.ids`` order), as Arrow
    arrays (the planner makes Python values of a slice at a time): those the evaluation
    carried as they are, the others read by the backend for those customers only."""
    found = {**decisions.values, **_constants(nodes, len(decisions.ids))}
    missing = [node for node in nodes if node not in found]
    if missing:
        _, arrays = backend.values(missing, source, context, ids=decisions.ids)
        found.update(zip(missing, arrays, strict=True))
    return [found[node] for node in nodes]


# A constant's value as the backends give it (numbers as float64): no store to ask.
_CONSTANT_TYPES = {"number": pa.float64(), "text": pa.string(), "bool": pa.bool_()}


def _constants(nodes: list[ir.Node], size: int) -> dict[ir.Node, pa.Array]:
    """The values of the constant nodes among ``nodes`` (``with discount = 15``)."""
    return {
        node: pa.repeat(pa.scalar(node.value, _CONSTANT_TYPES[node.kind]), size)
        for node in nodes
        if isinstance(node, ir.Literal) and node.kind in _CONSTANT_TYPES
    }


def contact_values(
    source: Source, columns: list[ir.Column], decisions: Decisions, now: datetime
) -> list[pa.Array]:
    """Plain customer columns for the matched customers (in ``decisions.ids`` order), as
    Arrow arrays: carried by the evaluation when it was asked to (one pass over the store:
    :func:`winlang.deliver.run.run_columns`), else read for just those customers.

    A second read goes through the NumPy backend on every store: plain columns need no
    pushdown, and the source hands back Arrow columns for just those customers, where a SQL
    statement's rows would become a Python object per value.
    """
    from ..backends.numpy import NumpyBackend

    if all(column in decisions.values for column in columns):
        return [decisions.values[column] for column in columns]
    context = RunContext(now=now)
    return NumpyBackend().values(columns, source, context, ids=decisions.ids)[1]


def contact_columns(campaign: A.CampaignFile, source: Source, config: Config) -> list[ir.Column]:
    """The customer columns the contact policies read: each channel's address and consent
    (in :func:`channels_sent_on` order), then the time zone column when the store has one."""
    schema = source.schema().customers
    wanted: list[ir.Column] = []
    for name in _channels(campaign, config):
        channel = config.channels[name]
        wanted += [_column(channel.address, schema), _column(channel.consent, schema)]
    zone_column = source.layout.timezone  # [store.columns] timezone
    if zone_column in schema:
        wanted.append(_column(zone_column, schema))
    return wanted


def _channels(campaign: A.CampaignFile, config: Config) -> list[str]:
    return [c for c in channels_sent_on(campaign) if c in config.channels]


def policy_inputs(
    checked: CheckedCampaign,
    evaluation: Evaluation,
    source: Source,
    config: Config,
    state: State | None,
    delivery: DeliveryPlan | None = None,
) -> PolicyInputs:
    """What the policies read for the customers ``evaluation`` matched; ``delivery`` is the
    campaign's delivery plan (by default the one lowered with the evaluation's plan)."""
    campaign = checked.campaign
    delivery = delivery or evaluation.delivery or delivery_plan(checked)
    decisions = evaluation.decisions
    schema = source.schema().customers
    channels = _channels(campaign, config)
    zone_column = source.layout.timezone  # [store.columns] timezone
    wanted = contact_columns(campaign, source, config)
    values = contact_values(source, wanted, decisions, evaluation.now)
    contacts = {
        name: ChannelContact(
            address=values[2 * i], consent=values[2 * i + 1], kind=config.channels[name].kind
        )
        for i, name in enumerate(channels)
    }
    cap = _setting(campaign, "cap")
    quiet = _setting(campaign, "quiet_hours")
    holdout = _setting(campaign, "holdout")
    global_cap = CapLimit.per_days(config.limits.global_cap)
    cap_limit = CapLimit(cap.count, cap.per.seconds) if cap else None
    windows = [c.seconds for c in (cap_limit, global_cap) if c is not None]
    # Read before the ids are made texts: the events' scan is the run's peak, and a million
    # ids as text are ~30 MiB more under it. It leaves Arrow's allocator holding ~100-150
    # MiB of freed pages (10M events at 1M customers), given back before anything else is
    # allocated: the policies' peak and the whole of the planning and sending sit above.
    suppressions = suppression_pairs(
        source, state, evaluation.now, decisions.ids, campaign=campaign.name or ""
    )
    release_unused_memory(source)
    return PolicyInputs(
        campaign=campaign.name or "",
        now=evaluation.now,
        rules=delivery.rules,
        customer_ids=id_texts(decisions.ids),  # as text once, for the policies and the planner
        rule_index=decisions.rules,
        contacts=contacts,
        zones=values[-1] if zone_column in schema else None,
        suppressions=suppressions,
        history=_history(state, campaign.name or "", evaluation.now, max(windows, default=0)),
        holdout_percent=float(holdout) if holdout is not None else 0.0,
        cap=cap_limit,
        global_cap=global_cap,
        quiet=QuietWindow(quiet.start, quiet.end) if quiet else None,
        timezone=_setting(campaign, "timezone") or config.timezone,
    )


def _column(name: str, schema) -> ir.Column:
    kind = schema[name].kind if name in schema else "text"
    return ir.Column(name, "timestamp" if kind == "date" else kind, kind)


def _setting(campaign: A.CampaignFile, key: str):
    found = campaign.setting(key)
    return found.value if found is not None else None


def _history(state: State | None, campaign: str, now: datetime, seconds: float) -> History:
    """Messages sent within the longest cap window (nothing to count without a cap), but
    the campaign's own at ``now``: the work of this run, not its history."""
    if state is None or seconds <= 0:
        return History.empty()
    sent = state.sent_history(campaign, now, seconds)
    if not len(sent):
        return History.empty()
    return History(sent.customer_ids, sent.campaigns, sent.sent_at)
