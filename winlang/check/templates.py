"""Template checks: placeholders, the channel a template is sent on, `with` parameters, SMS size.

A placeholder is ``{name}``, ``{name|fallback text}``, ``{name:spec}`` or
``{name:spec|fallback text}`` (a format spec such as ``percent`` or ``currency:KRW``, see
:mod:`winlang.formats`); ``{{`` and ``}}`` are literal braces. Other brace text that does
not look like a name attempt (CSS in an HTML body, ``{color:red}`` included) is left alone.

An email body is HTML when it comes from a ``.html`` or ``.htm`` file, or when its text has an
HTML tag (:func:`looks_like_html`); every value put into an HTML body is escaped then.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache

from .. import ast as A
from ..config import Channel, Limits, TrackingSettings
from ..formats import FORMATS, SpecError, is_format, parse_spec, type_problem
from ..frozen import frozen
from ..links import (
    MESSAGE_ID_LENGTH,
    short_link_length,
    tracking_link,
    unsubscribe_link_length,
)
from ..store_layout import address_type_problem, consent_type_problem
from ..suggest import closest, did_you_mean, one_slip
from ..types import DATE, NUMBER, TEXT, TIMESTAMP, Type
from .expressions import Reporter, Typer
from .sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    PART,
    ROMANIAN_PLAIN,
    SINGLE,
    SmsSize,
    measure,
    without_romanian_diacritics,
)

_BRACES = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}")
# name, then an optional format spec (`:percent`, `:currency:KRW`), then an optional fallback
_PLACEHOLDER = re.compile(
    r"([a-z_][a-z0-9_]*)(?::([A-Za-z0-9_]+(?::[A-Za-z0-9_]+)*))?(?:\|(.*))?", re.S
)
_NAME_ATTEMPT = re.compile(r"\s*[A-Za-z_][\w ]{0,40}(\|.*)?", re.S)
_HTML_TAG = re.compile(
    r"<\s*(!doctype\s+html|html|head|body|p|br|hr|div|a|table|tr|td|h[1-6]|span|b|i|u|strong"
    r"|em|img|ul|ol|li|center|font|section)\b",
    re.I,
)
HTML_SUFFIXES = (".html", ".htm")
LINKS = frozenset({"link", "unsubscribe"})  # placeholders winlang fills itself


def looks_like_html(text: str) -> bool:
    """Whether ``text`` has an HTML tag: ``<p>Hi</p>`` is HTML; ``Save 5 <3`` is not.

    >>> looks_like_html("<p>Hi</p>"), looks_like_html("Save 5 <3 and 2 > 1")
    (True, False)
    """
    return bool(_HTML_TAG.search(text))


def is_html(body: A.TemplateText) -> bool:
    """Whether an email body is HTML: read from a ``.html``/``.htm`` file, or with a tag.

    Decided on the template, never on the message: a customer's name can't make a text
    body HTML.
    """
    if body.path is not None and body.path.lower().endswith(HTML_SUFFIXES):
        return True
    return looks_like_html(body.value)


@frozen(slots=True)
class Placeholder:
    """``{name}``, ``{name|fallback}`` or ``{name:spec}`` in a template's text."""

    name: str
    fallback: str | None
    start: int  # index of `{` in the template text
    end: int  # index after `}`
    spec: str | None = None  # `percent` in `{discount:percent}`


@frozen(slots=True)
class OtherFormat:
    """``{name:word}`` where ``word`` is not a format: CSS (``{color:red}``) is left alone,
    but the checker reports it when ``name`` is a field or a `with` parameter."""

    name: str
    spec: str
    start: int
    end: int


