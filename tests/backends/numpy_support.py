"""Small hand-made stores and helpers for the NumPy backend tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
import pyarrow as pa

from tests.backends.tables import (  # noqa: F401 - re-exported for the test modules
    DAY,
    EVENT_TYPES,
    HOUR,
    NO_EVENTS,
    NOW,
    ago,
    customers,
    events,
)
from winlang.backends.base import RunContext
from winlang.backends.numpy import NumpyBackend
from winlang.contracts.state import StateView
from winlang.plan import ir, plan_campaign
from winlang.project import checked_text
from winlang.schema import Schema
from winlang.sources.memory import MemorySource


class FakeState(StateView):
    """State facts given as {(state, key): ids}."""

    def __init__(self, facts: Mapping[tuple[str, str], Sequence[int]]) -> None:
        self.facts = facts
        self.asked: list[tuple[ir.StateFlag, str]] = []

    def customers(self, flag: ir.StateFlag, campaign: str, now: datetime) -> np.ndarray:
        self.asked.append((flag, campaign))
        return np.asarray(self.facts.get((flag.state, flag.key), np.empty(0, np.int64)))


def values(
    nodes: ir.Node | Sequence[ir.Node],
    table: pa.Table,
    found: pa.Table = NO_EVENTS,
    now: datetime = NOW,
    batch_size: int = 1000,
    state: StateView | None = None,
    plan: ir.Plan | None = None,
) -> list | list[list]:
    """Each node's value for every customer, as Python values."""
    single = isinstance(nodes, ir.Node)
    node_list = [nodes] if single else list(nodes)
    context = RunContext(now=now, batch_size=batch_size, **({"state": state} if state else {}))
    _ids, arrays = NumpyBackend().values(node_list, MemorySource(table, found), context, plan)
    results = [a.to_pylist() for a in arrays]
    return results[0] if single else results


def compile_plan(text: str, schema: Schema, skip: Iterable[str] = ()) -> ir.Plan:
    """The plan of a campaign's text, checked against ``schema``."""
    return plan_campaign(checked_text(text, schema), skip)


LADDER_TEXT = """campaign "sms-reengagement-ladder"
  audience country in ("KR", "RO", "US") and lifetime_value >= 20

segment lapsed_30 = days_since(last_purchase_at) between 30 and 59
segment lapsed_60 = days_since(last_purchase_at) between 60 and 89
segment lapsed_90 = days_since(last_purchase_at) >= 90

template survey  sms "Hi {first_name}, 2 quick questions and a thank-you gift"
template contest sms "{first_name}, win a year of free delivery"
template coupon  sms "{first_name}, we miss you! {discount}% off your next order"
template coupon_push push "{discount}% off your next order, {first_name}"

rule survey:  when lapsed_30 then send sms survey
rule contest: when lapsed_60 and not opened survey then send sms contest
rule coupon:  when lapsed_90 and not opened survey and not opened contest
              then send sms coupon with discount = 15
              else send push coupon_push with discount = 15
rule won_back: when clicked coupon within 14 days then add to list "active"
rule give_up:  when received coupon and not clicked coupon and days_since(last_purchase_at) >= 120
               then unsubscribe from sms
"""
