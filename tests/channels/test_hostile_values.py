"""Hostile customer data and a hostile link, end to end: `winlang run` through a real SMTP
server, asserting the MIME that arrives. No value can change an email's markup, recipients or
headers; plain text stays plain."""

from __future__ import annotations

import json
import sqlite3
from email import message_from_bytes
from email.policy import default
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from winlang.cli import cli

SCRIPT_NAME = "<script>alert(1)</script><img src=x onerror=alert(2)>"
TWO_ADDRESSES = "a@b.c>, <attacker@evil.test"
HEADER_NAME = "Ana\r\nBcc: attacker@evil.test"
LINK = 'https://shop.example/back?x="><script>alert(3)</script>'

CAMPAIGN = r"""campaign "hostile"
  link "https://shop.example/back?x=\"><script>alert(3)</script>"
template hello email subject "Hi {first_name}"
  body "<p>Hi {first_name|there},</p><p><a href=\"{link}\">Come back</a></p>"
template note email subject "A note" body "Hi {first_name}, see {link}"
rule hello: when orders > 0 then send email hello
rule note: when orders = 0 then send email note
"""
CUSTOMERS = [
    (1, SCRIPT_NAME, "script@example.com", 1),
    (2, "Eve", TWO_ADDRESSES, 1),
    (3, HEADER_NAME, "ana@example.com", 1),
    (4, SCRIPT_NAME, "plain@example.com", 0),  # a text body: nothing escaped
]


def make_project(folder: Path, port: int) -> Path:
    with sqlite3.connect(folder / "shop.db") as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, email TEXT,"
            " orders INTEGER, consent_email BOOLEAN)"
        )
        db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, 1)", CUSTOMERS)
    db.close()
    (folder / "winlang.toml").write_text(
        f"""[store]
url = "sqlite:///shop.db"
[state]
url = "sqlite:///state.db"
[delivery]
backoff_seconds = 0
[channels.email]
plugin = "smtp"
host = "127.0.0.1"
port = {port}
tls = "none"
sender = "Shop <shop@example.com>"
timeout = 10
""",
        encoding="utf-8",
    )
    (folder / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


class _Markup(HTMLParser):
    """The tags and the href values of an HTML part, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        self.hrefs += [value for name, value in attrs if name == "href"]


def markup(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


def test_hostile_values_reach_no_markup_recipient_or_header(tmp_path, smtp_server):
    server = smtp_server()
    project = make_project(tmp_path, server.port)
    result = CliRunner().invoke(
        cli,
        ["run", str(project / "c.win"), "--now", "2026-11-22T10:00:00Z", "--format", "json",
         "--config", str(project / "winlang.toml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    hello = summary["rules"][0]
    assert hello["skipped"] == {"bad_address": 1} and hello["sent"] == 2
    assert summary["delivery"]["sent"] == 3 and summary["delivery"]["failed"] == 0

    # Nobody but the three valid mailboxes received anything.
    envelopes = server.handler.envelopes
    recipients = sorted(r for e in envelopes for r in e.rcpt_tos)
    assert recipients == ["ana@example.com", "plain@example.com", "script@example.com"]
    mails = {
        e.rcpt_tos[0]: message_from_bytes(e.original_content, policy=default) for e in envelopes
    }
    assert all(m["From"] == "Shop <shop@example.com>" for m in mails.values())
    assert all("attacker" not in str(m["To"]) for m in mails.values())

    # The script name: escaped in the HTML part, as written in the text part.
    script = mails["script@example.com"]
    html = script.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    found = markup(html)
    assert found.tags == ["p", "p", "a"]  # the template's tags, and nothing a value added
    assert SCRIPT_NAME in script.get_body(("plain",)).get_content()

    # The link stays inside its href, whole: a browser reads back exactly the tracking link.
    [href] = found.hrefs
    assert href.startswith(LINK + "&wl_c=hostile&wl_r=hello&wl_m=")
    assert '"><script>' not in html

    # A CR LF in a subject value is a space, never a header of its own.
    ana = mails["ana@example.com"]
    assert ana["Subject"] == "Hi Ana Bcc: attacker@evil.test"
    assert ana["Bcc"] is None
    raw_head = envelopes[[e.rcpt_tos for e in envelopes].index(["ana@example.com"])]
    assert b"\nBcc:" not in raw_head.original_content.split(b"\r\n\r\n")[0]
    assert "Ana" in ana.get_body(("html",)).get_content()

    # A text body is text: the name and the link go in as they are.
    plain = mails["plain@example.com"]
    assert plain.get_content_type() == "text/plain"
    assert f"Hi {SCRIPT_NAME}, see {LINK}&wl_c=hostile" in plain.get_content()

    # The skip is in the ledger with its reason.
    engine = sa.create_engine(f"sqlite:///{project / 'state.db'}")
    with engine.connect() as connection:
        skips = connection.exec_driver_sql("SELECT customer_id, reason FROM skips").all()
    engine.dispose()
    assert [tuple(s) for s in skips] == [("2", "bad_address")]
