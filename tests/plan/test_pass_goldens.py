"""A golden fixture per optimizer pass: what it rewrites, shown on a small campaign.

``tests/golden/passes/<pass>.win`` is a campaign chosen to show the pass at work;
``<pass>.expected`` holds its lowered plan before and after that pass alone (printed by
:mod:`tests.plan.ir_text`). Each pass must change its fixture: a pass that did nothing would
fail here. Regenerate with ``WINLANG_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.backends.sql_support import SCHEMA, compile_plan
from winlang.plan.passes import PASSES

from .ir_text import plan_text

GOLDEN = Path(__file__).parents[1] / "golden" / "passes"
UPDATE = os.environ.get("WINLANG_UPDATE_GOLDEN") == "1"
ALL = [p.__name__ for p in PASSES]


def before_and_after(name: str) -> tuple[str, str]:
    """The fixture's plan text with no pass applied, and after pass ``name`` alone."""
    text = (GOLDEN / f"{name}.win").read_text(encoding="utf-8")
    lowered = compile_plan(text, SCHEMA, ALL)
    (optimizer_pass,) = (p for p in PASSES if p.__name__ == name)
    return plan_text(lowered), plan_text(optimizer_pass(lowered))


def golden_text(name: str) -> str:
    before, after = before_and_after(name)
    return f"## before {name}\n{before}\n## after {name}\n{after}"


@pytest.mark.parametrize("name", ALL)
def test_each_pass_changes_its_fixture(name):
    before, after = before_and_after(name)
    assert before != after, f"{name} left its fixture {name}.win unchanged"


@pytest.mark.parametrize("name", ALL)
def test_each_pass_rewrites_its_fixture_as_the_golden_shows(name):
    path = GOLDEN / f"{name}.expected"
    got = golden_text(name)
    if UPDATE or not path.exists():
        path.write_text(got, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote missing golden file {path}; review it and run again")
    assert got == path.read_text(encoding="utf-8"), (
        f"{path} differs; review and regenerate with WINLANG_UPDATE_GOLDEN=1"
    )


def test_every_fixture_belongs_to_a_pass():
    assert sorted(p.stem for p in GOLDEN.glob("*.win")) == sorted(ALL)
