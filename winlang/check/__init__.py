"""Check a parsed campaign against the schema and the configuration.

``check_campaign`` is pure: it takes the AST, the schema and the configuration and returns the
findings plus, when there are no errors, a :class:`CheckedCampaign` that the planner compiles.
Reading files (template bodies, the schema) happens in :mod:`winlang.project`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from .. import ast as A
from ..config import Config, DerivedField
from ..diagnostics import (
    CODES,
    MAX_FINDINGS,
    Diagnostic,
    Severity,
    SourceText,
    at_file,
    has_errors,
    moved,
)
from ..formats import locale_problem
from ..frozen import frozen
from ..parse import cycle_collector_paused, parse_expression
from ..parse.words import KEYWORDS
from ..schema import Schema
from ..types import UNKNOWN, Type
from .expressions import STANDARD_EVENT_TYPES, Env, Symbol, Typer
from .templates import TemplateChecker, report_unknown_channel, sends_of


@frozen
class CheckedCampaign:
    """A campaign that passed the checker, with every name resolved and typed."""

    campaign: A.CampaignFile
    symbols: Mapping[str, Symbol]
    types: Mapping[int, Type]  # id(expression) -> type
    config: Config

    def type_of(self, expr: A.Expr) -> Type:
        return self.types.get(id(expr), UNKNOWN)


@frozen
class CheckResult:
    """A campaign's findings, and the checked campaign when it has no errors."""

    diagnostics: tuple[Diagnostic, ...]
    checked: CheckedCampaign | None


@frozen
class Fields:
    """The fields every campaign of a project sees: schema columns and derived fields."""

    symbols: Mapping[str, Symbol]
    event_columns: Mapping[str, Type] | None
    known: bool  # False when there is no schema to check against
    diagnostics: tuple[Diagnostic, ...]


def project_fields(schema: Schema | None, config: Config) -> Fields:
    """Schema fields plus the config's derived fields, each derived field typed once."""
    symbols: dict[str, Symbol] = {}
    if schema is not None:
        symbols = {n: Symbol(n, "field", type=t) for n, t in schema.customers.items()}
    diagnostics: list[Diagnostic] = []
    parsed: dict[str, A.Expr] = {}
    for name, derived in config.fields.items():
        expr, found = parse_expression(derived.text, "<derived>", symbols)
        diagnostics += [_at_config(d, derived) for d in found]
        if expr is not None:
            parsed[name] = expr
            if name in symbols:
                diagnostics.append(
                    derived.location.diagnostic(
                        "W210", f"derived field `{name}` hides the store column of the same name"
                    )
                )
            symbols[name] = Symbol(name, "derived", expr=expr)
    env = Env(
        symbols=symbols,
        templates={},
        channels=config.channels,
        event_columns=None,
        fields_known=schema is not None,
    )
    for name in parsed:
        derived = config.fields[name]

        def report(code, message, span, hint, derived=derived):
            spot = SourceText("<derived>", derived.text).diagnostic(code, message, span, hint)
            diagnostics.append(_at_config(spot, derived))

        typer = Typer(env, report)
        typer.symbol_type(env.symbols[name])
    return Fields(
        symbols=dict(env.symbols),
        event_columns=dict(schema.events) if schema is not None else None,
        known=schema is not None,
        diagnostics=tuple(diagnostics),
    )


def _at_config(diagnostic: Diagnostic, derived: DerivedField) -> Diagnostic:
    """Move a finding inside a derived field's expression to its place in winlang.toml."""
    where = derived.location
    if where.span is None or where.source is None:
        return moved(diagnostic, file=where.source.path if where.source else diagnostic.file)
    shift = where.span.column  # the expression starts right after the opening quote
    return moved(
        diagnostic,
        message=f"derived field `{derived.name}`: {diagnostic.message}",
        file=where.source.path,
        line=where.span.line,
        end_line=where.span.line,
        column=diagnostic.column + shift,
        end_column=diagnostic.end_column + shift,
        line_text=where.source.line(where.span.line),
    )


def check_campaign(
    campaign: A.CampaignFile, source: SourceText, fields: Fields, config: Config
) -> CheckResult:
    with cycle_collector_paused():
        return _check_campaign(campaign, source, fields, config)


def _check_campaign(
    campaign: A.CampaignFile, source: SourceText, fields: Fields, config: Config
) -> CheckResult:
    report = Findings(source)
    findings = report.kept
    symbols = dict(fields.symbols)
    _declare(campaign, symbols, report)
    env = Env(
        symbols=symbols,
        templates={t.name.name: t for t in campaign.templates},
        channels=config.channels,
        event_columns=fields.event_columns,
        event_types=frozenset((*STANDARD_EVENT_TYPES, *config.event_types)),
        fields_known=fields.known,
    )
    typer = Typer(env, report)
    _structure(campaign, source, typer, report, findings)
    for item in campaign.items:
        match item:
            case A.Setting(key="audience", value=expr):
                typer.condition(expr, "the audience")
            case A.Segment(condition=expr, name=name):
                typer.condition(expr, f"segment `{name.name}`")
            case A.Let(value=expr):
                typer.type_of(expr)
            case A.Rule():
                _rule(item, typer, config, report)
    customer_fields = {n for n, s in symbols.items() if s.kind in ("field", "derived")}
    columns = {n: s.type for n, s in symbols.items() if s.kind == "field" and s.type is not None}
    TemplateChecker(
        campaign,
        dict(config.channels),
        customer_fields,
        fields.known,
        config.limits,
        report,
        columns,
        typer,
        config.tracking,
    ).check()
    _unused(campaign, report)
    diagnostics = (*findings, *report.summary())
    if has_errors(diagnostics):
        return CheckResult(diagnostics, None)
    return CheckResult(diagnostics, CheckedCampaign(campaign, env.symbols, typer.types, config))


