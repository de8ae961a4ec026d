"""A real SMTP server (aiosmtpd) on 127.0.0.1, with a self-signed certificate for TLS.

The handler answers 550 for ``unknown@example.com`` and 451 for ``busy@example.com``; with
``drop_after=N`` it accepts N messages and then drops the connection in the middle of the next
one (after its recipient, before its data), once.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "winlang", "s3cret"
REFUSED = {"unknown@example.com": "550 5.1.1 unknown mailbox", "busy@example.com": "451 4.2.0 busy"}


def free_port() -> int:
    """aiosmtpd's Controller can't bind port 0: ask the OS for a free port first."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingHandler:
    def __init__(self, drop_after: int | None = None) -> None:
        self.envelopes: list = []
        self.drop_after = drop_after

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.drop_after is not None and len(self.envelopes) == self.drop_after:
            self.drop_after = None  # once: the next connection goes through
            server.transport.close()
            return "421 4.3.0 going away"
        if address in REFUSED:
            return REFUSED[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@dataclass
class SmtpServer:
    port: int
    handler: RecordingHandler
    controller: Controller


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest, tls_cert: tuple[Path, Path]) -> Iterator:
    """``smtp_server(tls="none"|"starttls"|"tls", auth=False, drop_after=None)`` starts a
    server; all stop at the end of the test."""
    started: list[Controller] = []

    def start(tls: str = "none", auth: bool = False, drop_after: int | None = None) -> SmtpServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls_cert)
        options: dict = {"hostname": "127.0.0.1", "port": free_port(), "ready_timeout": 5}
        if tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        if tls == "tls":
            options.update(ssl_context=context)
        if auth:
            options.update(auth_required=True, authenticator=authenticate)
            # aiosmtpd only counts STARTTLS as TLS for AUTH, not an implicit-TLS socket
            options.update(auth_require_tls=tls == "starttls")
        handler = RecordingHandler(drop_after)
        controller = Controller(handler, **options)
        controller.start()
        started.append(controller)
        return SmtpServer(options["port"], handler, controller)

    yield start
    for controller in started:
        controller.stop()
