"""The run summary printed by ``winlang run``: audience and, per rule in file order, matches.

The JSON form is a contract (architecture.md): ``campaign``, ``now``, ``dry_run``,
``audience`` and ``rules`` (each with ``name`` and ``matched``). An unnamed rule is named
``rule_<n>``, its position among the rules, counting from 1.
"""

from __future__ import annotations

from ..evaluate import Evaluation


def summary(evaluation: Evaluation, dry_run: bool) -> dict[str, object]:
    plan = evaluation.plan
    matched = evaluation.decisions.matched(len(plan.rules))
    return {
        "campaign": plan.campaign,
        "now": evaluation.now.isoformat().replace("+00:00", "Z"),
        "dry_run": dry_run,
        "engine": evaluation.engine,
        "audience": evaluation.decisions.audience,
        "rules": [
            {"name": rule.name, "matched": count}
            for rule, count in zip(plan.rules, matched, strict=True)
        ],
    }


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
    rest = audience - sum(int(r["matched"]) for r in rules)
    lines.append(f"{'no rule':<{width + 5}} {rest:>8}")
    return "\n".join(lines)
