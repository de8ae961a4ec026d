"""Building the MIME email for a message: subject, plain text, HTML alternative, and headers
that let receivers recognise a repeat.

The recipient must be exactly one mailbox (:func:`winlang.addresses.email_address`), else the
email is not built (a permanent failure): a value can never add recipients. Header values are
put on one line, so a value can never add a header. The plain-text part of an HTML email is
its text with the tags dropped and the entities decoded: what the reader sees.

A message with an unsubscribe link (``metadata["unsubscribe"]``, rendered when ``[tracking]``
is configured) carries it as ``List-Unsubscribe`` with ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058): mail clients show an unsubscribe button that posts to
the link, which `winlang serve` answers.

>>> from winlang.testing import make_message
>>> mail = build_email(make_message(body="<p>Hi &amp; bye</p>"), "shop@example.com")
>>> mail.get_content_type(), mail["X-Winlang-Idempotency-Key"]
('multipart/alternative', 'test/win_back/1/0')
>>> mail.get_body(("plain",)).get_content().strip()
'Hi & bye'
>>> unsubscribe = {"unsubscribe": "https://go.example.com/u/abc"}
>>> mail = build_email(make_message(metadata=unsubscribe), "shop@example.com")
>>> mail["List-Unsubscribe"], mail["List-Unsubscribe-Post"]
('<https://go.example.com/u/abc>', 'List-Unsubscribe=One-Click')
"""

from __future__ import annotations

import hashlib
from email.headerregistry import Address
from email.message import EmailMessage
from html.parser import HTMLParser

from ..addresses import email_address, header_text
from ..check.templates import looks_like_html
from ..contracts.message import Message


class _TextOnly(HTMLParser):
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
    HIDDEN = frozenset({"head", "title", "style", "script"})  # text no reader sees

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")
        self.hidden += tag in self.HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in self.HIDDEN and self.hidden > 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The plain-text alternative of an HTML body: tags dropped, one line per block."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def message_id_header(idempotency_key: str, sender: str) -> str:
    """A ``Message-ID`` that is the same every time the same message is sent.

    >>> message_id_header("c/r/1/0", "Shop <shop@example.com>").endswith("@example.com>")
    True
    """
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    address = email_address(sender)
    return f"<{digest}@{address.domain if address else 'winlang.invalid'}>"


def recipient(message: Message) -> Address:
    """The one mailbox a message goes to; ValueError when ``to`` is not exactly one.

    >>> from winlang.testing import make_message
    >>> recipient(make_message(to="a@b.c>, <attacker@evil.test"))
    Traceback (most recent call last):
    ...
    ValueError: `to` is not exactly one email address: 'a@b.c>, <attacker@evil.test'
    """
    address = email_address(message.to)
    if address is None:
        raise ValueError(f"`to` is not exactly one email address: {message.to!r}")
    return address


def build_email(message: Message, sender: str) -> EmailMessage:
    """The email for a message; raises ValueError for a recipient or sender that is not
    exactly one mailbox."""
    sender_address = email_address(sender)
    if sender_address is None:
        raise ValueError(f"the sender is not exactly one email address: {sender!r}")
    mail = EmailMessage()
    mail["From"] = sender_address
    mail["To"] = recipient(message)
    mail["Subject"] = header_text(message.subject or "")
    mail["Message-ID"] = message_id_header(message.idempotency_key, sender)
    mail["X-Winlang-Idempotency-Key"] = header_text(message.idempotency_key)
    unsubscribe = message.metadata.get("unsubscribe") if message.metadata else None
    if unsubscribe:
        mail["List-Unsubscribe"] = f"<{header_text(unsubscribe)}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    body = message.body if message.body is not None else message.text or ""
    html = message.html if message.html is not None else looks_like_html(body)
    if html:
        mail.set_content(html_to_text(body))
        mail.add_alternative(body, subtype="html")
    else:
        mail.set_content(body)
    return mail
