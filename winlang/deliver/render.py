"""Render a template for one customer into a :class:`Message`.

Placeholders take the customer's field values, the send's ``with`` values (which win over a
field of the same name) and ``{link}``: the campaign link with tracking parameters for this
message. SMS messages are measured again on the rendered text, since names and links change
the length and a single Korean name makes a GSM-7 text UCS-2.

Values are put in by context: into an HTML email body escaped with MarkupSafe (fields,
``with`` values, fallbacks and the link alike, so a name can't add markup and a link can't
leave its ``href="..."``); into a subject (a header) on one line, each run of control
characters a space; into plain text and SMS as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from markupsafe import escape

from .. import ast as A
from ..addresses import header_text
from ..check.sms import measure
from ..check.templates import is_html, render
from ..links import message_id, tracking_link
from .model import Message, idempotency_key


def text_of(value: object) -> str:
    """How a value prints in a message: ``15`` not ``15.0``, dates as ISO, nothing for null.

    >>> text_of(15.0), text_of(None), text_of(2.5), text_of(date(2026, 1, 2))
    ('15', '', '2.5', '2026-01-02')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


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
) -> Message:
    """The message ``rule`` sends ``customer_id`` with ``template`` on ``channel``; its
    idempotency key is ``key``, by default the one of the firing.

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
    values = {name: text_of(value) for name, value in fields.items()}
    values.update({name: text_of(value) for name, value in params.items()})
    if link:
        values["link"] = tracking_link(link, campaign, rule, message_id(key))
    html = kind == "email" and is_html(template.body)
    body = render(template.body.value, values, _html_escape if html else None)
    common = dict(
        idempotency_key=key,
        campaign=campaign,
        rule=rule,
        customer_id=str(customer_id),
        channel=channel,
        template=template.name.name,
        to=to,
        variant=variant,
    )
    if template.subject is not None:
        subject = header_text(render(template.subject.value, values))
        return Message(**common, subject=subject, body=body, html=html)
    parts = measure(body).parts if kind == "sms" else None
    return Message(**common, text=body, parts=parts)


def _html_escape(value: str) -> str:
    """``value`` as HTML text or a quoted attribute value: ``& < > " '`` escaped."""
    return str(escape(value))
