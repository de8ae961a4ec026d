"""The ``smtp`` channel: email through an SMTP server (``smtplib``), one connection per batch.

Replies are classified by their code: 4xx (greylisting, mailbox busy), timeouts and lost
connections are temporary; 5xx (550 unknown mailbox) is permanent. Failing to connect, to
start TLS or to log in makes the whole batch temporary: that is the server or the settings,
not the customers, so it must not trigger their ``else`` failover. When the connection drops
mid-batch, the message being sent is a temporary failure (it may have arrived) and the
messages after it are ``not_attempted``: they go out on the next connection without
costing an attempt.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..addresses import email_address
from ..contracts.message import Message, Outcome, SendResult
from .email_message import build_email, message_id_header
from .settings import Settings

TLS_MODES = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str
    sender: str
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    ca_file: Path | None = None  # a CA bundle to trust (a self-signed server certificate)

    @classmethod
    def read(cls, read: Settings) -> SmtpSettings:
        tls = read.choice("tls", TLS_MODES, "starttls")
        username = read.text("username", None)
        password = read.secret("password_env", required=username is not None)
        sender = read.text("sender")
        if email_address(sender) is None:
            raise read.error("sender", f"must be exactly one email address, not {sender!r}")
        ca_file = read.existing_file("ca_file") if read.values.get("ca_file") else None
        return cls(
            host=read.text("host", "localhost"),
            port=read.integer("port", DEFAULT_PORTS[tls], minimum=1),
            tls=tls,
            sender=sender,
            username=username,
            password=password,
            timeout=read.number("timeout", 10.0),
            ca_file=ca_file,
        )

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)


class SmtpChannel:
    plugin = "smtp"

    def __init__(self, settings: SmtpSettings, batch_size: int = 50, rate: float | None = None):
        self.settings = settings
        self.batch_size = batch_size
        self.rate_per_second = rate

    @classmethod
    def from_settings(cls, name: str, settings: Mapping[str, object]) -> SmtpChannel:
        read = Settings(name, cls.plugin, settings)
        return cls(SmtpSettings.read(read), read.batch_size(50), read.rate_per_second())

    def send(self, batch: Sequence[Message]) -> list[SendResult]:
        if not batch:
            return []
        try:
            server = self._connect()
        except (smtplib.SMTPException, OSError) as error:
            return [SendResult.temporary(m, f"smtp connect: {_describe(error)}") for m in batch]
        results: list[SendResult] = []
        try:
            for message in batch:
                result = self._send_one(server, message)
                results.append(result)
                if result.error and result.error.startswith("smtp connection lost"):
                    break
        finally:
            _quit(server)
        lost = batch[len(results) :]
        reason = "smtp: not sent, the connection was lost earlier in the batch"
        return results + [SendResult.not_attempted(m, reason) for m in lost]

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.tls == "tls":
            server = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=s.ssl_context())
        else:
            server = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.tls == "starttls":
                server.starttls(context=s.ssl_context())
            if s.username is not None:
                server.login(s.username, s.password or "")
        except BaseException:
            _quit(server)
            raise
        return server

    def _send_one(self, server: smtplib.SMTP, message: Message) -> SendResult:
        try:
            mail = build_email(message, self.settings.sender)
        except (ValueError, TypeError) as error:  # not exactly one recipient, say
            return SendResult.permanent(message, f"cannot build the email: {error}")
        # The envelope names the parsed mailboxes alone: never the raw value of `to`.
        sender, to = mail["From"].addresses[0], mail["To"].addresses[0]
        try:
            server.send_message(mail, sender.addr_spec, [to.addr_spec])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            return _reply(message, code, reply)
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            return _reply(message, error.smtp_code, error.smtp_error)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            return SendResult.temporary(message, f"smtp connection lost: {_describe(error)}")
        except smtplib.SMTPException as error:
            return SendResult.temporary(message, f"smtp: {_describe(error)}")
        return SendResult.sent(message, message_id_header(message.idempotency_key, mail["From"]))

    def close(self) -> None:
        pass  # a connection lives for one batch only


def outcome_for_code(code: int) -> Outcome:
    """4xx try again later; 5xx (and anything unexpected) never going to work.

    >>> outcome_for_code(451), outcome_for_code(550)
    (<Outcome.TEMPORARY: 'temporary'>, <Outcome.PERMANENT: 'permanent'>)
    """
    return Outcome.TEMPORARY if 400 <= code < 500 else Outcome.PERMANENT


def _reply(message: Message, code: int, reply: bytes | str) -> SendResult:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return SendResult(message.idempotency_key, outcome_for_code(code), error=f"{code} {text}")


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _quit(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()
