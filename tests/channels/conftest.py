"""Fixtures for the channel tests: the test kit's, plus a real SMTP server."""

from __future__ import annotations

from winlang.testing import http_server, recording_channel  # noqa: F401 - fixtures

from .smtp_server import smtp_server, tls_cert  # noqa: F401 - fixtures
