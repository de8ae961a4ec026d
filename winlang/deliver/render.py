"""Render a template for one customer into a :class:`Message`.

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

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from markupsafe import escape

from .. import ast as A
from ..addresses import header_text
from ..check.sms import measure
from ..check.templates import Show, is_html, placeholder_names, render
from ..contracts.message import Message, idempotency_key
from ..formats import DEFAULT_LOCALE, FormatSpec, parse_spec
from ..links import Tracking, message_id, tracking_link

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
    """The message ``rule`` sends ``customer_id`` with ``template`` on ``channel``; its
    idempotency key is ``key``, by default the one of the firing. Its links carry the message
    id of ``firing_key`` (the ledger row's key; by default ``key``): every step of a send
    chain links to the one row, which says which step was sent.

    With ``tracking``, ``{link}`` is the short link and the tracked link goes into the
    message's ``metadata`` (``link``) for `winlang serve` to redirect to; an email, and any
    message whose template has ``{unsubscribe}``, gets its unsubscribe link (``metadata``
    ``unsubscribe``: the email's ``List-Unsubscribe`` header).

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
    values = {**fields, **params}
    metadata: dict[str, str] = {}
    if link or tracking is not None:
        token = message_id(firing_key or key)
        if link:
            values["link"] = tracking_link(link, campaign, rule, token)
            if tracking is not None:
                metadata["link"] = values["link"]
                values["link"] = tracking.short_link(token)
        if tracking is not None and (kind == "email" or _uses_unsubscribe(template)):
            values["unsubscribe"] = metadata["unsubscribe"] = tracking.unsubscribe_link(token)
    html = kind == "email" and is_html(template.body)
    show = shower(locale)
    body = render(template.body.value, values, _html_escape if html else None, show)
    # Positional: this runs once per message, and keyword unpacking is most of its cost.
    name, customer = template.name.name, str(customer_id)
    if template.subject is not None:
        subject = header_text(render(template.subject.value, values, show=show))
        return Message(
            key, campaign, rule, customer, channel, name, to, None, subject, body, None,
            variant, html, metadata,
        )  # fmt: skip
    parts = measure(body).parts if kind == "sms" else None
    return Message(
        key, campaign, rule, customer, channel, name, to, body, None, None, parts, variant,
        None, metadata,
    )  # fmt: skip


def _uses_unsubscribe(template: A.Template) -> bool:
    texts = (template.body, template.subject) if template.subject else (template.body,)
    return any("unsubscribe" in placeholder_names(t.value) for t in texts)


def _html_escape(value: str) -> str:
    """``value`` as HTML text or a quoted attribute value: ``& < > " '`` escaped."""
    return str(escape(value))