@frozen(slots=True)
class Malformed:
    """Braces in a template's text that are no placeholder."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=4096)
def scan(text: str) -> tuple[Placeholder | OtherFormat | Malformed, ...]:
    """The placeholders of a template text, in order.

    Remembered per text: the checker asks again for each `send` of a template (a campaign of
    1,000 rules scanned its 50 templates some 7,600 times).

    >>> [(p.name, p.spec) for p in scan("Hi {first_name|there}, {{not}} {discount:percent}")]
    [('first_name', None), ('discount', 'percent')]
    """
    return tuple(_scan(text))


def _scan(text: str) -> Iterator[Placeholder | OtherFormat | Malformed]:
    for match in _BRACES.finditer(text):
        inner = match.group(1)
        if inner is None:
            continue
        if placeholder := _PLACEHOLDER.fullmatch(inner):
            name, spec, fallback = placeholder[1], placeholder[2], placeholder[3]
            if spec is None or is_format(spec):
                yield Placeholder(name, fallback, match.start(), match.end(), spec)
            else:
                yield OtherFormat(name, spec, match.start(), match.end())
        elif _NAME_ATTEMPT.fullmatch(inner):
            yield Malformed(inner, match.start(), match.end())


# Comments, script and style elements (up to their end tag) and tags (quoted values kept
# whole), found in one pass: what a placeholder's place in an HTML body is judged by.
_HTML_TOKEN = re.compile(
    r"(?P<comment><!--.*?(?:-->|\Z))"
    r"|(?P<raw><(?P<raw_name>script|style)\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>.*?(?:</(?P=raw_name)\s*>|\Z))"
    r"|(?P<tag><[A-Za-z/!?](?:\"[^\"]*\"|'[^']*'|[^'\">])*>?)",
    re.I | re.S,
)


def unsafe_html_spots(text: str, starts: Iterable[int]) -> dict[int, str]:
    """For placeholders at ``starts`` of an HTML body, those where escaping can't keep the
    value from changing the markup: inside a tag but not in a quoted attribute value
    (``<img alt={name}>``: a space starts a new attribute), or in a script or style. One
    pass over the text, however many placeholders.

    >>> unsafe_html_spots('<a href="{link}"><img alt={name}></a> {x}', [9, 26, 38])
    {26: 'in an HTML tag, outside a quoted attribute value'}
    """
    tokens = [(m.start(), m.end(), m.lastgroup) for m in _HTML_TOKEN.finditer(text)]
    firsts = [t[0] for t in tokens]
    found = {}
    for start in starts:
        at = bisect_right(firsts, start) - 1
        if at < 0 or not tokens[at][0] < start < tokens[at][1]:
            continue  # in text between tags
        begin, _, kind = tokens[at]
        if kind == "raw":
            found[start] = "inside a <script> or <style> element"
        elif kind == "tag" and not _in_quotes(text[begin:start]):
            found[start] = "in an HTML tag, outside a quoted attribute value"
    return found


def _in_quotes(tag: str) -> bool:
    """Whether the end of the start of a tag is inside a quoted attribute value."""
    quote = None
    for char in tag:
        if quote is None and char in "\"'":
            quote = char
        elif char == quote:
            quote = None
    return quote is not None


Show = Callable[[object, str | None], str]


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill placeholders from ``values`` (texts); a missing or empty value takes the fallback
    (a preview's, say: a run renders a slice at once, :mod:`winlang.deliver.render`).

    >>> render("Hi {first_name|there} {{x}}", {"first_name": ""})
    'Hi there {x}'
    """
    return "".join(
        piece if isinstance(piece, str) else (values.get(piece[0]) or piece[1])
        for piece in text_pieces(text)
    )


@lru_cache(maxsize=4096)
def text_pieces(text: str) -> tuple[str | tuple[str, str, str | None], ...]:
    """``text`` cut once into literal text and (placeholder, fallback, spec) triples, so
    rendering the same template for a hundred thousand customers is a join, not a regex pass
    each. Brace text with an unknown format (CSS: ``{color:red}``) stays as written."""
    pieces: list[str | tuple[str, str, str | None]] = []
    literal, position = [], 0
    for match in _BRACES.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        whole = match.group(0)
        placeholder = _PLACEHOLDER.fullmatch(match.group(1) or "")
        if whole in ("{{", "}}"):
            literal.append(whole[0])
        elif not placeholder or (placeholder[2] is not None and not is_format(placeholder[2])):
            literal.append(whole)
        else:
            pieces += ["".join(literal), (placeholder[1], placeholder[3] or "", placeholder[2])]
            literal = []
    pieces.append("".join(literal) + text[position:])
    return tuple(p for p in pieces if p != "")


