"""Run conformance cases (expression, customer, events, now → true/false/null) on a backend.

Every case's customer becomes one row of a shared customers table (id = position + 1) and its
events rows of a shared events table, so each backend loads the data once and evaluates all
expressions of a clock in one ``values`` call.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from winlang.backends.base import RunContext
from winlang.plan import ir, lower_campaign, optimize
from winlang.project import checked_text
from winlang.schema import Schema, schema_from_json

HERE = Path(__file__).parent
SHARED = HERE.parents[2] / "shared" / "conformance"

ARROW_TYPES = {
    "number": pa.float64(),
    "text": pa.string(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


@dataclass(frozen=True)
class Case:
    id: str
    expr: str
    customer: dict
    events: list
    expect: bool | None
    now: datetime
    origin: str


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def load_cases(folder: Path, default_now: datetime, origin: str) -> list[Case]:
    cases = []
    for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        now = _moment(raw["now"]) if raw.get("now") else default_now
        cases.append(
            Case(
                raw["id"],
                raw["expr"],
                raw.get("customer", {}),
                raw.get("events", []),
                raw["expect"],
                now,
                origin,
            )
        )
    return cases


def conformance_schema() -> tuple[Schema, dict]:
    """The shared schema file when present, else the project's copy of it."""
    path = SHARED / "schema.json" if (SHARED / "schema.json").exists() else HERE / "schema.json"
    text = path.read_text(encoding="utf-8")
    return schema_from_json(text, str(path)), json.loads(text)


def all_cases() -> list[Case]:
    _schema, raw = conformance_schema()
    now = _moment(raw["now"])
    cases = load_cases(HERE, now, "project")
    if SHARED.exists():
        cases = load_cases(SHARED, now, "shared") + cases
    return cases


def campaign_text(expr: str, raw_schema: dict) -> str:
    templates = "\n".join(
        f'template {name} {channel} "x"' for name, channel in raw_schema["templates"].items()
    )
    first = next(iter(raw_schema["templates"]))
    channel = raw_schema["templates"][first]
    return (
        f'campaign "{raw_schema["campaign"]}"\n{templates}\n'
        f"when {expr}\nthen send {channel} {first}\n"
    )


def compile_condition(expr: str, optimized: bool = True) -> tuple[ir.Node, ir.Plan]:
    """The IR of ``expr`` as a rule condition in the conformance campaign."""
    schema, raw = conformance_schema()
    plan, _ = lower_campaign(checked_text(campaign_text(expr, raw), schema, path="case.win"))
    if optimized:
        plan = optimize(plan)
    return plan.rules[0].condition, plan


def _cell(value, kind: str):
    if value is None:
        return None
    if kind == "timestamp":
        return _moment(value).replace(tzinfo=None)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "number":
        return float(value)
    return value


def tables(cases: list[Case]) -> tuple[pa.Table, pa.Table]:
    """Customers (one per case, id = position + 1) and their events, typed by the schema."""
    _schema, raw = conformance_schema()
    customer_columns = raw["customers"]
    event_columns = raw["events"]
    customers = defaultdict(list)
    for position, case in enumerate(cases, start=1):
        for name, kind in customer_columns.items():
            value = position if name == "id" else case.customer.get(name)
            customers[name].append(_cell(value, kind))
    events = defaultdict(list)
    for position, case in enumerate(cases, start=1):
        for event in case.events:
            for name, kind in event_columns.items():
                value = position if name == "customer_id" else event.get(name)
                events[name].append(_cell(value, kind))
    customer_table = pa.table(
        {n: pa.array(customers[n], ARROW_TYPES[k]) for n, k in customer_columns.items()}
    )
    event_table = pa.table(
        {n: pa.array(events[n], ARROW_TYPES[k]) for n, k in event_columns.items()}
    )
    return customer_table, event_table


def evaluate(backend, source, cases: list[Case], optimized: bool = True) -> dict[str, object]:
    """Each case's value on ``backend``, grouped by clock so each group is one call."""
    by_now: dict[datetime, list[tuple[int, Case]]] = defaultdict(list)
    for position, case in enumerate(cases, start=1):
        by_now[case.now].append((position, case))
    results: dict[str, object] = {}
    for now, group in by_now.items():
        nodes = [compile_condition(case.expr, optimized)[0] for _, case in group]
        ids, columns = backend.values(nodes, source, RunContext(now=now))
        row_of = {int(i): row for row, i in enumerate(ids.tolist())}
        for (position, case), column in zip(group, columns, strict=True):
            results[case.id] = column[row_of[position]].as_py()
    return results


__all__ = ["Case", "all_cases", "compile_condition", "evaluate", "tables"]
