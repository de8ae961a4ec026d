"""Plan: compile a checked campaign into the IR and optimize it.

>>> from winlang.plan.passes import PASSES
>>> [p.__name__ for p in PASSES][:2]
['fold_constants', 'share_subexpressions']
"""

from __future__ import annotations

from collections.abc import Iterable

from ..check import CheckedCampaign
from . import ir
from .lower import lower_campaign
from .passes import optimize


def plan_campaign(checked: CheckedCampaign, skip: Iterable[str] = ()) -> ir.Plan:
    """The optimized plan of a checked campaign; ``skip`` names passes to leave out."""
    plan, _lowered = lower_campaign(checked)
    return optimize(plan, skip)


__all__ = ["ir", "lower_campaign", "optimize", "plan_campaign"]
