"""The text report at every size of count, against golden files: its columns stay apart and
right-aligned whether a cell holds 7 or 1,234,567. The reports are built by the pure funnel
from hand-made ledger rows and events, scaled (a split rule, a holdout, purchases with
amounts, priced SMS parts). Regenerate with ``WINLANG_UPDATE_GOLDEN=1`` and review by eye."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from winlang.report.funnel import _HEAD, Event, Firing, build_report, render_text

GOLDEN = Path(__file__).parent.parent / "golden" / "report"
UPDATE = bool(os.environ.get("WINLANG_UPDATE_GOLDEN"))
RUN = datetime(2026, 11, 1, 10)
NOW = datetime(2026, 12, 15)
SIZES = {"tens": 12, "hundreds": 840, "thousands": 9_600, "hundred-thousands": 240_000}


def scenario(customers: int) -> tuple[list[Firing], list[Event]]:
    """``customers`` split between a rule `vip` (variants A and B) and `rest`; one in ten is
    held out; some are delivered, open, click and buy, B more often than A."""
    firings, events = [], []
    for n in range(customers):
        who, draw = str(n), (n * 2_654_435_761) % 1_000  # a fixed, well-spread draw
        rule = "vip" if n % 3 else "rest"
        if n % 10 == 0:
            firings.append(Firing(rule=rule, customer_id=who, status="held_out", planned_at=RUN))
            if draw < 120:
                events.append(_purchase(who, RUN + timedelta(days=3), 40.0))
            continue
        arm = ("A" if (n // 3) % 2 else "B") if rule == "vip" else None
        template = {"A": "a", "B": "b", None: "hi"}[arm]
        sent = RUN + timedelta(hours=n % 48)
        firings.append(Firing(rule=rule, customer_id=who, status="sent", planned_at=RUN,
                              sent_at=sent, channel="sms", template=template, variant=arm,
                              parts=1 + n % 2))  # fmt: skip
        lift = 60 if arm == "B" else 0
        reach = {"delivered": 950, "open": 400, "click": 150 + lift}
        for kind, below in reach.items():
            if draw < below:
                events.append(Event(customer_id=who, type=kind, campaign="c", template=template,
                                    occurred_at=sent + timedelta(hours=1)))  # fmt: skip
        if draw < 130 + lift:
            events.append(_purchase(who, sent + timedelta(days=2), 25.5))
    return firings, events


def _purchase(who: str, at: datetime, amount: float) -> Event:
    return Event(customer_id=who, type="purchase", occurred_at=at, amount=amount)


def table(customers: int) -> str:
    firings, events = scenario(customers)
    found = build_report("c", ["vip", "rest"], firings, events, NOW, 30, 2, {"sms": 0.045})
    return render_text(found.as_json()) + "\n"


@pytest.mark.parametrize("size", SIZES)
def test_the_text_report_matches_its_golden_file(size):
    found = table(SIZES[size])
    golden = GOLDEN / f"{size}.txt"
    if UPDATE:
        golden.write_text(found, encoding="utf-8")
    assert found == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("size", SIZES)
def test_every_column_keeps_two_spaces_before_it(size):
    lines = (GOLDEN / f"{size}.txt").read_text(encoding="utf-8").splitlines()
    head = lines[1]
    ends = [head.index(name) + len(name) for name in _HEAD]
    table = lines[2 : lines.index("lift (reactivated minus control, in points)")]
    rows = [line for line in table if line.startswith(("rule", "  variant", "total"))]
    assert len(rows) == 5
    label = max(len(re.match(r"\s*\S+( \S+)*", row)[0]) for row in rows)  # "  variant A"
    for row in rows:
        assert len(row) == len(head), row  # right-aligned to the last heading
        for start, end in zip([label, *ends], ends, strict=False):
            cell = row[start:end]
            assert cell.startswith("  ") and not cell.endswith(" "), (row, cell)
