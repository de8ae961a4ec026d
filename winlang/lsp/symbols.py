"""Every name written in a campaign, with its span and what it names: the index that hover,
go to definition and find references read.

Names are resolved the way the checker resolves them: a name in an expression is a segment or
let of the file when one is declared, else a field (a store column or a derived field); an
event target is a template of the file when one has that name, else a channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .. import ast as A
from ..check.templates import Placeholder, scan, sends_of, text_span

Kind = Literal[
    "segment", "let", "template", "rule", "field", "channel", "function", "event_type", "param"
]
DECLARED_KINDS = ("segment", "let", "template", "rule")


@dataclass(frozen=True, slots=True)
class Occurrence:
    kind: Kind
    name: str
    span: A.Span
    declaration: bool = False


def occurrences(campaign: A.CampaignFile) -> list[Occurrence]:
    """Every occurrence of a name in ``campaign``, in source order."""
    declared: dict[str, Kind] = {}
    for item in campaign.items:
        if isinstance(item, A.Segment):
            declared.setdefault(item.name.name, "segment")
        elif isinstance(item, A.Let):
            declared.setdefault(item.name.name, "let")
    templates = {t.name.name for t in campaign.templates}
    found = list(_items(campaign, declared, templates))
    return sorted(found, key=lambda o: o.span.start)


def at(found: list[Occurrence], line: int, column: int) -> Occurrence | None:
    """The occurrence under (line, column); the cursor right after a name still counts."""
    for occurrence in found:
        span = occurrence.span
        if span.line == line and span.column <= column <= span.end_column:
            return occurrence
    return None


def same(found: list[Occurrence], target: Occurrence) -> list[Occurrence]:
    """The occurrences naming what ``target`` names."""
    return [o for o in found if o.kind == target.kind and o.name == target.name]


def _items(
    campaign: A.CampaignFile, declared: dict[str, Kind], templates: set[str]
) -> Iterator[Occurrence]:
    for item in campaign.items:
        match item:
            case A.Segment(name=name, condition=expr):
                yield Occurrence("segment", name.name, name.span, True)
                yield from _expression(expr, declared, templates)
            case A.Let(name=name, value=expr):
                yield Occurrence("let", name.name, name.span, True)
                yield from _expression(expr, declared, templates)
            case A.Setting(key="audience", value=expr):
                yield from _expression(expr, declared, templates)
            case A.Template():
                yield Occurrence("template", item.name.name, item.name.span, True)
                yield Occurrence("channel", item.channel.name, item.channel.span)
                for text in (item.subject, item.body):
                    if text is not None:
                        yield from _placeholders(text)
            case A.Rule():
                if item.named:
                    yield Occurrence("rule", item.name.name, item.name.span, True)
                yield from _expression(item.condition, declared, templates)
                yield from _actions(item, declared, templates)


def _actions(rule: A.Rule, declared: dict[str, Kind], templates: set[str]) -> Iterator[Occurrence]:
    for send in sends_of(rule):
        yield Occurrence("channel", send.channel.name, send.channel.span)
        yield Occurrence("template", send.template.name, send.template.span)
        for param in send.params:
            yield Occurrence("param", param.name.name, param.name.span)
            yield from _expression(param.value, declared, templates)
    groups = (
        [arm.actions for arm in rule.actions.arms]
        if isinstance(rule.actions, A.Split)
        else [rule.actions]
    )
    for group in groups:
        for action in group:
            if isinstance(action, A.Unsubscribe) and action.channel is not None:
                yield Occurrence("channel", action.channel.name, action.channel.span)


def _expression(
    root: A.Expr, declared: dict[str, Kind], templates: set[str]
) -> Iterator[Occurrence]:
    for node in A.walk(root):
        match node:
            case A.Name(name=name, span=span):
                yield Occurrence(declared.get(name, "field"), name, span)
            case A.Call(function=function):
                yield Occurrence("function", function.name, function.span)
            case A.EventPredicate(target=A.Ident() as target) if target.name != "any":
                yield _target(target, templates)
            case A.Aggregate(selector=selector):
                yield Occurrence("event_type", selector.event_type.name, selector.event_type.span)
                if selector.target is not None and selector.target.name != "any":
                    yield _target(selector.target, templates)


def _target(target: A.Ident, templates: set[str]) -> Occurrence:
    kind: Kind = "template" if target.name in templates else "channel"
    return Occurrence(kind, target.name, target.span)


def _placeholders(text: A.TemplateText) -> Iterator[Occurrence]:
    """``{first_name}`` in a template written inline (file bodies have no positions)."""
    if not text.offsets:
        return
    for found in scan(text.value):
        if isinstance(found, Placeholder):
            start = found.start + 1
            yield Occurrence("field", found.name, text_span(text, start, start + len(found.name)))
