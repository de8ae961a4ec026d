"""What the editor shows over a name: a field's type and where it comes from, a segment's or
let's definition, a template's text with its SMS size, a channel's set-up, a function's
signature; and over a finding, its code's explanation."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ast as A
from ..check.expressions import Env, Typer
from ..check.functions import BUILTINS
from ..check.sms import measure
from ..check.templates import Placeholder, render, scan, sends_of
from ..diagnostics import Diagnostic
from ..links import MESSAGE_ID_LENGTH, tracking_link
from ..schema import safe_url
from .analysis import Analysis
from .explanations import explain
from .symbols import Occurrence, at, occurrences


@dataclass(frozen=True, slots=True)
class Hover:
    markdown: str
    span: A.Span | None


def hover(analysis: Analysis, line: int, column: int) -> Hover | None:
    """The hover text for (line, column), or None when there is nothing to say."""
    parts: list[str] = []
    span: A.Span | None = None
    campaign = analysis.outline
    if campaign is not None:
        occurrence = at(occurrences(campaign), line, column)
        if occurrence is not None and (text := describe(analysis, occurrence)):
            parts.append(text)
            span = occurrence.span
    for diagnostic in findings_at(analysis.diagnostics, line, column):
        parts.append(_finding(diagnostic))
    return Hover("\n\n---\n\n".join(parts), span) if parts else None


def findings_at(diagnostics, line: int, column: int) -> list[Diagnostic]:
    """The findings whose range holds (line, column)."""
    return [d for d in diagnostics if _holds(d, line, column)]


def _holds(d: Diagnostic, line: int, column: int) -> bool:
    if not d.line <= line <= d.end_line:
        return False
    if line == d.line and column < d.column:
        return False
    return not (line == d.end_line and column > max(d.end_column, d.column + 1))


def _finding(diagnostic: Diagnostic) -> str:
    severity = diagnostic.severity.value
    text = f"{severity} {diagnostic.code}: {diagnostic.message}"
    if diagnostic.hint:
        text += f"\n\nhint: {diagnostic.hint}"
    return f"{text}\n\n{explain(diagnostic.code)}"


def describe(analysis: Analysis, occurrence: Occurrence) -> str | None:
    """Markdown about what ``occurrence`` names."""
    campaign = analysis.outline
    name = occurrence.name
    match occurrence.kind:
        case "field":
            return _field(analysis, name) or _parameter(analysis, name, occurrence.span)
        case "segment" | "let" | "rule":
            item = _declaration(campaign, occurrence.kind, name)
            if item is None:
                return None
            text = analysis.source.text[item.span.start : item.span.end]
            kind = occurrence.kind
            value = item.value if isinstance(item, A.Let) else None
            typed = ""
            if kind == "segment":
                typed = ": true/false"
            elif value is not None and analysis.checked is not None:
                typed = f": {analysis.checked.type_of(value)}"
            return f"({kind}) `{name}`{typed}\n\n```winlang\n{text}\n```"
        case "template":
            template = _declaration(campaign, "template", name)
            return _template(analysis, template) if template else None
        case "channel":
            return _channel(analysis, name)
        case "function":
            function = BUILTINS.get(name)
            return f"(function) `{function.signature}`" if function else None
        case "event_type":
            return f"(event type) `{name}`: a row of the events table with type `{name}`"
    return None


def _declaration(campaign: A.CampaignFile | None, kind: str, name: str):
    items = {
        "segment": campaign.segments,
        "let": campaign.lets,
        "rule": campaign.rules,
        "template": campaign.templates,
    }[kind]
    return next((i for i in items if i.name.name == name), None)


def _field(analysis: Analysis, name: str) -> str | None:
    project = analysis.project
    symbol = project.fields.symbols.get(name)
    if symbol is None:
        if name == "link":
            return "`{link}`: the campaign's `link`, with tracking parameters added"
        if name == "unsubscribe":
            return (
                "`{unsubscribe}`: the customer's own signed unsubscribe link for the "
                "message's channel, answered by `winlang serve` (needs [tracking])"
            )
        return None
    if symbol.kind == "derived":
        derived = project.config.fields[name]
        where = project.config.path.name if project.config.path else "the configuration"
        return (
            f"(derived field) `{name}`: {derived_type(analysis, name)}\n\n"
            f"```winlang\n{name} = {derived.text}\n```\n\nfrom `[fields]` in {where}"
        )
    source = _schema_source(analysis)
    return f"(field) `{name}`: {symbol.type}\n\na column of the customers table, {source}"


def _parameter(analysis: Analysis, name: str, span: A.Span) -> str | None:
    """A placeholder that no field fills: what each send of its template gives it."""
    campaign = analysis.outline
    template = next(
        (t for t in campaign.templates if t.span.start <= span.start < t.span.end), None
    )
    if template is None:
        return None
    given = [
        (rule, param)
        for rule in campaign.rules
        for send in sends_of(rule)
        if send.template.name == template.name.name
        for param in send.params
        if param.name.name == name
    ]
    lines = [f"(parameter) `{name}` of template `{template.name.name}`, given by `with`"]
    text = analysis.source.text
    for rule, param in given:
        value = text[param.value.span.start : param.value.span.end]
        lines.append(f"- rule `{rule.name.name}`: `with {name} = {value}`")
    return "\n".join(lines) if given else None


def derived_type(analysis: Analysis, name: str):
    """A derived field's type, inferred as the checker infers it."""
    fields = analysis.project.fields
    env = Env(
        symbols=dict(fields.symbols),
        templates={},
        channels=analysis.project.config.channels,
        event_columns=fields.event_columns,
        fields_known=fields.known,
    )
    return Typer(env, lambda *_: None).symbol_type(env.symbols[name])


