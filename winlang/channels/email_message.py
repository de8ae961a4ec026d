"""Building the MIME email for a message: subject, plain text, HTML alternative, and headers
that let receivers recognise a repeat.

>>> from winlang.testing import make_message
>>> mail = build_email(make_message(body="<p>Hi &amp; bye</p>"), "shop@example.com")
>>> mail.get_content_type(), mail["X-Winlang-Idempotency-Key"]
('multipart/alternative', 'test/win_back/1/0')
>>> mail.get_body(("plain",)).get_content().strip()
'Hi & bye'
"""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from html.parser import HTMLParser

from ..deliver.model import Message

_HTML = re.compile(r"<\s*(html|body|p|br|div|a|table|h[1-6]|span|b|i|strong|em|img|ul|li)\b", re.I)


def looks_like_html(text: str) -> bool:
    """``<p>Hi</p>`` is HTML; ``Save 5 <3`` is not."""
    return bool(_HTML.search(text))


class _TextOnly(HTMLParser):
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The plain-text alternative of an HTML body: tags dropped, one line per block."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def message_id_header(idempotency_key: str, sender: str) -> str:
    """A ``Message-ID`` that is the same every time the same message is sent."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "winlang.invalid"
    return f"<{digest}@{domain}>"


def build_email(message: Message, sender: str) -> EmailMessage:
    """The email for a message; raises ValueError for an address that can't be a header."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.to
    mail["Subject"] = message.subject or ""
    mail["Message-ID"] = message_id_header(message.idempotency_key, sender)
    mail["X-Winlang-Idempotency-Key"] = message.idempotency_key
    body = message.body if message.body is not None else message.text or ""
    if looks_like_html(body):
        mail.set_content(html_to_text(body))
        mail.add_alternative(body, subtype="html")
    else:
        mail.set_content(body)
    return mail
