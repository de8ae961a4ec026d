from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from winlang.channels.email_message import message_id_header
from winlang.channels.smtp import SmtpChannel
from winlang.contracts.errors import ChannelError
from winlang.contracts.message import Outcome
from winlang.testing import make_message, make_messages

from .smtp_server import PASSWORD, USER, free_port


@pytest.fixture
def smtp(tls_cert, monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    channels = []

    def make(server_port: int, **settings) -> SmtpChannel:
        defaults = {
            "host": "127.0.0.1",
            "port": server_port,
            "tls": "none",
            "sender": "shop@example.com",
            "timeout": 5,
            "ca_file": str(tls_cert[0]),
        }
        channel = SmtpChannel.from_settings("email", {**defaults, **settings})
        channels.append(channel)
        return channel

    yield make
    for channel in channels:
        channel.close()


def received(server) -> list:
    return [
        message_from_bytes(e.original_content, policy=default) for e in server.handler.envelopes
    ]


def test_sends_a_mime_email_with_idempotency_headers(smtp, smtp_server):
    server = smtp_server()
    message = make_message(body="<p>Hello <b>Ada</b></p>")
    [result] = smtp(server.port).send([message])
    assert result.outcome is Outcome.SENT
    [mail] = received(server)
    assert mail["Subject"] == "We miss you" and mail["To"] == "ada@example.com"
    assert mail["Message-ID"] == message_id_header(message.idempotency_key, "shop@example.com")
    assert mail["X-Winlang-Idempotency-Key"] == message.idempotency_key
    assert result.provider_id == mail["Message-ID"]
    assert mail.get_body(("plain",)).get_content().strip() == "Hello Ada"
    assert "<b>Ada</b>" in mail.get_body(("html",)).get_content()


def test_plain_text_body_is_not_multipart(smtp, smtp_server):
    server = smtp_server()
    smtp(server.port).send([make_message(body="Save 5 <3")])
    [mail] = received(server)
    assert mail.get_content_type() == "text/plain"


def test_replies_are_classified(smtp, smtp_server):
    server = smtp_server()
    batch = [make_message(customer_id="1", to="ok@example.com"),
             make_message(customer_id="2", to="unknown@example.com"),
             make_message(customer_id="3", to="busy@example.com"),
             make_message(customer_id="4", to="also-ok@example.com")]  # fmt: skip
    results = smtp(server.port).send(batch)
    outcomes = [r.outcome for r in results]
    assert outcomes == [Outcome.SENT, Outcome.PERMANENT, Outcome.TEMPORARY, Outcome.SENT]
    assert results[1].error.startswith("550") and results[2].error.startswith("451")
    assert len(server.handler.envelopes) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("tls", ["starttls", "tls"])
def test_tls_with_login(smtp, smtp_server, tls):
    server = smtp_server(tls=tls, auth=True)
    channel = smtp(server.port, tls=tls, username=USER, password_env="SMTP_PASSWORD")
    assert [r.outcome for r in channel.send(make_messages(2))] == [Outcome.SENT] * 2
    assert len(server.handler.envelopes) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_wrong_password_makes_the_batch_temporary(smtp, smtp_server, monkeypatch):
    server = smtp_server(auth=True)
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    results = smtp(server.port, username=USER, password_env="SMTP_PASSWORD").send(make_messages(2))
    assert {r.outcome for r in results} == {Outcome.TEMPORARY}


def test_an_untrusted_certificate_is_refused(smtp, smtp_server):
    server = smtp_server(tls="starttls")
    [result] = smtp(server.port, tls="starttls", ca_file=None).send([make_message()])
    assert result.outcome is Outcome.TEMPORARY and "CERTIFICATE" in result.error.upper()


def test_no_server_is_temporary(smtp):
    [result] = smtp(free_port(), timeout=1).send([make_message()])
    assert result.outcome is Outcome.TEMPORARY


def test_an_address_that_cannot_be_a_header_is_permanent(smtp, smtp_server):
    server = smtp_server()
    [result] = smtp(server.port).send([make_message(to="a@example.com\nBcc: x@example.com")])
    assert result.outcome is Outcome.PERMANENT


@pytest.mark.parametrize(
    ("settings", "key"),
    [({}, "sender"), ({"sender": "nobody"}, "sender"), ({"sender": "a@b", "tls": "ssl"}, "tls"),
     ({"sender": "a@b", "username": "u"}, "password_env"), ({"sender": "a@b", "port": "25"},
     "port"), ({"sender": "a@b", "timeout": 0}, "timeout")],
)  # fmt: skip
def test_bad_settings_name_channel_and_key(settings, key):
    with pytest.raises(ChannelError, match=rf"channel `email` \(smtp\): `{key}`"):
        SmtpChannel.from_settings("email", settings)


def test_a_connection_lost_mid_batch_charges_only_the_message_in_flight(smtp, smtp_server):
    server = smtp_server(drop_after=21)
    channel = smtp(server.port, batch_size=64)
    batch = make_messages(64)
    results = channel.send(batch)
    assert [r.idempotency_key for r in results] == [m.idempotency_key for m in batch]
    assert [r.outcome for r in results[:21]] == [Outcome.SENT] * 21
    in_flight, *after = results[21:]
    assert in_flight.outcome is Outcome.TEMPORARY and in_flight.attempted
    assert in_flight.error.startswith("smtp connection lost")
    assert len(after) == 42 and all(not r.attempted for r in after)
    assert {r.outcome for r in after} == {Outcome.TEMPORARY} and all(r.error for r in after)
    assert len(server.handler.envelopes) == 21
    again = channel.send(batch[21:])  # a new connection: the rest goes through
    assert {r.outcome for r in again} == {Outcome.SENT}
    assert len(server.handler.envelopes) == 64


def test_a_recipient_that_is_not_exactly_one_mailbox_is_never_sent(smtp, smtp_server):
    """A message planned before addresses were checked still can't reach two mailboxes."""
    server = smtp_server()
    batch = [make_message(customer_id="1", to="a@b.c>, <attacker@evil.test"),
             make_message(customer_id="2", to="ok@example.com\r\nBcc: attacker@evil.test"),
             make_message(customer_id="3", to="ok@example.com")]  # fmt: skip
    results = smtp(server.port).send(batch)
    assert [r.outcome for r in results] == [Outcome.PERMANENT, Outcome.PERMANENT, Outcome.SENT]
    assert "not exactly one email address" in results[0].error
    assert [e.rcpt_tos for e in server.handler.envelopes] == [["ok@example.com"]]
