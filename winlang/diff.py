"""What an edit to a campaign changes: both versions evaluated on the same store, ledger and
clock, compared customer by customer.

Each version goes through the path of ``winlang run --dry-run``: the engine decides each
customer's rule (:func:`winlang.evaluate.evaluate_campaign`) and the contact policies decide
the message (:func:`winlang.deliver.run.police`); nothing is written or sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from .evaluate import evaluate_campaign

if TYPE_CHECKING:
    from .check import CheckedCampaign
    from .evaluate import Evaluation
    from .policies.apply import PolicyOutcome
    from .project import Project


@dataclass(frozen=True)
class Version:
    """One version's outcome: each matched customer's rule, and the message a run would send
    (now, or after quiet hours) as (channel after failover, template)."""

    rule_of: dict[str, str]
    message_of: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Move:
    """``customers`` go from rule ``source`` to rule ``target``; None is outside the campaign."""

    source: str | None
    target: str | None
    customers: int


@dataclass(frozen=True)
class ChannelChange:
    """Messages on one channel: how many before and after, and how they differ."""

    channel: str
    before: int
    after: int
    added: int  # customers who get a message on this channel only with the new version
    removed: int  # customers who got one only with the old version
    changed: int  # customers who get one either way, but of another template


@dataclass(frozen=True)
class CampaignDiff:
    moved: tuple[Move, ...]
    messages: tuple[ChannelChange, ...]
    unchanged: int  # customers on the same rule in both versions

    def as_json(self) -> dict[str, object]:
        return {
            "moved": [
                {"from": m.source, "to": m.target, "customers": m.customers} for m in self.moved
            ],
            "messages": {
                c.channel: {
                    "before": c.before,
                    "after": c.after,
                    "added": c.added,
                    "removed": c.removed,
                    "changed": c.changed,
                }
                for c in self.messages
            },
            "unchanged": self.unchanged,
        }


def version_of(evaluation: Evaluation, outcome: PolicyOutcome) -> Version:
    """A dry run's decisions and policy outcome (aligned with the decisions) as a Version."""
    from .policies.reasons import Status

    ids = [str(i) for i in evaluation.decisions.ids.tolist()]
    names = [rule.name for rule in evaluation.plan.rules]
    rule_of = {i: names[r] for i, r in zip(ids, evaluation.decisions.rules.tolist(), strict=True)}
    planned = (outcome.status == Status.SEND.value) | (outcome.status == Status.DEFERRED.value)
    sent = planned & (outcome.channel != None)  # noqa: E711
    message_of = {
        ids[k]: (str(outcome.channel[k]), str(outcome.template[k])) for k in np.flatnonzero(sent)
    }
    return Version(rule_of, message_of)


def dry_run(project: Project, checked: CheckedCampaign, now: datetime, engine: str) -> Version:
    """Evaluate one version as ``winlang run --dry-run`` does, writing nothing."""
    from .deliver.run import police

    source = project.store()
    state = project.saved_state()
    evaluation = evaluate_campaign(
        checked, source, now, engine, state=state.view() if state is not None else None
    )
    policed = police(checked, evaluation, source, project.config, state)
    return version_of(evaluation, policed.outcome)


def compare(old: Version, new: Version) -> CampaignDiff:
    """Customers moving between rules (or in and out of the campaign) and messages per channel."""
    moves: Counter[tuple[str | None, str | None]] = Counter()
    unchanged = 0
    for customer in old.rule_of.keys() | new.rule_of.keys():
        before, after = old.rule_of.get(customer), new.rule_of.get(customer)
        if before == after:
            unchanged += 1
        else:
            moves[before, after] += 1
    moved = tuple(
        Move(source, target, count)
        for (source, target), count in sorted(
            moves.items(), key=lambda kv: (-kv[1], kv[0][0] or "", kv[0][1] or "")
        )
    )
    return CampaignDiff(moved, _messages(old, new), unchanged)


def _messages(old: Version, new: Version) -> tuple[ChannelChange, ...]:
    channels = {c for c, _ in (*old.message_of.values(), *new.message_of.values())}
    changes = []
    for channel in sorted(channels):
        before = {k: t for k, (c, t) in old.message_of.items() if c == channel}
        after = {k: t for k, (c, t) in new.message_of.items() if c == channel}
        both = before.keys() & after.keys()
        changes.append(
            ChannelChange(
                channel,
                len(before),
                len(after),
                added=len(after.keys() - before.keys()),
                removed=len(before.keys() - after.keys()),
                changed=sum(before[k] != after[k] for k in both),
            )
        )
    return tuple(changes)


def render_text(diff: CampaignDiff) -> str:
    """``coupon → survey: 1,204`` lines, then the messages per channel."""
    lines = []
    groups = (
        ("customers moving between rules", lambda m: m.source and m.target),
        ("customers entering the campaign", lambda m: m.source is None),
        ("customers leaving the campaign", lambda m: m.target is None),
    )
    for title, belongs in groups:
        moves = [m for m in diff.moved if belongs(m)]
        if moves:
            lines.append(f"{title}:")
            lines += [
                f"  {m.source or '(none)'} → {m.target or '(none)'}: {m.customers:,}" for m in moves
            ]
    if not diff.moved:
        lines.append("no customer changes rule")
    lines.append(f"customers on the same rule: {diff.unchanged:,}")
    if diff.messages:
        lines.append("messages per channel (sent now or after quiet hours):")
    for c in diff.messages:
        detail = f"+{c.added:,} added, -{c.removed:,} removed"
        if c.changed:
            detail += f", {c.changed:,} with another template"
        lines.append(f"  {c.channel}: {c.before:,} → {c.after:,} ({detail})")
    return "\n".join(lines)
