"""A project with [tracking] and the web app on a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import orjson
import sqlalchemy as sa
import uvicorn
from click.testing import CliRunner

from winlang.cli import cli
from winlang.project import open_project
from winlang.serve.app import create_app

SECRET = "a-long-random-test-secret"
FIRST = "2026-11-22T10:00:00Z"  # the first run
CLICKED_AT = datetime(2026, 11, 22, 11, 0)  # when the server records what it records
SECOND = "2026-11-23T10:00:00Z"  # the next day's run

BODY = (
    r"<p>Come back: <a href=\"{link}\">the shop</a>.</p>"
    r"<p><a href=\"{unsubscribe}\">Unsubscribe</a></p>"
)
CAMPAIGN = """campaign "back"
  link "https://shop.example.com/back?src=mail"

template mail email subject "We miss you, {first_name|friend}"
  body "BODY"
template hello sms "{first_name|Hi}, come back: {link}"
template thanks sms "Thanks for coming back, {first_name|friend}!"

rule thanks: when clicked mail and not received thanks then send sms thanks
rule daily: when orders >= 0 then send email mail else send sms hello repeat every 1 day
""".replace("BODY", BODY)
# id, first_name, orders, email, consent_email, phone, consent_sms
CUSTOMERS = [
    (1, "Ana", 1, "ana@example.com", 1, "+40700000001", 1),
    (2, "Bo", 2, "bo@example.com", 1, "+40700000002", 1),
    (3, "Cy", 0, "cy@example.com", 1, "+40700000003", 1),
]


def listening() -> socket.socket:
    """A socket already listening on a free port: the server takes it, so no port race."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def make_project(folder: Path, base_url: str, smtp_port: int) -> Path:
    db = sqlite3.connect(folder / "shop.db")
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, orders INTEGER,"
        " email TEXT, consent_email BOOLEAN, phone TEXT, consent_sms BOOLEAN)"
    )
    db.execute(
        "CREATE TABLE events (customer_id INTEGER, type TEXT, channel TEXT, campaign TEXT,"
        " template TEXT, occurred_at DATETIME)"
    )
    db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)", CUSTOMERS)
    db.commit()
    db.close()
    (folder / "winlang.toml").write_text(
        f"""[store]
url = "sqlite:///shop.db"

[state]
url = "sqlite:///state.db"

[defaults]
timezone = "UTC"

[tracking]
base_url = "{base_url}"

[channels.email]
plugin = "smtp"
address = "email"
consent = "consent_email"
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
sender = "Shop <shop@example.com>"
timeout = 10
""",
        encoding="utf-8",
    )
    (folder / "back.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def winlang(project: Path, *args: str) -> dict:
    """A command on the project (``--format json``), its output read."""
    result = CliRunner().invoke(
        cli,
        [*args, "--format", "json", "--config", str(project / "winlang.toml")],
        env={"WINLANG_TRACKING_SECRET": SECRET},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run(project: Path, now: str) -> dict:
    return winlang(project, "run", str(project / "back.win"), "--now", now)


def outbox(project: Path, channel: str) -> list[dict]:
    path = project / "outbox" / f"{channel}.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def rows(project: Path, query: str) -> list[tuple]:
    engine = sa.create_engine(f"sqlite:///{project / 'state.db'}")
    with engine.connect() as connection:
        found = [tuple(row) for row in connection.exec_driver_sql(query)]
    engine.dispose()
    return found


@contextmanager
def serving(project: Path, sock: socket.socket) -> Iterator[str]:
    """`winlang serve`'s app for ``project`` on a real uvicorn server in a thread, on the
    listening ``sock``; its base URL. Clicks are recorded at :data:`CLICKED_AT`."""
    app = create_app(open_project(project / "winlang.toml"), clock=lambda: CLICKED_AT)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
