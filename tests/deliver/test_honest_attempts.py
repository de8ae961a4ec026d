"""A message counts an attempt only when it was transmitted: a real SMTP server (aiosmtpd)
drops the connection in the middle of a 64-message batch, and only the message in flight
when it dropped is charged; the 42 after it go out on the next connection at no cost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from tests.channels.smtp_server import smtp_server, tls_cert  # noqa: F401 - fixtures
from winlang.cli import cli

NOW = "2026-11-22T10:00:00Z"
CAMPAIGN = """campaign "c"
template hi email subject "We miss you" body "Hi {first_name|there}"
rule hello: when orders > 0 then send email hi
"""


def make_project(folder: Path, port: int, customers: int) -> Path:
    with sqlite3.connect(folder / "shop.db") as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
            " email TEXT, consent_email BOOLEAN)"
        )
        db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
        db.executemany(
            "INSERT INTO customers VALUES (?, ?, 1, ?, 1)",
            [(i, f"C{i}", f"c{i}@example.com") for i in range(1, customers + 1)],
        )
    (folder / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n'
        "[delivery]\nbackoff_seconds = 0\nconcurrency = 1\n"
        '[channels.email]\nplugin = "smtp"\naddress = "email"\nconsent = "consent_email"\n'
        f'host = "127.0.0.1"\nport = {port}\ntls = "none"\nsender = "shop@example.com"\n'
        "timeout = 10\nbatch_size = 64\n",
        encoding="utf-8",
    )
    (folder / "c.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def test_a_dropped_connection_charges_only_the_message_in_flight(tmp_path, smtp_server):  # noqa: F811
    server = smtp_server(drop_after=21)
    project = make_project(tmp_path, server.port, 64)
    result = CliRunner().invoke(
        cli,
        ["run", str(project / "c.win"), "--now", NOW, "--config", str(project / "winlang.toml")],
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(project / "state.db") as db:
        rows = db.execute(
            "SELECT customer_id, status, attempts FROM messages ORDER BY id"
        ).fetchall()
    assert {status for _, status, _ in rows} == {"sent"} and len(rows) == 64
    charged = {int(customer): attempts for customer, _, attempts in rows if attempts != 1}
    assert charged == {22: 2}  # the 22nd was being sent when the connection dropped
    delivered = sorted(e.rcpt_tos[0] for e in server.handler.envelopes)
    assert delivered == sorted(f"c{i}@example.com" for i in range(1, 65))  # each once
    assert "retries 1" in result.stdout  # the one charged; the 42 others cost nothing
