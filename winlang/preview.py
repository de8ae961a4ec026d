"""``winlang preview``: the messages chosen customers would get now, exactly as a run sends them.

A preview is a dry run looked at customer by customer: the campaign is evaluated on the whole
store, the contact policies decide over every match (caps and the holdout need them all), and
the run's own planner renders each selected customer's firing (:mod:`winlang.deliver.prepare`),
so the text shown is the text a run at the same ``now`` writes. A customer no rule picks is
explained by :func:`winlang.explain.explain`. Nothing is written to the state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .check import CheckedCampaign
from .check.sms import measure
from .config import Config
from .contracts.message import Message
from .deliver.prepare import Firing, Skip
from .evaluate import Evaluation, choose_backend
from .links import message_id, tracking_link
from .policies.hashing import id_texts, sample


@dataclass(frozen=True)
class Shown:
    """One message as a channel would get it, with what a reviewer wants to know of it."""

    message: Message
    link: str | None  # the tracking link in it, if the template has `{link}`
    encoding: str | None = None  # SMS: GSM-7 or UCS-2
    characters: int | None = None  # SMS: as counted for the parts
    text_part: str | None = None  # HTML email: the plain-text alternative

    def as_json(self) -> dict[str, object]:
        data = self.message.as_json()
        extra = {
            "link": self.link,
            "encoding": self.encoding,
            "characters": self.characters,
            "text_part": self.text_part,
        }
        data.update({k: v for k, v in extra.items() if v is not None})
        return data


@dataclass(frozen=True)
class CustomerPreview:
    """What one customer gets now: a message (and the failovers planned behind it), or none
    and why (``reason``: a policy reason such as ``quiet_hours``, or ``not_in_audience``,
    ``no_rule_matched``, ``already_fired``, ``no_send`` for a rule without a message)."""

    customer: str
    rule: str | None
    message: Shown | None = None
    failover: tuple[Shown, ...] = ()
    reason: str | None = None
    detail: str | None = None  # explain's words for a customer no rule picks
    until: datetime | None = None  # quiet hours: when the message goes out
    variant: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "customer": self.customer,
            "rule": self.rule,
            "variant": self.variant,
            "message": self.message.as_json() if self.message else None,
            "failover": [f.as_json() for f in self.failover],
            "reason": self.reason,
            "detail": self.detail,
            "until": _iso(self.until) if self.until else None,
        }


@dataclass(frozen=True)
class Preview:
    campaign: str
    now: datetime
    customers: list[CustomerPreview] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "campaign": self.campaign,
            "now": _iso(self.now),
            "customers": [c.as_json() for c in self.customers],
        }


def chosen_customers(
    evaluation: Evaluation, campaign: str, customers: Sequence[str], count: int
) -> list[str]:
    """The ``customers`` asked for, then ``count`` more drawn stably among the matched ones
    (the holdout's kind of hash, keyed ``sample``), each once, in that order."""
    drawn = sample(campaign, evaluation.decisions.ids, count).tolist() if count else []
    return list(dict.fromkeys([*customers, *drawn]))


def preview_customers(
    checked: CheckedCampaign,
    text: str,
    evaluation: Evaluation,
    source,
    config: Config,
    state,
    customers: Sequence[str],
) -> Preview:
    """The preview of ``customers`` (ids as text) for an evaluated campaign; ``state`` is
    the saved state or None. Raises :class:`winlang.explain.CustomerNotFound`."""
    from .deliver.run import plan_of

    campaign = checked.campaign
    _, planner = plan_of(checked, evaluation, source, config, state)
    row = {customer: i for i, customer in enumerate(id_texts(evaluation.decisions.ids).tolist())}
    link = campaign.setting("link")
    shown = []
    for customer in customers:
        if customer in row:
            firings, skips = planner.plan(range(row[customer], row[customer] + 1))
            # a deferred firing comes with its quiet-hours skip: the reason is what to show
            planned = [f for f in firings if f.status != "deferred"]
            found = planned[0] if planned else skips[0]
            shown.append(_of_plan(found, str(link.value) if link else None))
        else:
            shown.append(_unmatched(checked, text, source, customer, evaluation, state))
    return Preview(campaign.name or "", evaluation.now, shown)


def _of_plan(found: Firing | Skip, link: str | None) -> CustomerPreview:
    if isinstance(found, Skip):
        return CustomerPreview(
            found.customer_id, found.rule, reason=found.reason, until=found.until
        )
    if found.status == "held_out":
        return CustomerPreview(
            found.customer_id, found.rule, reason="holdout", variant=found.variant
        )
    if not found.messages:
        return CustomerPreview(
            found.customer_id, found.rule, reason="no_send", variant=found.variant
        )
    messages = [_shown(message, link, found.key) for _, message in found.messages]
    return CustomerPreview(
        found.customer_id,
        found.rule,
        message=messages[0],
        failover=tuple(messages[1:]),
        variant=found.variant,
    )


def _shown(message: Message, link: str | None, key: str) -> Shown:
    """The message as shown; its link is where its ``{link}`` takes the customer: the
    tracked link (with ``[tracking]``, the target of its short link), carrying the firing's
    message id (``key`` is the firing's idempotency key)."""
    from .channels.email_message import html_to_text

    tracked = message.metadata.get("link") if message.metadata else None
    if tracked is None and link:
        tracked = tracking_link(link, message.campaign, message.rule, message_id(key))
        if not _holds(message, tracked):
            tracked = None
    text_part = html_to_text(message.body or "") if message.html else None
    if message.text is not None and message.parts is not None:
        size = measure(message.text)
        return Shown(message, tracked, size.encoding, size.characters)
    return Shown(message, tracked, text_part=text_part)


def _holds(message: Message, link: str) -> bool:
    """Whether the message carries ``link`` (HTML-escaped in an HTML body)."""
    from markupsafe import escape

    texts = [t for t in (message.text, message.subject, message.body) if t is not None]
    wanted = str(escape(link)) if message.html else link
    return any(link in t or wanted in t for t in texts)


def _unmatched(checked, text, source, customer, evaluation, state) -> CustomerPreview:
    """Why no rule picks ``customer``, in explain's words; raises CustomerNotFound."""
    from .contracts.state import EmptyState
    from .explain import explain

    ledger = state.view() if state is not None else EmptyState()
    found = explain(
        checked,
        text,
        source,
        _customer_id(customer),
        evaluation.now,
        ledger,
        choose_backend("numpy", source),
        state,
    )
    if not found.in_audience:
        reason = "not_in_audience"
    elif any(r.value is True and r.already_fired for r in found.rules):
        reason = "already_fired"
    else:
        reason = "no_rule_matched"
    return CustomerPreview(customer, None, reason=reason, detail=found.reason)


def _customer_id(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def _iso(moment: datetime) -> str:
    """ISO 8601 in UTC, ``Z`` at the end; a naive time (the ledger's) is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---- text ------------------------------------------------------------------------------------


def render_text(preview: Preview) -> str:
    """The preview for people: one block per customer."""
    lines = [f"campaign {preview.campaign} at {_iso(preview.now)}"]
    for found in preview.customers:
        lines.append("")
        lines += _customer_lines(found)
    return "\n".join(lines)


def _customer_lines(found: CustomerPreview) -> list[str]:
    head = f"customer {found.customer}"
    rule = f"rule {found.rule}" + (f" (variant {found.variant})" if found.variant else "")
    if found.message is None:
        why = found.reason or "nothing"
        if found.until is not None:
            why += f": deferred until {_iso(found.until)}"
        if found.detail:
            why += f" ({found.detail})"
        return [f"{head}: no message" + (f" from {rule}" if found.rule else "") + f" — {why}"]
    lines = [f"{head}: {rule}"]
    lines += _message_lines(found.message, "")
    for step in found.failover:
        lines.append(f"  if {found.message.message.channel} fails for good:")
        lines += _message_lines(step, "  ")
    return lines


def _message_lines(shown: Shown, indent: str) -> list[str]:
    message = shown.message
    about = f"{indent}  {message.channel} to {message.to} · template {message.template}"
    if shown.encoding:
        parts = message.parts or 1
        about += (
            f" · {shown.encoding}, {shown.characters} characters, "
            f"{parts} part{'s' if parts != 1 else ''}"
        )
    lines = [about]
    if message.subject is not None:
        lines.append(f"{indent}  subject: {message.subject}")
    if shown.text_part is not None:
        lines += _block(f"{indent}  text:", shown.text_part)
        lines += _block(f"{indent}  html:", message.body or "")
    elif message.body is not None:
        lines += _block(f"{indent}  text:", message.body)
    else:
        lines += _block(f"{indent}  text:", message.text or "")
    if shown.link:
        lines.append(f"{indent}  link: {shown.link}")
    return lines


def _block(label: str, text: str) -> list[str]:
    """A labelled text, its lines indented under the label."""
    pad = " " * (len(label) - len(label.lstrip()) + 2)
    body = text.rstrip("\n").splitlines() or [""]
    return [label] + [f"{pad}{line}" for line in body]