@lru_cache(maxsize=4096)
def placeholder_names(text: str) -> frozenset[str]:
    """The names of the placeholders ``text`` fills, as rendering sees them.

    >>> sorted(placeholder_names("Hi {name|you}: {link} {{unsubscribe}}"))
    ['link', 'name']
    """
    return frozenset(piece[0] for piece in text_pieces(text) if not isinstance(piece, str))


def text_span(text: A.TemplateText, start: int, end: int) -> A.Span:
    """The source span of ``text.value[start:end]`` (the ``file "..."`` string for files)."""
    if text.offsets is None or not text.offsets:
        return text.span
    first = text.offsets[min(start, len(text.offsets) - 1)]
    last = text.offsets[min(end, len(text.offsets)) - 1] + 1
    column = text.span.column + (first - text.span.start)
    return A.Span(first, last, text.span.line, column, text.span.line, column + (last - first))


@frozen
class SendSite:
    """One `send` of a template, with the rule it is in."""

    rule: A.Rule
    send: A.Send


class TemplateChecker:
    def __init__(
        self,
        campaign: A.CampaignFile,
        channels: dict[str, Channel],
        fields: set[str],
        fields_known: bool,
        limits: Limits,
        report: Reporter,
        field_types: Mapping[str, Type] | None = None,
        typer: Typer | None = None,
        tracking: TrackingSettings | None = None,
    ) -> None:
        self.campaign = campaign
        self.tracking = tracking  # [tracking]: {link} is a short link, {unsubscribe} known
        self.typer = typer  # types of fields and `with` values, for format specs
        self.field_types = field_types or {}  # store columns: what a channel may read
        self.channels = channels
        self.fields = fields
        self.fields_known = fields_known
        self.limits = limits
        self.report = report
        self.templates = {t.name.name: t for t in campaign.templates}
        # looked up once: each lookup scans every item, and sends of a big campaign are many
        self.link = campaign.setting("link")
        self.campaign_name = campaign.name or ""
        self.sites: dict[str, list[SendSite]] = {}
        self.reported_channels: set[str] = set()
        self.misspelt: set[str] = set()  # templates that a send with a typo meant
        self.all_params = {
            p.name.name for r in campaign.rules for s in sends_of(r) for p in s.params
        }

    def check(self) -> None:
        for rule in self.campaign.rules:
            for send in sends_of(rule):
                self._send(rule, send)
        for template in self.campaign.templates:
            self._template(template)

    def _send(self, rule: A.Rule, send: A.Send) -> None:
        channel = self.channels.get(send.channel.name)
        if (
            channel is None
            and send.channel.name in self.templates
            and send.template.name in self.channels
        ):
            self.report(
                "E203",
                "`send` takes the channel first, then the template",
                send.channel.span.cover(send.template.span),
                f"write `send {send.template.name} {send.channel.name}`",
            )
            self.sites.setdefault(send.channel.name, []).append(SendSite(rule, send))
            return
        if channel is None:
            report_unknown_channel(self.report, send.channel, self.channels)
        else:
            absent = [
                (role, name)
                for role, name in (("address", channel.address), ("consent", channel.consent))
                if self.fields_known and name not in self.fields
            ]
            if absent and channel.name not in self.reported_channels:
                self.reported_channels.add(channel.name)
                names = " and ".join(f"its {role} from `{name}`" for role, name in absent)
                self.report(
                    "E708",
                    f"channel `{channel.name}` takes {names}, which the schema does not have",
                    send.channel.span,
                    f"set {' and '.join(r for r, _ in absent)} under "
                    f"[channels.{channel.name}] in winlang.toml",
                )
            self._column_types(channel, send.channel.span)
        template = self.templates.get(send.template.name)
        if template is None:
            near = closest(send.template.name, self.templates)
            if near is not None:  # a typo: don't also call the intended template unused
                self.misspelt.add(near)
            self.report(
                "E202",
                f"unknown template `{send.template.name}`",
                send.template.span,
                f"did you mean `{near}`?"
                if near
                else f'declare it: template {send.template.name} {send.channel.name} "..."',
            )
            return
        self.sites.setdefault(template.name.name, []).append(SendSite(rule, send))
        if channel is not None and template.channel.name != send.channel.name:
            self.report(
                "E402",
                f"template `{template.name.name}` is for "
                f"{template.channel.name}, but this sends it by {send.channel.name}",
                send.template.span,
                f"send it with `send {template.channel.name} {template.name.name}` "
                f"or declare {_a(send.channel.name)} template",
            )
        used = {p.name for p in self._placeholders(template)}
        for param in send.params:
            if param.name.name not in used:
                self.report(
                    "W406",
                    f"template `{template.name.name}` has no "
                    f"`{{{param.name.name}}}`, so this value is unused",
                    param.name.span,
                    None,
                )

    def _column_types(self, channel: Channel, span: A.Span) -> None:
        """E709 once per channel whose consent or address column has a type it can't have."""
        if channel.name in self.reported_channels:
            return
        problems = [
            problem
            for problem in (
                consent_type_problem(
                    channel.name, channel.consent, self.field_types.get(channel.consent)
                ),
                address_type_problem(
                    channel.name, channel.address, self.field_types.get(channel.address)
                ),
            )
            if problem is not None
        ]
        if problems:
            self.reported_channels.add(channel.name)
            self.report(
                "E709",
                "; ".join(problems),
                span,
                f"map another column under [channels.{channel.name}] in winlang.toml",
            )

    def _placeholders(self, template: A.Template) -> list[Placeholder]:
        parts = [template.body] + ([template.subject] if template.subject else [])
        return [p for part in parts for p in scan(part.value) if isinstance(p, Placeholder)]

    def _template(self, template: A.Template) -> None:
        channel = self.channels.get(template.channel.name)
        name = template.name.name
        if channel is None:
            report_unknown_channel(self.report, template.channel, self.channels)
        elif channel.kind == "email" and template.subject is None:
            self.report(
                "E409",
                f"email template `{name}` has no subject",
                template.span,
                f'write `template {name} email subject "..." body "..."`',
            )
        elif channel.kind != "email" and template.subject is not None:
            self.report(
                "E409",
                f"a {channel.kind} message has no subject",
                template.subject.span,
                f'write `template {name} {channel.name} "text"`',
            )
        sites = self.sites.get(name, [])
        if not sites and name not in self.misspelt:
            self.report(
                "W408",
                f"template `{name}` is never sent",
                template.name.span,
                f"send it from a rule (`then send {template.channel.name} {name}`) or remove it",
            )
        parts = [template.body] + ([template.subject] if template.subject else [])
        for part in parts:
            self._placeholders_of(template, part, sites)
        if channel is not None and channel.kind == "email" and is_html(template.body):
            self._html_spots(template.body)
        if channel is not None and channel.kind == "sms":
            self._sms_size(template, sites)
        if channel is not None:
            self._unsubscribe_required(template, channel)

    def _unsubscribe_required(self, template: A.Template, channel: Channel) -> None:
        """W415 when ``[tracking] require_unsubscribe`` names the template's channel (or its
        kind) and the template has no ``{unsubscribe}``."""
        required = self.tracking.require_unsubscribe if self.tracking else ()
        if channel.name not in required and channel.kind not in required:
            return
        texts = [template.body] + ([template.subject] if template.subject else [])
        if any("unsubscribe" in placeholder_names(t.value) for t in texts):
            return
        self.report(
            "W415",
            f"{channel.kind} template `{template.name.name}` has no `{{unsubscribe}}`, which "
            f"[tracking] require_unsubscribe asks of {channel.name} messages",
            template.name.span,
            "add a way out, e.g. ` Stop: {unsubscribe}` (the customer's own signed link)",
        )

    def _html_spots(self, body: A.TemplateText) -> None:
        """E411 where an HTML body puts a value where escaping can't contain it."""
        placeholders = [p for p in scan(body.value) if isinstance(p, Placeholder)]
        spots = unsafe_html_spots(body.value, (p.start for p in placeholders))
        for found in placeholders:
            spot = spots.get(found.start)
            if spot is None:
                continue
            line = body.value.count("\n", 0, found.start) + 1
            where = f" in {body.path} line {line}" if body.path else ""
            self.report(
                "E411",
                f"`{{{found.name}}}`{where} is {spot}: a value there can change the markup",
                text_span(body, found.start, found.end),
                'put values in text or in a quoted attribute value: `<a href="{link}">`',
            )

    def _placeholders_of(
        self, template: A.Template, part: A.TemplateText, sites: list[SendSite]
    ) -> None:
        line, counted = 1, 0
        for found in scan(part.value):
            span = text_span(part, found.start, found.end)
            # a placeholder in a body file is pointed at by the file's line, as editors count
            line += part.value.count("\n", counted, found.start)  # counted once: not n²
            counted = found.start
            where = f" in {part.path} line {line}" if part.path else ""
            if isinstance(found, Malformed):
                fixed = re.sub(r"\s+", "_", found.text.strip()).lower()
                self.report(
                    "E407",
                    f"`{{{found.text}}}`{where} is not a placeholder",
                    span,
                    f"placeholders are lower-case names: `{{{fixed}}}`",
                )
                continue
            if isinstance(found, OtherFormat):
                if found.name in self.fields | self.all_params | LINKS:
                    self.report(
                        "E412",
                        f"`{found.spec}`{where} is not a format",
                        span,
                        f"formats: {', '.join(FORMATS)} (`{{{found.name}:number}}`)",
                    )
                continue  # CSS such as `a{color:red}`: not a placeholder
            if found.spec is not None:
                self._spec(found, span, where, sites)
            if found.name == "link":
                if self.link is None:
                    self.report(
                        "E403",
                        f"`{{link}}`{where} needs the campaign's `link`",
                        span,
                        'add `link "https://..."` after the campaign header',
                    )
                continue
            if found.name == "unsubscribe":
                if self.tracking is None:
                    self.report(
                        "E414",
                        f"`{{unsubscribe}}`{where} needs [tracking] in winlang.toml",
                        span,
                        'add [tracking] with base_url = "https://go.example.com" (the address '
                        "`winlang serve` answers at); see docs/tracking.md",
                    )
                continue
            if found.name in self.fields:
                continue
            missing = [s for s in sites if found.name not in {p.name.name for p in s.send.params}]
            if sites and not missing:
                continue
            if sites and len(missing) < len(sites):
                for site in missing:
                    self.report(
                        "E405",
                        f"template `{template.name.name}` uses "
                        f"`{{{found.name}}}`, which this send does not give",
                        site.send.template.span,
                        f"add `with {found.name} = ...`",
                    )
                continue
            if not self.fields_known:
                continue  # no schema: it may be a field (W707 says fields were not checked)
            if not sites and not closest(found.name, self.fields):
                continue  # never sent: a future `with` may give it; only a field typo is sure
            if not (self.fields_known or sites):
                continue
            if getattr(self.report, "full", False):  # only counted now: no hint to work out
                self.report("E401", "", span, None)
                continue
            known = (self.fields | self.all_params | LINKS) - {found.name}
            hint = did_you_mean(found.name, known) or (
                f"a placeholder is a customer field, a `with` parameter of the send, or "
                f"{{link}}; to pass a value: `send ... {template.name.name} with "
                f"{found.name} = ...`"
            )
            self.report(
                "E401",
                f"`{{{found.name}}}`{where} is not a field or a `with` parameter",
                span,
                hint,
            )

    def _spec(self, found: Placeholder, span: A.Span, where: str, sites: list[SendSite]) -> None:
        """E412 for a spec that can't be used, E413 for one on a value of another type."""
        try:
            spec = parse_spec(found.spec or "")
        except SpecError as error:
            self.report("E412", f"{error}{where}", span, error.hint)
            return
        for value_type in self._types_of(found.name, sites):
            problem = type_problem(spec, value_type)
            if problem is not None:
                self.report(
                    "E413",
                    f"`{{{found.name}:{found.spec}}}`{where}: {problem}",
                    span,
                    _spec_hint(value_type),
                )
                return

    def _types_of(self, name: str, sites: list[SendSite]) -> list[Type]:
        """The known types a placeholder's value has: its `with` values', else the field's."""
        if self.typer is None:
            return []
        given = [p.value for s in sites for p in s.send.params if p.name.name == name]
        if name in LINKS and not given:
            return [TEXT]
        if given:
            found = [self.typer.type_of(value) for value in given]
        elif name in self.typer.env.symbols:
            found = [self.typer.symbol_type(self.typer.env.symbols[name])]
        else:
            return []
        return [t for t in found if t.kind not in ("unknown", "null")]

    def _sms_size(self, template: A.Template, sites: list[SendSite]) -> None:
        """Measure the template as sent by each rule, with placeholders estimated: E502 when
        it is over the limit as written, W503 when a fallback can push it over the limit or
        a fallback or literal `with` value makes it UCS-2, else W501 past one part."""
        estimates = [self._estimate(template, site) for site in sites or [None]]
        worst = max(estimates, key=lambda e: (e.full.parts, e.certain.parts))
        name = template.name.name
        most = self.limits.sms_max_parts
        detail = self._detail
        certain = max(estimates, key=lambda e: e.certain.parts)
        if certain.certain.parts > most:
            size = certain.certain
            self.report(
                "E502",
                f"SMS template `{name}` takes {size.parts} parts ({detail(size)}); "
                f"the maximum is {most}",
                template.body.span,
                _shorten_hint(size, certain.certain_text, most),
            )
            return
        pushed = next((e for e in estimates if e.full.parts > most and e.culprit), None)
        flipped = next((e for e in estimates if e.flipped and e.culprit), None)
        if pushed is not None or flipped is not None:
            self._value_warning(template, pushed or flipped, most)
            return
        if worst.full.parts <= 1:
            return
        size = worst.full
        self.report(
            "W501",
            f"SMS template `{name}` takes {size.parts} parts ({detail(size)}), "
            "each billed as one message",
            template.body.span,
            _shorten_hint(size, worst.full_text, 1),
        )

    def _detail(self, size: SmsSize) -> str:
        length = self.limits.sms_placeholder_length
        return (
            f"{size.encoding}, {size.characters} characters, counting each field "
            f"placeholder as {length}"
        )

    def _value_warning(self, template: A.Template, estimate: _Estimate, most: int) -> None:
        """W503: a fallback or `with` value, not the template itself, makes the SMS UCS-2 or
        longer than the maximum; the messages it is in are not sent (``too_long``)."""
        size, what = estimate.full, estimate.culprit
        name = template.name.name
        odd = [ch for ch in what.value if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION]
        if size.parts > most:
            effect = (
                f"takes {size.parts} parts, over the maximum of {most}: those messages are "
                "not sent (skipped as `too_long`)"
            )
        else:
            effect = (
                f"is sent as UCS-2 ({size.parts} part{'s' if size.parts != 1 else ''}, "
                f"{size.characters} characters; as GSM-7 it takes {estimate.own.parts})"
            )
        if odd:
            shown = ", ".join(f"`{ch}`" for ch in dict.fromkeys(odd))
            hint = (
                f"replace {shown} with plain letters: one character outside GSM-7 makes the "
                "whole message UCS-2 (70 characters a message, 67 a part, instead of 160)"
            )
        else:
            hint = (
                f"shorten it (to {len(what.value) - size.characters + PART['GSM-7'] * most} "
                "characters or fewer), or raise `sms_max_parts` under [limits] in winlang.toml"
            )
        self.report(
            "W503",
            f"with {what.describe()}, SMS template `{name}` {effect}",
            template.body.span,
            hint,
        )

    def _estimate(self, template: A.Template, site: SendSite | None) -> _Estimate:
        """The template's text three ways: ``own`` (every placeholder a plain filler),
        ``certain`` (literal `with` values as written) and ``full`` (fallbacks too, where
        longer than the filler or not GSM-7), and the value that changes it most."""
        link = self.link
        params = {p.name.name: p.value for p in site.send.params} if site else {}
        rule = site.rule.name.name if site else "rule"
        filler = "x" * self.limits.sms_placeholder_length
        own: dict[str, str] = {}
        certain: dict[str, str] = {}
        full: dict[str, str] = {}
        values: list[_Value] = []
        for found in scan(template.body.value):
            if not isinstance(found, Placeholder):
                continue
            if found.name == "link" and link is not None:
                own["link"] = certain["link"] = full["link"] = self._link_text(
                    str(link.value), rule
                )
            elif found.name == "unsubscribe" and self.tracking is not None:
                size = unsubscribe_link_length(self.tracking.base_url)
                own["unsubscribe"] = certain["unsubscribe"] = full["unsubscribe"] = "x" * size
            elif isinstance(params.get(found.name), A.Number | A.Text):
                literal = _literal_text(params[found.name].value)
                own[found.name] = filler
                certain[found.name] = full[found.name] = literal
                values.append(_Value(found.name, literal, "with"))
            elif found.name not in full:
                own[found.name] = certain[found.name] = filler
                fallback = found.fallback or ""
                full[found.name] = filler
                if len(fallback) > len(filler) or not _gsm(fallback):
                    full[found.name] = fallback + filler[len(fallback) :]
                    values.append(_Value(found.name, fallback, "fallback"))
        texts = [render(template.body.value, v) for v in (own, certain, full)]
        sizes = [measure(t) for t in texts]
        fallbacks = [v for v in values if v.kind == "fallback"]
        culprit = next((v for v in values if not _gsm(v.value)), None) or max(
            fallbacks, key=lambda v: len(v.value), default=None
        )
        return _Estimate(*sizes, texts[1], texts[2], culprit)

    def _link_text(self, link: str, rule: str) -> str:
        """What ``{link}`` is as long as: the short link with ``[tracking]``, else the
        campaign's link with its tracking parameters."""
        if self.tracking is not None:
            return "x" * short_link_length(self.tracking.base_url)
        return tracking_link(link, self.campaign_name, rule, "x" * MESSAGE_ID_LENGTH)


