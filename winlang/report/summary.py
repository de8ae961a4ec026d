"""The run summary printed by ``winlang run``: audience and, per rule in file order, matches.

The JSON form is a contract (architecture.md): ``campaign``, ``now``, ``dry_run``,
``audience`` and ``rules`` (each with ``name`` and ``matched``). An unnamed rule is named
``rule_<n>``, its position among the rules, counting from 1.
"""

from __future__ import annotations

from ..evaluate import Evaluation


def summary(
    evaluation: Evaluation, dry_run: bool, outcome=None, delivery=None, preview=None
) -> dict[str, object]:
    """The run summary; with the policies' ``outcome``, each rule also says how its matches
    split: ``sent`` (would be sent, in a dry run), ``held_out``, ``skipped`` by reason,
    ``failed`` and messages per channel. With a dry run's ``preview`` (the plan rendered)
    or after a real run (``delivery``) each rule also gives ``sms_parts`` and counts SMS
    messages too long to send as ``too_long``; after a real run ``sent``, ``failed`` and the
    channels count what the channels accepted or refused for good, and ``delivery`` adds the
    run's totals, retries, failovers, resumed and deferred messages included."""
    plan = evaluation.plan
    matched = evaluation.decisions.matched(len(plan.rules))
    rules = [
        {"name": rule.name, "matched": count}
        for rule, count in zip(plan.rules, matched, strict=True)
    ]
    if outcome is not None:
        for index, rule in enumerate(rules):
            rule.update(_split(outcome, evaluation.decisions.rules == index))
    if delivery is not None:
        for rule in rules:
            rule.update(_delivered(delivery, rule))
    if preview is not None:
        for rule in rules:
            rule.update(_previewed(preview, rule))
    report = {
        "campaign": plan.campaign,
        "now": evaluation.now.isoformat().replace("+00:00", "Z"),
        "dry_run": dry_run,
        "engine": evaluation.engine,
        "audience": evaluation.decisions.audience,
        "rules": rules,
    }
    if outcome is not None:
        report["invalid_zones"] = invalid_zones(outcome)
    if delivery is not None:
        report["run"] = delivery.run_id
        report["delivery"] = {
            "planned": delivery.planned,
            **delivery.tally.totals(),
            **_deferred(delivery),
        }
        report["failures"] = failures(delivery.tally.failures)
        report["throughput"] = delivery.tally.throughput()
    return report


ZONE_EXAMPLES = 5  # unknown zone names shown in the summary


def invalid_zones(outcome) -> dict[str, object]:
    """How many matched customers had a zone that is not an IANA name (their quiet hours
    used the campaign's zone, else ``[defaults] timezone``, else UTC), with a few of them."""
    return {
        "count": outcome.invalid_zone_customers,
        "examples": list(outcome.invalid_zones[:ZONE_EXAMPLES]),
    }


def failures(counts) -> list[dict[str, object]]:
    """The messages failed for good by rule, channel and reason, most first.

    >>> failures({("coupon", "sms", "HTTP 400: bad number"): 3})
    [{'rule': 'coupon', 'channel': 'sms', 'reason': 'HTTP 400: bad number', 'count': 3}]
    """
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        {"rule": rule, "channel": channel, "reason": reason, "count": count}
        for (rule, channel, reason), count in ordered
    ]


def _deferred(delivery) -> dict[str, object]:
    """Deferred firings dropped by this run, those waiting in the ledger, the next due."""
    due = delivery.next_due
    return {
        "deferred_dropped": delivery.deferred_dropped,
        "deferred": delivery.waiting,
        "next_due": due.isoformat() + "Z" if due is not None else None,
    }


def _delivered(delivery, rule: dict) -> dict[str, object]:
    """A rule's counts after sending: what the channels did, and firings another run
    planned first (``already_planned``: that run sends them)."""
    name = rule["name"]
    skipped = _with_too_long(rule, delivery.too_long[name], delivery.too_long_deferred[name])
    if delivery.already_planned[name]:
        skipped["already_planned"] = delivery.already_planned[name]
    return {
        "sent": delivery.tally.sent[name],
        "failed": delivery.tally.failed[name],
        "skipped": dict(sorted(skipped.items())),
        "channels": dict(sorted(delivery.tally.channels[name].items())),
        "sms_parts": delivery.tally.parts[name],
    }


def _previewed(preview, rule: dict) -> dict[str, object]:
    """A rule's counts in a dry run, from the plan as a real run would write it."""
    name = rule["name"]
    skipped = _with_too_long(rule, preview.too_long[name], preview.too_long_deferred[name])
    return {
        "sent": preview.sent[name],
        "skipped": dict(sorted(skipped.items())),
        "channels": dict(sorted(preview.channels[name].items())),
        "sms_parts": preview.parts[name],
    }


def _with_too_long(rule: dict, too_long: int, deferred: int) -> dict[str, int]:
    """The policies' skips, and the customers they let through (or deferred) whose every
    SMS was too long to send."""
    skipped = dict(rule["skipped"])
    if too_long:
        skipped["too_long"] = too_long
        quiet = skipped.pop("quiet_hours", 0) - deferred
        if quiet:
            skipped["quiet_hours"] = quiet
    return skipped


