"""A plan as readable text, for the optimizer passes' golden fixtures.

Expressions print as functions (``and(...)``, ``count(purchase within=30 days)``) with
arithmetic and comparisons infix; a node shared by several parents (one object, computed
once) is defined once under ``shared:`` as ``%1 = ...`` and referred to as ``%1``, so a
rewrite of identity (``share_subexpressions``) shows as well as a rewrite of structure. Node
types and fields this printer doesn't know print generically, so a new IR field shows up in
the goldens instead of being hidden.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime

from winlang.plan import ir

WIDTH = 96
_DAY = 86_400
_INFIX = (ir.Arith, ir.Compare)
_HEAD_FIELDS = ("op", "name", "function", "state")  # a string field naming what the node does
_SKIPPED_PLAN_FIELDS = ("campaign", "passes")


def _seconds(value: float | None) -> str:
    if value is None:
        return "none"
    if value % _DAY == 0:
        return f"{value // _DAY:g} days"
    return f"{value:g} s"


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if dataclasses.is_dataclass(value):
        return _generic(value, {})
    if isinstance(value, tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return str(value)


def _field(name: str, value: object) -> str:
    if name in ("window", "older_than", "event_window"):
        return _seconds(value)
    return _scalar(value)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _changed_fields(value: object) -> list[tuple[str, object]]:
    """The dataclass fields of ``value`` that differ from their defaults."""
    found = []
    for field in dataclasses.fields(value):
        current = getattr(value, field.name)
        if field.default is not dataclasses.MISSING and current == field.default:
            continue
        found.append((field.name, current))
    return found


def _generic(value: object, labels: dict[int, str]) -> str:
    """``head(children..., field=value...)`` for any dataclass."""
    head = _snake(type(value).__name__)
    parts = []
    for name, current in _changed_fields(value):
        if name in _HEAD_FIELDS and isinstance(current, str) and isinstance(value, ir.Node):
            head = current
        elif isinstance(current, ir.Node):
            parts.append(_flat(current, labels))
        elif (
            isinstance(current, tuple) and current and all(isinstance(c, ir.Node) for c in current)
        ):
            parts.extend(_flat(c, labels) for c in current)
        elif isinstance(value, ir.EventFilter) and name == "event_type":
            parts.append(current)
        else:
            parts.append(f"{name}={_field(name, current)}")
    return f"{head}({', '.join(parts)})"


def _flat(node: ir.Node, labels: dict[int, str]) -> str:
    if id(node) in labels:
        return labels[id(node)]
    match node:
        case ir.Column(name=name):
            return name
        case ir.Literal(value=value):
            return _scalar(value)
        case ir.NowMinus(seconds=seconds):
            return "now" if seconds == 0 else f"now - {_seconds(seconds)}"
        case ir.Negate(operand=operand):
            return f"-{_flat(operand, labels)}"
        case ir.Arith() | ir.Compare():
            return f"({_flat(node.left, labels)} {node.op} {_flat(node.right, labels)})"
        case ir.EventAggregate(filter=found):
            # count(purchase, window=30 days): the filter's fields inline, then the rest
            parts = [_generic(found, labels)[len("event_filter(") : -1]] + [
                f"{name}={_scalar(value)}"
                for name, value in _changed_fields(node)
                if name not in ("function", "filter")
            ]
            return f"{node.function}({', '.join(parts)})"
    return _generic(node, labels)


def _broken(node: ir.Node, labels: dict[int, str], indent: int) -> str:
    """``node`` over several lines when it doesn't fit on one."""
    flat = _flat(node, labels)
    if indent + len(flat) <= WIDTH or id(node) in labels or not node.inputs:
        return flat
    if isinstance(node, _INFIX):
        inner = " " * (indent + 2)
        left = _broken(node.left, labels, indent + 2)
        right = _broken(node.right, labels, indent + 2)
        return f"(\n{inner}{left}\n{inner}{node.op} {right}\n{' ' * indent})"
    head = flat.split("(", 1)[0]
    inner = " " * (indent + 2)
    children = ",\n".join(inner + _broken(c, labels, indent + 2) for c in node.inputs)
    return f"{head}(\n{children}\n{' ' * indent})"


def _shared(plan: ir.Plan) -> dict[int, str]:
    """Labels for the nodes (not leaves) that more than one parent holds."""
    roots = list(plan.roots())
    refs: dict[int, int] = {}
    for root in roots:
        refs[id(root)] = refs.get(id(root), 0) + 1
    nodes = list(ir.walk(*roots))
    for node in nodes:
        for child in node.inputs:
            refs[id(child)] = refs.get(id(child), 0) + 1
    shared = [n for n in nodes if n.inputs and refs.get(id(n), 0) > 1]
    return {id(n): f"%{i}" for i, n in enumerate(shared, 1)}


def plan_text(plan: ir.Plan) -> str:
    """``plan`` as the goldens show it."""
    labels = _shared(plan)
    lines: list[str] = []
    if labels:
        lines.append("shared:")
        by_id = {id(n): n for n in ir.walk(*plan.roots())}
        for key, label in labels.items():
            own = {k: v for k, v in labels.items() if k != key}
            lines.append(f"  {label} = {_broken(by_id[key], own, 4 + len(label))}")
    for field in dataclasses.fields(plan):
        if field.name in _SKIPPED_PLAN_FIELDS:
            continue
        value = getattr(plan, field.name)
        if field.name == "rules":
            for rule in value:
                lines.append(f"rule {rule.name}:")
                for name, current in _changed_fields(rule):
                    if name == "name":
                        continue
                    if isinstance(current, ir.Node):
                        lines.append(f"  {name}: {_broken(current, labels, 4 + len(name))}")
                    else:
                        shown = ", ".join(f"{k}={_flat(v, labels)}" for k, v in current)
                        lines.append(f"  {name}: {shown}")
        elif isinstance(value, ir.Node):
            lines.append(f"{field.name}: {_broken(value, labels, 2 + len(field.name))}")
        elif isinstance(value, tuple):
            lines.append(f"{field.name}:")
            lines.extend(f"  - {_flat(v, labels)}" for v in value)
        elif dataclasses.is_dataclass(value):
            lines.append(f"{field.name}:")
            lines.extend(f"  {k}: {_field(k, v)}" for k, v in _changed_fields(value))
        else:
            lines.append(f"{field.name}: {_scalar(value) if value is not None else 'none'}")
    return "\n".join(lines) + "\n"