def _schema_source(analysis: Analysis) -> str:
    config = analysis.project.config
    if config.store.schema is not None:
        return f"from the schema file `{config.store.schema.name}`"
    return f"from the store `{safe_url(config.store.url)}`"


def _template(analysis: Analysis, template: A.Template) -> str:
    channel = analysis.project.config.channels.get(template.channel.name)
    lines = [f"(template) `{template.name.name}` on `{template.channel.name}`"]
    if template.subject is not None:
        lines.append(f"subject: {template.subject.value}")
    if template.body.path is not None:
        lines.append(f"body from `{template.body.path}`")
    lines.append(f"```text\n{template.body.value}\n```")
    if channel is not None and channel.kind == "sms":
        lines.append(_sms(analysis, template))
    return "\n\n".join(lines)


def _sms(analysis: Analysis, template: A.Template) -> str:
    """The SMS size as the checker measures it (W501, E502): for each rule that sends the
    template, each field placeholder as ``[limits] sms_placeholder_length`` characters (or its
    fallback, when longer), a literal ``with`` value as itself and ``{link}`` as the rule's
    tracked link; the largest size is shown."""
    limits = analysis.project.config.limits
    campaign = analysis.outline
    sites = [
        (rule, send)
        for rule in campaign.rules
        for send in sends_of(rule)
        if send.template.name == template.name.name
    ]
    sizes = [measure(_estimate(analysis, template, rule, send)) for rule, send in sites]
    size = max(sizes or [measure(_estimate(analysis, template, None, None))], key=_parts)
    text = (
        f"SMS: {size.encoding}, {size.characters} characters, "
        f"{size.parts} part{'' if size.parts == 1 else 's'} "
        f"(each field placeholder counted as {limits.sms_placeholder_length} characters; "
        f"at most {limits.sms_max_parts} parts allowed)"
    )
    if size.first_non_gsm:
        text += f"; `{size.first_non_gsm}` is outside GSM-7, so the whole text is UCS-2"
    return text


def _parts(size) -> int:
    return size.parts


def _estimate(
    analysis: Analysis, template: A.Template, rule: A.Rule | None, send: A.Send | None
) -> str:
    limits = analysis.project.config.limits
    campaign = analysis.outline
    link = campaign.setting("link")
    params = {p.name.name: p.value for p in send.params} if send else {}
    values: dict[str, str] = {}
    for found in scan(template.body.value):
        if not isinstance(found, Placeholder):
            continue
        given = params.get(found.name)
        if found.name == "link" and link is not None:
            rule_name = rule.name.name if rule else "rule"
            message = "x" * MESSAGE_ID_LENGTH
            values["link"] = tracking_link(str(link.value), campaign.name or "", rule_name, message)
        elif isinstance(given, A.Number | A.Text):
            value = given.value
            whole = isinstance(value, float) and value == int(value)
            values[found.name] = str(int(value)) if whole else str(value)
        else:
            guess = "x" * limits.sms_placeholder_length
            values[found.name] = max(guess, found.fallback or "", key=len)
    return render(template.body.value, values)


def _channel(analysis: Analysis, name: str) -> str | None:
    channel = analysis.project.config.channels.get(name)
    if channel is None:
        return None
    return (
        f"(channel) `{name}`: {channel.kind} through the `{channel.plugin}` plugin\n\n"
        f"address field `{channel.address}`, consent field `{channel.consent}`"
    )