@frozen(slots=True)
class _Value:
    """A fallback or literal `with` value that goes into an SMS as written."""

    placeholder: str
    value: str
    kind: str  # "fallback" or "with"

    def describe(self) -> str:
        if self.kind == "with":
            return f'`with {self.placeholder} = "{self.value}"`'
        return f"the fallback `{self.value}` of `{{{self.placeholder}}}`"


@frozen(slots=True)
class _Estimate:
    """An SMS's size: its own text, with the placeholders it is sure of, and at most."""

    own: SmsSize
    certain: SmsSize
    full: SmsSize
    certain_text: str
    full_text: str
    culprit: _Value | None

    @property
    def flipped(self) -> bool:
        """Made UCS-2 by a value, the template's own text being GSM-7."""
        return self.own.encoding == "GSM-7" and self.full.encoding == "UCS-2"


def _gsm(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def report_unknown_channel(report: Reporter, channel: A.Ident, channels: Iterable[str]) -> None:
    """E203 at a channel name that is not configured, with the nearest known one."""
    hint = channel_hint(channel.name, channels)
    report("E203", f"unknown channel `{channel.name}`", channel.span, hint)


def channel_hint(name: str, channels: Iterable[str]) -> str:
    """A suggestion for a mistyped channel; channel names are short, so one slip is enough."""
    known = list(channels)
    near = closest(name, known) or next((c for c in known if one_slip(name, c)), None)
    if near:
        return f"did you mean `{near}`?"
    return f"channels: {', '.join(known)} (add more in winlang.toml)"


def _spec_hint(value_type: Type) -> str:
    """Which formats fit a value of ``value_type``."""
    if value_type == NUMBER:
        return "numbers take `number`, `percent` or `currency:CODE`"
    if value_type in (TIMESTAMP, DATE):
        return "times take `date`, `time` or `datetime` (dates only `date`)"
    return f"{value_type} values take no format: write the placeholder without one"


def _shorten_hint(size: SmsSize, text: str, parts: int) -> str:
    """How far to shorten, and whether a stray character is what makes the text UCS-2."""
    if parts == 1:
        hint = f"to send one message, shorten it to {SINGLE[size.encoding]} characters or fewer"
    else:
        hint = f"shorten it to {PART[size.encoding] * parts} characters or fewer"
    odd = [ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION]
    if any(ch in ROMANIAN_PLAIN for ch in odd):
        romanian = _romanian_hint(text, odd)
        if romanian is not None:
            return romanian
    if size.first_non_gsm and len(odd) <= 3:  # a stray curly quote or emoji, not Korean text
        stray = dict.fromkeys(odd)
        shown = ", ".join(f"`{ch}`" for ch in stray)
        plain = measure("".join(ch for ch in text if ch not in stray))
        return (
            f"replace {shown} with a plain character: it makes the text UCS-2 (70 characters a "
            f"message, 67 a part); without it the text is GSM-7 and takes {plain.parts} "
            f"part{'s' if plain.parts != 1 else ''}"
        )
    if size.first_non_gsm:
        return f"{hint} (Korean and other non-Latin text is sent as UCS-2: 70 a message, 67 a part)"
    return f"{hint} (GSM-7: 160 a message, 153 a part)"


def _romanian_hint(text: str, odd: list[str]) -> str | None:
    """Romanian diacritics (and at most three other stray characters) are what make ``text``
    UCS-2: name them and the plain letters that keep it GSM-7."""
    plain_text = without_romanian_diacritics(text)
    stray = [ch for ch in plain_text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION]
    if len(stray) > 3:  # Romanian mixed with other non-Latin text: UCS-2 anyway
        return None
    letters = list(dict.fromkeys(ch for ch in odd if ch in ROMANIAN_PLAIN))
    plain_letters = list(dict.fromkeys(ROMANIAN_PLAIN[ch] for ch in letters))
    others = list(dict.fromkeys(stray))
    plain = measure("".join(ch for ch in plain_text if ch not in others))
    replace = f" (and replace {_words(others)} with a plain character)" if others else ""
    what = "is a Romanian letter" if len(letters) == 1 else "are Romanian letters"
    return (
        f"{_words(letters)} {what} outside the GSM-7 alphabet: the text is sent as UCS-2 "
        f"(70 characters a message, 67 a part); write {_words(plain_letters)} instead{replace} "
        f"and it is GSM-7 in {plain.parts} part{'s' if plain.parts != 1 else ''}"
    )


def _words(items: list[str]) -> str:
    """```ă`, `ț` and `î```."""
    quoted = [f"`{item}`" for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _a(word: str) -> str:
    """``a push``, ``an sms``, ``an email``: by the sound of the word as said aloud."""
    return ("an " if word[0] in "aeiosx" else "a ") + word


def _literal_text(value: object) -> str:
    """How a literal `with` value prints: ``15`` not ``15.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---- the send chain: the one walk over a rule's arms and `send ... else send ...` -----------


def arms_of(rule: A.Rule) -> tuple[tuple[float, tuple[A.Action, ...]], ...]:
    """(share in percent, actions) of each arm of ``rule``, in order; a rule without
    ``split`` is one arm of 100%."""
    if isinstance(rule.actions, A.Split):
        return tuple((arm.percent, arm.actions) for arm in rule.actions.arms)
    return ((100.0, rule.actions),)


def failovers(send: A.Send | None) -> Iterator[A.Send]:
    """``send``, then each ``else send`` after it: the steps of a chain in the order tried."""
    while send is not None:
        yield send
        send = send.fallback


def send_chain(actions: tuple[A.Action, ...]) -> tuple[A.Send, ...]:
    """The message of an arm: its first ``send`` and that send's failovers (empty when the
    arm sends nothing). A later ``send`` of the same arm is checked but never sent."""
    return tuple(failovers(next((a for a in actions if isinstance(a, A.Send)), None)))


def sends_of(rule: A.Rule) -> Iterator[A.Send]:
    """Every `send` of a rule, failovers included, in order."""
    for _, actions in arms_of(rule):
        for action in actions:
            if isinstance(action, A.Send):
                yield from failovers(action)


def channels_sent_on(campaign: A.CampaignFile) -> list[str]:
    """Every channel a rule of ``campaign`` may send on, failovers included, in order."""
    found = (send.channel.name for rule in campaign.rules for send in sends_of(rule))
    return list(dict.fromkeys(found))
