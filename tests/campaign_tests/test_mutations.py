"""Every shipped campaign's test file catches a changed threshold or a negated condition.

Each number and duration in the campaign's conditions (rules, segments, audience, lets) is
moved one up and one down, each condition and each part of an `and`/`or` is negated, and each
`not` is removed; the
campaign's own test file must then fail. A mutant that does not check (a zero duration) is
not a campaign anyone could ship, and is left out. Mutants run on the NumPy engine only:
both engines agree bit for bit (tests/conformance), and test_shipped runs both on the
originals.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from winlang import ast as A
from winlang.campaign_tests import run_test_file
from winlang.parse import parse_campaign

CAMPAIGNS = Path(__file__).resolve().parents[2] / "campaigns"
TESTED = sorted(CAMPAIGNS.glob("*.test.toml"))


def _nodes(node: object) -> Iterator[object]:
    yield node
    if isinstance(node, tuple):
        for item in node:
            yield from _nodes(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, A.Span):
        for field in dataclasses.fields(node):
            yield from _nodes(getattr(node, field.name))


def conditions(campaign: A.CampaignFile) -> list[A.Expr]:
    found = [r.condition for r in campaign.rules]
    found += [i.condition for i in campaign.items if isinstance(i, A.Segment)]
    found += [i.value for i in campaign.items if isinstance(i, A.Let)]
    audience = campaign.setting("audience")
    return found + ([audience.value] if audience is not None else [])


def mutants(text: str) -> Iterator[tuple[str, str]]:
    """(what changed, the mutated campaign text)."""
    campaign = parse_campaign(text, "mutant.win").campaign
    assert campaign is not None

    def edit(span: A.Span, new: str) -> str:
        return text[: span.start] + new + text[span.end :]

    seen = set()
    for condition in conditions(campaign):
        where = f"line {condition.span.line}"
        if isinstance(condition, A.Expr) and condition.span not in seen:
            seen.add(condition.span)
            original = text[condition.span.start : condition.span.end]
            yield f"{where}: not ({original})", edit(condition.span, f"not ({original})")
        for node in _nodes(condition):
            if isinstance(node, A.Number) and isinstance(node.value, int):
                for moved in (node.value + 1, node.value - 1):
                    if moved >= 0:
                        yield f"{where}: {node.value} → {moved}", edit(node.span, str(moved))
            elif isinstance(node, A.Duration):
                written = text[node.span.start : node.span.end]
                number = written.split()[0].rstrip("abcdefghijklmnopqrstuvwxyz")
                for moved in (int(float(number)) + 1, int(float(number)) - 1):
                    new = str(moved) + written[len(number) :]
                    yield f"{where}: {written} → {new}", edit(node.span, new)
            elif isinstance(node, A.Not):
                operand = text[node.operand.span.start : node.operand.span.end]
                yield f"{where}: `not` removed", edit(node.span, operand)
            elif isinstance(node, A.And | A.Or):
                for part in (node.left, node.right):
                    if not isinstance(part, A.And | A.Or | A.Not):
                        written = text[part.span.start : part.span.end]
                        yield f"{where}: not ({written})", edit(part.span, f"not ({written})")


def mutation_outcome(text: str, test_file: Path, folder: Path) -> tuple[list[str], int]:
    """Run ``test_file`` (on numpy) against each mutant of the campaign ``text``, written
    into ``folder``: the changes it missed, and how many mutants it caught."""
    survived, killed = [], 0
    for number, (change, mutated) in enumerate(mutants(text)):
        path = folder / f"mutant{number}.win"
        path.write_text(mutated, encoding="utf-8")
        result = run_test_file(test_file, engines=("numpy",), campaign=path)
        if result.campaign_errors:
            continue  # not a campaign that checks: nothing to catch
        if result.passed:
            survived.append(change)
        else:
            killed += 1
    return survived, killed


def test_every_campaign_ships_with_a_test_file() -> None:
    campaigns = {p.name.removesuffix(".win") for p in CAMPAIGNS.glob("*.win")}
    assert campaigns == {p.name.removesuffix(".test.toml") for p in TESTED}


@pytest.mark.parametrize("test_file", TESTED, ids=lambda p: p.name)
def test_a_changed_rule_fails_the_campaigns_tests(test_file: Path) -> None:
    campaign = CAMPAIGNS / test_file.name.replace(".test.toml", ".win")
    text = campaign.read_text(encoding="utf-8")
    # Inside the project folder, so winlang.toml is found and body files may be read.
    folder = Path(tempfile.mkdtemp(prefix=".mutants-", dir=CAMPAIGNS))
    try:
        shutil.copytree(CAMPAIGNS / "templates", folder / "templates")
        survived, killed = mutation_outcome(text, test_file, folder)
    finally:
        shutil.rmtree(folder)
    assert killed > 0
    assert survived == [], f"{test_file.name} passes with these changes to {campaign.name}"


def test_mutants_of_the_ladder_cover_thresholds_and_negations() -> None:
    changes = [c for c, _ in mutants((CAMPAIGNS / "ladder.win").read_text(encoding="utf-8"))]
    assert "line 13: 59 → 60" in changes
    assert "line 23: `not` removed" in changes
    assert "line 27: 14 days → 15 days" in changes
    assert "line 7: 20 → 19" in changes
    assert "line 22: not (lapsed_30)" in changes
