"""Template checks: placeholders, the channel a template is sent on, `with` parameters, SMS size.

A placeholder is ``{name}`` or ``{name|fallback text}``; ``{{`` and ``}}`` are literal braces.
Other brace text that does not look like a name attempt (CSS in an HTML body) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .. import ast as A
from ..config import Channel, Limits
from ..links import MESSAGE_ID_LENGTH, tracking_link
from ..suggest import closest, did_you_mean
from .expressions import Reporter
from .sms import GSM7_BASIC, GSM7_EXTENSION, PART, SINGLE, SmsSize, measure

_BRACES = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}")
_PLACEHOLDER = re.compile(r"([a-z_][a-z0-9_]*)(?:\|(.*))?", re.S)
_NAME_ATTEMPT = re.compile(r"\s*[A-Za-z_][\w ]{0,40}(\|.*)?", re.S)


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    fallback: str | None
    start: int  # index of `{` in the template text
    end: int  # index after `}`


@dataclass(frozen=True, slots=True)
class Malformed:
    text: str
    start: int
    end: int


def scan(text: str) -> Iterator[Placeholder | Malformed]:
    """The placeholders of a template text, in order.

    >>> [p.name for p in scan("Hi {first_name|there}, {{not}} {discount}%")]
    ['first_name', 'discount']
    """
    for match in _BRACES.finditer(text):
        inner = match.group(1)
        if inner is None:
            continue
        if placeholder := _PLACEHOLDER.fullmatch(inner):
            yield Placeholder(placeholder[1], placeholder[2], match.start(), match.end())
        elif _NAME_ATTEMPT.fullmatch(inner):
            yield Malformed(inner, match.start(), match.end())


def render(text: str, values: dict[str, str]) -> str:
    """Fill placeholders from ``values``; a missing or empty value takes the fallback.

    >>> render("Hi {first_name|there} {{x}}", {"first_name": ""})
    'Hi there {x}'
    """
    pieces = _pieces(text)
    if len(pieces) == 1 and isinstance(pieces[0], str):
        return pieces[0]
    return "".join(
        piece if isinstance(piece, str) else (values.get(piece[0]) or piece[1]) for piece in pieces
    )


@lru_cache(maxsize=4096)
def _pieces(text: str) -> tuple[str | tuple[str, str], ...]:
    """``text`` cut once into literal text and (placeholder, fallback) pairs, so rendering
    the same template for a hundred thousand customers is a join, not a regex pass each."""
    pieces: list[str | tuple[str, str]] = []
    literal, position = [], 0
    for match in _BRACES.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        whole = match.group(0)
        placeholder = _PLACEHOLDER.fullmatch(match.group(1) or "")
        if whole in ("{{", "}}"):
            literal.append(whole[0])
        elif not placeholder:
            literal.append(whole)
        else:
            pieces += ["".join(literal), (placeholder[1], placeholder[2] or "")]
            literal = []
    pieces.append("".join(literal) + text[position:])
    return tuple(p for p in pieces if p != "")


def text_span(text: A.TemplateText, start: int, end: int) -> A.Span:
    """The source span of ``text.value[start:end]`` (the ``file "..."`` string for files)."""
    if text.offsets is None or not text.offsets:
        return text.span
    first = text.offsets[min(start, len(text.offsets) - 1)]
    last = text.offsets[min(end, len(text.offsets)) - 1] + 1
    column = text.span.column + (first - text.span.start)
    return A.Span(first, last, text.span.line, column, text.span.line, column + (last - first))


@dataclass(frozen=True)
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
    ) -> None:
        self.campaign = campaign
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
        if channel is not None and channel.kind == "sms":
            self._sms_size(template, sites)

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
            if found.name == "link":
                if self.link is None:
                    self.report(
                        "E403",
                        f"`{{link}}`{where} needs the campaign's `link`",
                        span,
                        'add `link "https://..."` after the campaign header',
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
            if not sites and not (self.fields_known and closest(found.name, self.fields)):
                continue  # never sent: a future `with` may give it; only a field typo is sure
            if not (self.fields_known or sites):
                continue
            if getattr(self.report, "full", False):  # only counted now: no hint to work out
                self.report("E401", "", span, None)
                continue
            known = (self.fields | self.all_params | {"link"}) - {found.name}
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

    def _sms_size(self, template: A.Template, sites: list[SendSite]) -> None:
        """Measure the template as sent by each rule, with placeholders estimated."""
        worst: tuple[SmsSize, str] | None = None
        for site in sites or [None]:
            text = self._estimate(template, site)
            size = measure(text)
            if worst is None or size.parts > worst[0].parts:
                worst = (size, text)
        if worst is None or worst[0].parts <= 1:
            return
        size, text = worst
        name = template.name.name
        length = self.limits.sms_placeholder_length
        detail = (
            f"{size.encoding}, {size.characters} characters, counting each field "
            f"placeholder as {length}"
        )
        most = self.limits.sms_max_parts
        if size.parts > most:
            self.report(
                "E502",
                f"SMS template `{name}` takes {size.parts} parts ({detail}); the maximum is {most}",
                template.body.span,
                _shorten_hint(size, text, most),
            )
        else:
            self.report(
                "W501",
                f"SMS template `{name}` takes {size.parts} parts ({detail}), "
                "each billed as one message",
                template.body.span,
                _shorten_hint(size, text, 1),
            )

    def _estimate(self, template: A.Template, site: SendSite | None) -> str:
        link = self.link
        params = {p.name.name: p.value for p in site.send.params} if site else {}
        rule = site.rule.name.name if site else "rule"
        values: dict[str, str] = {}
        for found in scan(template.body.value):
            if not isinstance(found, Placeholder):
                continue
            if found.name == "link" and link is not None:
                values["link"] = tracking_link(
                    str(link.value), self.campaign_name, rule, "x" * MESSAGE_ID_LENGTH
                )
            elif isinstance(params.get(found.name), A.Number | A.Text):
                values[found.name] = _literal_text(params[found.name].value)
            else:
                guess = "x" * self.limits.sms_placeholder_length
                values[found.name] = max(guess, found.fallback or "", key=len)
        return render(template.body.value, values)


def report_unknown_channel(report: Reporter, channel: A.Ident, channels: Iterable[str]) -> None:
    """E203 at a channel name that is not configured, with the nearest known one."""
    hint = channel_hint(channel.name, channels)
    report("E203", f"unknown channel `{channel.name}`", channel.span, hint)


def channel_hint(name: str, channels: Iterable[str]) -> str:
    """A suggestion for a mistyped channel; channel names are short, so one slip is enough."""
    known = list(channels)
    near = closest(name, known) or next((c for c in known if _one_slip(name, c)), None)
    if near:
        return f"did you mean `{near}`?"
    return f"channels: {', '.join(known)} (add more in winlang.toml)"


def _one_slip(a: str, b: str) -> bool:
    """One letter wrong, missing, extra, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _shorten_hint(size: SmsSize, text: str, parts: int) -> str:
    """How far to shorten, and whether a stray character is what makes the text UCS-2."""
    if parts == 1:
        hint = f"to send one message, shorten it to {SINGLE[size.encoding]} characters or fewer"
    else:
        hint = f"shorten it to {PART[size.encoding] * parts} characters or fewer"
    odd = [ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION]
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


def _a(word: str) -> str:
    """``a push``, ``an sms``, ``an email``: by the sound of the word as said aloud."""
    return ("an " if word[0] in "aeiosx" else "a ") + word


def _literal_text(value: object) -> str:
    """How a literal `with` value prints: ``15`` not ``15.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def sends_of(rule: A.Rule) -> Iterator[A.Send]:
    """Every `send` of a rule, failovers included, in order."""
    actions = rule.actions
    groups = [arm.actions for arm in actions.arms] if isinstance(actions, A.Split) else [actions]
    for group in groups:
        for action in group:
            send = action
            while isinstance(send, A.Send):
                yield send
                send = send.fallback
