"""Render a template for a slice of customers into :class:`Message` objects.

A template is compiled once per run (:func:`compile_template`): each text becomes literal
parts and placeholder slots, each slot with its context (HTML-escaped in an HTML email body,
one line in a subject, as it is in plain text and SMS), its format spec and its fallback.
A slice of rows is then rendered column by column (:func:`render_messages`): each value
column is shown, formatted and escaped once per *distinct* value
(:class:`~winlang.deliver.columns.Distinct`), and each row's text is the join of its parts.
:func:`render_message` is the same for one customer.

Placeholders take the customer's field values, the send's ``with`` values (which win over a
field of the same name) and ``{link}``: the campaign link with tracking parameters for this
message. SMS messages are measured again on the rendered text, since names and links change
the length and a single Korean name makes a GSM-7 text UCS-2.

Values are put in by context: into an HTML email body escaped with MarkupSafe (fields,
``with`` values, fallbacks and the link alike, so a name can't add markup and a link can't
leave its ``href="..."``); into a subject (a header) on one line, each run of control
characters a space; into plain text and SMS as they are. A value is first shown as text:
by its placeholder's format spec (``{discount:percent}``) with Babel in the campaign's
locale, else as people write it (:func:`text_of`); escaping comes after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from itertools import repeat

import numpy as np
from markupsafe import escape

from .. import ast as A
from ..addresses import has_control_characters, header_text
from ..check.sms import measure
from ..check.templates import Show, is_html, placeholder_names, text_pieces
from ..contracts.message import Message, idempotency_key
from ..formats import DEFAULT_LOCALE, FormatSpec, parse_spec
from ..links import Tracking, message_id, tracking_link
from .columns import Distinct

_THOUSANDTH = Decimal("0.001")


def text_of(value: object) -> str:
    """How a value prints without a format spec: as people write it, the same in every
    locale (so ids, years and codes never get a thousands separator).

    Numbers at most 3 decimals and no float noise, ``15`` not ``15.0``; a timestamp as its
    UTC date and time to the minute; a midnight timestamp (a date column) as a date;
    ``true``/``false``; nothing for null (so the placeholder's fallback applies).

    >>> text_of(15.0), text_of(None), text_of(100 / 3), text_of(0.1 + 0.2), text_of(True)
    ('15', '', '33.333', '0.3', 'true')
    >>> text_of(datetime(2026, 8, 5, 11, 26, 28, 399000)), text_of(datetime(1997, 1, 1))
    ('2026-08-05 11:26', '1997-01-01')
    """
    if value is None:
        return ""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # a NumPy scalar
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _plain_number(value)
    if isinstance(value, datetime):
        moment = _utc(value)
        if moment.time() == time(0):
            return moment.date().isoformat()
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plain_number(value: float | Decimal) -> str:
    """``value`` rounded to 3 decimals, without trailing zeros or a thousands separator."""
    try:
        exact = Decimal(repr(value)) if isinstance(value, float) else value
        if not exact.is_finite():
            return "" if exact.is_nan() else str(value)
        rounded = exact.quantize(_THOUSANDTH, ROUND_HALF_EVEN)
    except InvalidOperation:  # nan, infinity, or too large to quantize
        return "" if value != value else str(value)
    if rounded == 0:
        return "0"
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _utc(moment: datetime) -> datetime:
    """A timestamp in UTC; a naive one is UTC already (the store's convention)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def formatted(value: object, spec: FormatSpec, locale: str) -> str:
    """``value`` formatted by ``spec`` in ``locale`` with Babel (CLDR); a value the spec does
    not fit (text in a number column of a store without a schema) prints as :func:`text_of`.

    >>> percent, won = parse_spec("percent"), parse_spec("currency:KRW")
    >>> formatted(0.15, percent, "ro_RO"), formatted(1500, won, "ko_KR")
    ('15\xa0%', '₩1,500')
    """
    from babel import dates, numbers

    if value is None:
        return ""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    where = _locale(locale)
    try:
        match spec.format:
            case "number" | "percent" | "currency" if isinstance(value, bool):
                return text_of(value)
            case "number":
                return numbers.format_decimal(value, locale=where)
            case "percent":  # up to 2 decimals, as needed: 12.5%, 33.33%, 15%
                exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
                shown = exact.quantize(Decimal("0.0001"), ROUND_HALF_EVEN)
                return numbers.format_percent(shown, locale=where, decimal_quantization=False)
            case "currency":
                return numbers.format_currency(value, spec.currency, locale=where)
            case "date" if isinstance(value, datetime):
                return dates.format_date(_utc(value).date(), spec.style, locale=where)
            case "date" if isinstance(value, date):
                return dates.format_date(value, spec.style, locale=where)
            case "time" | "datetime" if isinstance(value, datetime):
                write = dates.format_time if spec.format == "time" else dates.format_datetime
                return write(_utc(value), spec.style, tzinfo=UTC, locale=where)
    except (TypeError, ValueError, ArithmeticError):
        pass
    return text_of(value)


@lru_cache(maxsize=64)
def _locale(name: str):
    from babel import Locale

    return Locale.parse(name.replace("-", "_"))


@lru_cache(maxsize=64)
def shower(locale: str) -> Show:
    """How placeholders show values in ``locale``: by their spec, or as :func:`text_of`."""

    def show(value: object, spec: str | None) -> str:
        if spec is None:
            # text as it is: the common case, checked first (once per placeholder and message)
            return value if type(value) is str else text_of(value)
        return formatted(value, parse_spec(spec), locale)

    return show


@dataclass(frozen=True, slots=True)
class Slot:
    """A placeholder of a compiled text: the value it shows, its format spec, its fallback."""

    name: str
    fallback: str  # "" when none: an empty value then stays empty
    spec: str | None


@dataclass(frozen=True, slots=True)
class CompiledText:
    """A template text cut once into literal parts and :class:`Slot` s, with the context its
    values go into: ``escape`` (HTML) applied to each value put in, ``one_line`` (a header)
    applied to the whole text."""

    pieces: tuple[str | Slot, ...]
    escape: Callable[[str], str] | None = None
    one_line: bool = False

    @classmethod
    def of(
        cls, text: str, escape: Callable[[str], str] | None = None, one_line: bool = False
    ) -> CompiledText:
        pieces = tuple(p if isinstance(p, str) else Slot(*p) for p in text_pieces(text))
        return cls(pieces, escape, one_line)

    def fill(
        self, columns: Mapping[str, Distinct | Sequence[str]], size: int, show: Show
    ) -> list[str]:
        """The text of each of ``size`` rows. ``columns`` maps a placeholder to its values:
        a :class:`Distinct` column (each distinct value shown and escaped once) or one text
        per row (a link); a placeholder without a column shows its fallback."""
        parts: list[str | list[str]] = []
        broken = False  # one_line: whether some row's text may hold a control character
        for piece in self.pieces:
            if isinstance(piece, str):
                texts: str | list[str] = piece
                seen: Iterable[str] = (piece,)
            else:
                turn = self._turner(piece, show)
                column = columns.get(piece.name)
                if column is None:
                    texts = turn(None)
                    seen = (texts,)
                elif isinstance(column, Distinct):
                    seen, texts = column.mapped(turn)
                else:
                    texts = seen = [turn(value) for value in column]
            if self.one_line and not broken:
                broken = any(has_control_characters(text) for text in seen)
            if isinstance(texts, str) and parts and isinstance(parts[-1], str):
                parts[-1] += texts  # constants next to each other: one part
            else:
                parts.append(texts)
        if all(isinstance(part, str) for part in parts):
            filled = ["".join(parts)] * size  # type: ignore[arg-type]
        elif len(parts) == 1:
            filled = parts[0]  # type: ignore[assignment]
        else:
            filled = list(map("".join, zip(*(_each(p) for p in parts), strict=False)))
        return [header_text(text) for text in filled] if broken else filled

    def _turner(self, slot: Slot, show: Show) -> Callable[[object], str]:
        """How ``slot`` puts a value in: shown by its spec, else its fallback; escaped."""
        spec, fallback, escape_value = slot.spec, slot.fallback, self.escape
        if escape_value is None:
            return lambda value: show(value, spec) or fallback
        return lambda value: escape_value(show(value, spec) or fallback)


def _each(part: str | list[str]) -> Iterable[str]:
    """A part for every row: a literal repeated, or the rows' texts."""
    return repeat(part) if isinstance(part, str) else part


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A template compiled for the channel kind it is sent on and the campaign's locale."""

    name: str
    kind: str
    body: CompiledText
    subject: CompiledText | None
    html: bool  # an HTML email body: its values escaped
    unsubscribe: bool  # with [tracking], its messages carry an unsubscribe link
    show: Show


def compile_template(
    template: A.Template, kind: str, locale: str = DEFAULT_LOCALE
) -> CompiledTemplate:
    """``template`` compiled once for the messages it renders on a channel of ``kind``."""
    html = kind == "email" and is_html(template.body)
    subject = template.subject
    return CompiledTemplate(
        template.name.name,
        kind,
        CompiledText.of(template.body.value, _html_escape if html else None),
        CompiledText.of(subject.value, one_line=True) if subject is not None else None,
        html,
        kind == "email" or _uses_unsubscribe(template),
        shower(locale),
    )


@dataclass(frozen=True, slots=True)
class Recipients:
    """Who the messages of a slice go to, one item per message: its idempotency key, the
    key of the firing whose message id its links carry (the ledger row's: every step of a
    send chain links to the one row), the customer, the address and the A/B variant."""

    keys: Sequence[str]
    firing_keys: Sequence[str]
    customers: Sequence[str]
    to: Sequence[str]
    variants: Sequence[str | None]


def render_messages(
    template: CompiledTemplate,
    *,
    campaign: str,
    rule: str,
    channel: str,
    link: str | None,
    tracking: Tracking | None,
    recipients: Recipients,
    values: Mapping[str, Distinct],
) -> list[Message]:
    """The message of each of ``recipients`` from ``template`` on ``channel``; ``values``
    maps each placeholder name to its column (fields, then `with` values over them).

    With ``link``, ``{link}`` is the campaign link with this message's tracking parameters;
    with ``tracking``, ``{link}`` is the short link and the tracked link goes into the
    message's ``metadata`` (``link``) for `winlang serve` to redirect to; an email, and any
    message whose template has ``{unsubscribe}``, gets its unsubscribe link (``metadata``
    ``unsubscribe``: the email's ``List-Unsubscribe`` header).
    """
    size = len(recipients.keys)
    columns: dict[str, Distinct | Sequence[str]] = dict(values)
    metadata: list[dict[str, str]] = [{} for _ in range(size)]
    if link or tracking is not None:
        tokens = [message_id(key) for key in recipients.firing_keys]
        if link:
            links = [tracking_link(link, campaign, rule, token) for token in tokens]
            if tracking is not None:
                for data, tracked in zip(metadata, links, strict=True):
                    data["link"] = tracked
                links = [tracking.short_link(token) for token in tokens]
            columns["link"] = links
        if tracking is not None and template.unsubscribe:
            leave = [tracking.unsubscribe_link(token) for token in tokens]
            for data, unsubscribe in zip(metadata, leave, strict=True):
                data["unsubscribe"] = unsubscribe
            columns["unsubscribe"] = leave
    show = template.show
    bodies = template.body.fill(columns, size, show)
    r = recipients
    # Positional: this runs once per message, and keyword unpacking is most of its cost.
    name = template.name
    if template.subject is not None:
        subjects = template.subject.fill(columns, size, show)
        html = template.html
        rows = zip(r.keys, r.customers, r.to, r.variants, metadata, subjects, bodies, strict=True)
        return [
            Message(
                key, campaign, rule, customer, channel, name, to, None, subject, body, None,
                variant, html, data,
            )
            for key, customer, to, variant, data, subject, body in rows
        ]  # fmt: skip
    parts = _sms_parts(bodies) if template.kind == "sms" else [None] * size
    rows = zip(r.keys, r.customers, r.to, r.variants, metadata, bodies, parts, strict=True)
    return [
        Message(
            key, campaign, rule, customer, channel, name, to, body, None, None, part, variant,
            None, data,
        )
        for key, customer, to, variant, data, body, part in rows
    ]  # fmt: skip


def _sms_parts(texts: Sequence[str]) -> list[int]:
    """The SMS parts of each text (:func:`measure`), measured once per distinct text."""
    known: dict[str, int] = {}
    found = []
    for text in texts:
        parts = known.get(text)
        if parts is None:
            parts = known[text] = measure(text).parts
        found.append(parts)
    return found


_ONE_ROW = np.zeros(1, dtype=np.int64)


def render_message(
    *,
    campaign: str,
    link: str | None,
    rule: str,
    customer_id: object,
    template: A.Template,
    channel: str,
    kind: str,
    to: str,
    fields: Mapping[str, object],
    params: Mapping[str, object],
    occurrence: int = 0,
    variant: str | None = None,
    key: str | None = None,
    locale: str = DEFAULT_LOCALE,
    tracking: Tracking | None = None,
    firing_key: str | None = None,
) -> Message:
    """The message ``rule`` sends ``customer_id`` with ``template`` on ``channel``: one row
    of :func:`render_messages`. Its idempotency key is ``key``, by default the one of the
    firing; its links carry the message id of ``firing_key`` (by default ``key``).

    >>> from winlang.parse import parse_campaign
    >>> c = parse_campaign('campaign "x"\\ntemplate hi sms "Hi {name|you}, {pct}% off"').campaign
    >>> m = render_message(campaign="x", link=None, rule="r", customer_id=7,
    ...     template=c.templates[0], channel="sms", kind="sms", to="+4070",
    ...     fields={"name": None}, params={"pct": 15})
    >>> m.text, m.parts, m.idempotency_key
    ('Hi you, 15% off', 1, 'x/r/7/0')
    >>> c = parse_campaign('campaign "x"\\ntemplate hi email subject "Hi {name}" '
    ...                    'body "<p>Hi {name}</p>"').campaign
    >>> m = render_message(campaign="x", link=None, rule="r", customer_id=7,
    ...     template=c.templates[0], channel="email", kind="email", to="a@b.c",
    ...     fields={"name": "<i>Al</i>\\r\\nBcc: x"}, params={})
    >>> m.body, m.subject, m.html
    ('<p>Hi &lt;i&gt;Al&lt;/i&gt;\\r\\nBcc: x</p>', 'Hi <i>Al</i> Bcc: x', True)
    """
    key = key or idempotency_key(campaign, rule, customer_id, occurrence)
    values = {name: Distinct([value], _ONE_ROW) for name, value in {**fields, **params}.items()}
    recipients = Recipients([key], [firing_key or key], [str(customer_id)], [to], [variant])
    (message,) = render_messages(
        compile_template(template, kind, locale),
        campaign=campaign,
        rule=rule,
        channel=channel,
        link=link,
        tracking=tracking,
        recipients=recipients,
        values=values,
    )
    return message


def _uses_unsubscribe(template: A.Template) -> bool:
    texts = (template.body, template.subject) if template.subject else (template.body,)
    return any("unsubscribe" in placeholder_names(t.value) for t in texts)


def _html_escape(value: str) -> str:
    """``value`` as HTML text or a quoted attribute value: ``& < > " '`` escaped."""
    return str(escape(value))