class Findings:
    """The ``report`` of one file's check: the first :data:`MAX_FINDINGS` findings are kept;
    the rest are only counted (a generated file can hold hundreds of thousands of mistakes,
    and a reader fixes the first ones first), then summed up in one last finding."""

    def __init__(self, source: SourceText, limit: int = MAX_FINDINGS) -> None:
        self.source = source
        self.limit = limit
        self.kept: list[Diagnostic] = []
        self.more_errors = 0
        self.more_warnings = 0

    @property
    def full(self) -> bool:
        """No more findings will be kept: a caller may skip working out hints."""
        return len(self.kept) >= self.limit

    def __call__(self, code: str, message: str, span: A.Span, hint: str | None) -> None:
        if not self.full:
            self.kept.append(self.source.diagnostic(code, message, span, hint))
        elif CODES[code][0] is Severity.ERROR:
            self.more_errors += 1
        else:
            self.more_warnings += 1

    def summary(self) -> tuple[Diagnostic, ...]:
        """``and N more``: E115 when errors are among them (the file fails), else W115."""
        more = self.more_errors + self.more_warnings
        if not more:
            return ()
        counts = f"{self.more_errors:,} error{'s' if self.more_errors != 1 else ''}, "
        counts += f"{self.more_warnings:,} warning{'s' if self.more_warnings != 1 else ''}"
        return (
            at_file(
                "E115" if self.more_errors else "W115",
                f"and {more:,} more findings in this file ({counts}), not shown",
                self.source.path,
                f"fix the first {self.limit} and check again",
            ),
        )


# ---- declarations -------------------------------------------------------------------------


def _declare(campaign: A.CampaignFile, symbols: dict[str, Symbol], report) -> None:
    """Add segments and lets to ``symbols``; report names declared twice."""
    declared: dict[str, A.Span] = {}
    for item in campaign.items:
        if not isinstance(item, A.Segment | A.Let):
            continue
        kind, expr = (
            ("segment", item.condition) if isinstance(item, A.Segment) else ("let", item.value)
        )
        name = item.name.name
        _keyword_name(item.name, report)
        if name in declared:
            report(
                "E208",
                f"`{name}` is already declared on line {declared[name].line}",
                item.name.span,
                "pick another name",
            )
            continue
        declared[name] = item.name.span
        existing = symbols.get(name)
        if existing is not None and existing.kind in ("field", "derived"):
            report(
                "W210",
                f"{kind} `{name}` hides the customer field of the same name",
                item.name.span,
                "rename it so the field stays reachable",
            )
        symbols[name] = Symbol(name, kind, expr, item.name.span)
    for kind, items in (("template", campaign.templates), ("rule", campaign.rules)):
        names: dict[str, A.Span] = {}
        for item in items:
            if not isinstance(item, A.Rule) or item.named:  # `rule_3` is no keyword anyway
                _keyword_name(item.name, report)
            if item.name.name in names:
                report(
                    "E208",
                    f"{kind} `{item.name.name}` is already declared on line "
                    f"{names[item.name.name].line}",
                    item.name.span,
                    f"give each {kind} its own name",
                )
            else:
                names[item.name.name] = item.name.span


def _keyword_name(name: A.Ident, report) -> None:
    """E113 for a declared name that is a keyword: `segment when = ...` would read badly."""
    if name.name not in KEYWORDS:
        return
    report(
        "E113",
        f"`{name.name}` is a keyword and can't be used as a name",
        name.span,
        f"pick another name, such as `{name.name}_1`",
    )


def _unused(campaign: A.CampaignFile, report) -> None:
    used = {e.name for e in _all_names(campaign)}
    for item in (*campaign.segments, *campaign.lets):
        if item.name.name not in used and item.name.name not in KEYWORDS:
            kind = "segment" if isinstance(item, A.Segment) else "let"
            report("W211", f"{kind} `{item.name.name}` is never used", item.name.span, None)


def _all_names(campaign: A.CampaignFile):
    roots: list[A.Expr] = []
    for item in campaign.items:
        match item:
            case A.Segment(condition=e) | A.Let(value=e) | A.Rule(condition=e):
                roots.append(e)
            case A.Setting(key="audience", value=e):
                roots.append(e)
        if isinstance(item, A.Rule):
            roots += [p.value for send in sends_of(item) for p in send.params]
    for root in roots:
        for node in A.walk(root):
            if isinstance(node, A.Name):
                yield node
            elif isinstance(node, A.In) and isinstance(node.items, A.Name):
                yield node.items