def _split(outcome, mask) -> dict[str, object]:
    """The policy counts of the customers selected by ``mask``."""
    counts = outcome.summary(mask)
    return {
        "sent": counts["sent"],
        "held_out": counts["held_out"],
        "skipped": counts["skipped"],
        "failed": 0,
        "channels": counts["channels"],
    }


def _split_text(rule: dict) -> str:
    """``sms 120 · held out 14 · skipped: no_consent 9, cap 2``; a rule that matched no one
    says so, and one whose customers were all held out or skipped says no message went out.

    >>> _split_text({"matched": 0, "channels": {}, "failed": 0, "held_out": 0, "skipped": {}})
    'no customer matched: no message'
    >>> _split_text({"matched": 3, "channels": {}, "failed": 0, "held_out": 1,
    ...              "skipped": {"no_consent": 2}})
    'no message · held out 1 · skipped: no_consent 2'
    """
    if not rule["matched"]:
        return "no customer matched: no message"
    parts = [f"{channel} {count}" for channel, count in rule["channels"].items()]
    if rule.get("sms_parts"):
        parts.append(f"sms parts {rule['sms_parts']}")
    if rule["failed"]:
        parts.append(f"failed {rule['failed']}")
    if rule["held_out"]:
        parts.append(f"held out {rule['held_out']}")
    if rule["skipped"]:
        parts.append("skipped: " + ", ".join(f"{k} {v}" for k, v in rule["skipped"].items()))
    if not parts:
        return "no message (list and unsubscribe actions only)"
    if not rule["channels"]:
        parts.insert(0, "no message")
    return " · ".join(parts)


def render_text(report: dict[str, object]) -> str:
    """A readable table of the summary.

    >>> print(render_text({"campaign": "c", "now": "2026-11-22T10:00:00Z", "dry_run": True,
    ...     "engine": "numpy", "audience": 10, "rules": [{"name": "a", "matched": 3}]}))
    campaign c — dry run at 2026-11-22T10:00:00Z (numpy engine)
    audience           10
    rule a              3    30.0% of the audience
    no rule             7
    """
    rules = report["rules"]
    audience = int(report["audience"])
    mode = "dry run" if report["dry_run"] else "run"
    width = max([len(str(r["name"])) for r in rules] + [7])
    lines = [
        f"campaign {report['campaign']} — {mode} at {report['now']} ({report['engine']} engine)",
        f"{'audience':<{width + 5}} {audience:>{8}}",
    ]
    for rule in rules:
        share = f"{100 * rule['matched'] / audience:5.1f}% of the audience" if audience else ""
        lines.append(f"rule {rule['name']:<{width}} {rule['matched']:>8}   {share}".rstrip())
        if "sent" in rule:
            lines.append(f"{'':<{width + 5}}   {_split_text(rule)}")
    rest = audience - sum(int(r["matched"]) for r in rules)
    lines.append(f"{'no rule':<{width + 5}} {rest:>8}")
    if "delivery" in report:
        lines.append(_delivery_text(report["delivery"]))
    if report.get("throughput", {}).get("messages_per_second"):
        lines.append(_throughput_text(report["throughput"]))
    zones = report.get("invalid_zones")
    if zones and zones["count"]:
        count = zones["count"]
        lines.append(
            f"unknown zones: {count} customer{'s' if count != 1 else ''} "
            f"({', '.join(zones['examples'])}), quiet hours in the fallback zone"
        )
    lines += _failures_text(report.get("failures", []))
    return "\n".join(lines)


SHOWN_FAILURES = 10


def _failures_text(failures: list[dict]) -> list[str]:
    """``failed for good: rule coupon · sms · HTTP 400: bad number · 3``, the most
    frequent first; the rest counted (``--format json`` lists them all)."""
    lines = [
        f"failed for good: rule {f['rule']} · {f['channel']} · {f['reason'][:160]} · {f['count']}"
        for f in failures[:SHOWN_FAILURES]
    ]
    if len(failures) > SHOWN_FAILURES:
        rest = sum(int(f["count"]) for f in failures[SHOWN_FAILURES:])
        lines.append(
            f"failed for good: and {rest} more messages for "
            f"{len(failures) - SHOWN_FAILURES} other reasons (--format json lists them)"
        )
    return lines


def _throughput_text(throughput: dict) -> str:
    """``throughput: 6,500 messages/s (13,000 sent in 2.0 s)``.

    >>> _throughput_text({"messages": 13000, "seconds": 2.0, "messages_per_second": 6500})
    'throughput: 6,500 messages/s (13,000 sent in 2.0 s)'
    """
    return (
        f"throughput: {throughput['messages_per_second']:,} messages/s "
        f"({throughput['messages']:,} sent in {throughput['seconds']:.1f} s)"
    )


def _delivery_text(totals: dict) -> str:
    """``delivered: planned 120 · sent 118 · failed 2 · retries 3``, zeros left out."""
    shown = [
        f"{key.replace('_', ' ')} {value}"
        for key, value in totals.items()
        if value or key == "sent"
    ]
    return "delivered: " + " · ".join(shown)
