"""Go to definition and find references: segments, lets, templates and rules within the
file; derived fields and channels to where ``winlang.toml`` sets them up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import ast as A
from ..config import Location
from ..diagnostics import SourceText
from .analysis import Analysis
from .symbols import DECLARED_KINDS, at, occurrences, same


@dataclass(frozen=True, slots=True)
class Target:
    path: Path
    span: A.Span
    text: str  # the file's text, to turn the span into the editor's positions


def definition(analysis: Analysis, line: int, column: int) -> list[Target]:
    """Where the name under (line, column) is declared."""
    if analysis.outline is None:
        return []
    found = occurrences(analysis.outline)
    here = at(found, line, column)
    if here is None:
        return []
    if here.kind in DECLARED_KINDS:
        return [
            Target(analysis.path, o.span, analysis.source.text)
            for o in same(found, here)
            if o.declaration
        ][:1]
    config = analysis.project.config
    if here.kind == "field" and here.name in config.fields:
        return _in_config(analysis, config.fields[here.name].location)
    symbol = analysis.project.fields.symbols.get(here.name)
    if here.kind == "field" and symbol is not None and symbol.kind == "field":
        return _in_schema(analysis.schema_file, here.name)
    if here.kind == "channel" and here.name in config.channels:
        return _in_config(analysis, config.channels[here.name].location)
    return []


def references(analysis: Analysis, line: int, column: int, declaration: bool) -> list[Target]:
    """Every place the file names what (line, column) names."""
    if analysis.outline is None:
        return []
    found = occurrences(analysis.outline)
    here = at(found, line, column)
    if here is None:
        return []
    return [
        Target(analysis.path, o.span, analysis.source.text)
        for o in same(found, here)
        if declaration or not o.declaration
    ]


def _in_schema(path: Path | None, name: str) -> list[Target]:
    """A column's entry in the schema file (`winlang schema export`'s JSON)."""
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    customers = max(text.find('"customers"'), 0)
    found = re.compile(rf'"{re.escape(name)}"\s*:').search(text, customers)
    if found is None:
        return []
    return [Target(path, SourceText(str(path), text).span_at(found.start(), len(name) + 2), text)]


def _in_config(analysis: Analysis, location: Location) -> list[Target]:
    config = analysis.project.config
    if config.path is None or location.span is None or location.source is None:
        return []
    return [Target(config.path, location.span, location.source.text)]


@dataclass(frozen=True, slots=True)
class Declared:
    """One item of the file's outline."""

    name: str
    kind: str  # campaign, segment, let, template, rule
    span: A.Span  # the whole item
    name_span: A.Span
    detail: str


def outline(analysis: Analysis) -> list[Declared]:
    """The campaign, its segments, lets, templates and rules, in source order."""
    campaign = analysis.outline
    if campaign is None:
        return []
    found = []
    for item in campaign.items:
        match item:
            case A.CampaignHeader(name=name, span=span):
                found.append(Declared(name or "campaign", "campaign", span, span, "campaign"))
            case A.Segment() | A.Let():
                kind = "segment" if isinstance(item, A.Segment) else "let"
                found.append(Declared(item.name.name, kind, item.span, item.name.span, kind))
            case A.Template(name=name, channel=channel, span=span):
                detail = f"{channel.name} template"
                found.append(Declared(name.name, "template", span, name.span, detail))
            case A.Rule(name=name, span=span):
                found.append(Declared(name.name, "rule", span, name.span, "rule"))
    return found