# ---- settings and structure ----------------------------------------------------------------


def _structure(
    campaign: A.CampaignFile, source: SourceText, typer: Typer, report, findings: list[Diagnostic]
) -> None:
    headers = campaign.headers
    if not headers and campaign.items:
        report(
            "E601",
            "this file has no campaign header",
            _first_word(campaign.items[0].span, source),
            'start the file with `campaign "name"`',
        )
    elif not headers:
        findings.append(
            at_file(
                "E601",
                "this file is empty: it has no campaign",
                source.path,
                'start it with `campaign "name"`',
            )
        )
    for extra in headers[1:]:
        report(
            "E602",
            "a file holds one campaign; this is a second header",
            extra.span,
            "put each campaign in a file of its own",
        )
    if headers and not headers[0].name.strip():
        report("E602", "the campaign name is empty", headers[0].span, 'campaign "winback"')
    seen: dict[str, A.Setting] = {}
    for setting in campaign.settings:
        if setting.key in seen:
            report(
                "E603",
                f"`{setting.key.replace('_', ' ')}` is already set on line "
                f"{seen[setting.key].span.line}",
                setting.span,
                "keep one of them",
            )
            continue
        seen[setting.key] = setting
        _setting(setting, typer, report)
    if not campaign.rules and headers:
        report(
            "W610",
            "this campaign has no rules, so it never sends anything",
            headers[0].span,
            "add `when <condition> then send <channel> <template>`",
        )


def _first_word(span: A.Span, source: SourceText) -> A.Span:
    """The first word of an item, to point at it without underlining the whole item."""
    word = re.match(r"\w+", source.text[span.start : span.start + 100])
    return source.span_at(span.start, len(word[0]) if word else 1)


def _setting(setting: A.Setting, typer: Typer, report) -> None:
    value, span = setting.value, setting.value_span
    match setting.key:
        case "cap":
            if value.count < 1 or value.count != int(value.count):
                report(
                    "E608",
                    "a frequency cap is a whole number of messages, at least 1",
                    span,
                    "for example `cap 1 per 7 days`",
                )
            typer.duration(value.per)
        case "quiet_hours":
            for time in (value.start, value.end):
                if not (0 <= time.hour <= 23 and 0 <= time.minute <= 59):
                    report(
                        "E607",
                        f"`{time.hour}:{time.minute:02d}` is not a time of day",
                        time.span,
                        "times run from 00:00 to 23:59",
                    )
            if (value.start.hour, value.start.minute) == (value.end.hour, value.end.minute):
                report(
                    "E607",
                    "quiet hours start and end at the same time",
                    span,
                    "for example `quiet hours 21:00 to 09:00`",
                )
        case "holdout":
            if not 0 <= value < 100:
                report(
                    "E605",
                    f"a holdout of {value:g}% is out of range",
                    span,
                    "a holdout is at least 0% and less than 100%",
                )
            elif value == 0:
                report(
                    "W612",
                    "a holdout of 0% holds nobody out",
                    span,
                    "remove it, or hold out a share such as 10%",
                )
        case "link":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                report(
                    "E611",
                    f"`{value}` is not a web address",
                    span,
                    'write a full address: "https://shop.example.com/back"',
                )
        case "timezone":
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only where a zone is set

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                report(
                    "E609",
                    f"unknown time zone `{value}`",
                    span,
                    'use an IANA name such as "Asia/Seoul"',
                )
        case "locale":
            if problem := locale_problem(value):
                hint = 'use a CLDR locale such as "ko_KR", "ro_RO" or "en_US"'
                report("E614", problem, span, hint)


def _rule(rule: A.Rule, typer: Typer, config: Config, report) -> None:
    typer.condition(rule.condition, f"the condition of rule `{rule.name.name}`")
    if rule.repeat is not None:
        typer.duration(rule.repeat)
    actions = rule.actions
    if isinstance(actions, A.Split):
        total = sum(arm.percent for arm in actions.arms)
        for arm in actions.arms:
            if not 0 < arm.percent <= 100:
                report(
                    "E605",
                    f"a split share of {arm.percent:g}% is out of range",
                    arm.span,
                    "each share is more than 0% and at most 100%",
                )
        if abs(total - 100) > 1e-9:
            report(
                "E604",
                f"the split shares add up to {total:g}%, not 100%",
                actions.span,
                "make the shares add up to 100%",
            )
        groups = [arm.actions for arm in actions.arms]
    else:
        groups = [actions]
    for group in groups:
        for action in group:
            if isinstance(action, A.Unsubscribe) and action.channel is not None:
                name = action.channel.name
                if name not in config.channels:
                    report_unknown_channel(report, action.channel, config.channels)
    for send in sends_of(rule):
        for param in send.params:
            typer.type_of(param.value)
