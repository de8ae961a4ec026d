from tests.channels.smtp_server import smtp_server, tls_cert  # noqa: F401 - fixtures
