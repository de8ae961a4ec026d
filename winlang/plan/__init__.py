"""Plan: compile a checked campaign into the IR and optimize it.

>>> from winlang.plan.passes import PASSES
>>> [p.__name__ for p in PASSES][:2]
['fold_constants', 'share_subexpressions']
"""

from __future__ import annotations

from collections.abc import Iterable

from ..check import CheckedCampaign
from . import ir
from .delivery import DeliveryPlan, delivery_plan
from .lower import Lowering, lower_campaign
from .passes import optimize


def plan_campaign(checked: CheckedCampaign, skip: Iterable[str] = ()) -> ir.Plan:
    """The optimized plan of a checked campaign; ``skip`` names passes to leave out."""
    plan, _lowered = lower_campaign(checked)
    return optimize(plan, skip)


def plan_and_delivery(
    checked: CheckedCampaign, skip: Iterable[str] = ()
) -> tuple[ir.Plan, DeliveryPlan]:
    """The optimized plan and the delivery plan of a checked campaign, lowered once: the
    values messages read share the plan's nodes."""
    lowering = Lowering(checked)
    plan = lowering.plan()
    return optimize(plan, skip), delivery_plan(checked, lowering)


__all__ = ["DeliveryPlan", "ir", "lower_campaign", "optimize", "plan_and_delivery", "plan_campaign"]
