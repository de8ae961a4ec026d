"""Migration 0005: the ledger keeps each row's message id (the token of its short links), and
rows written before it are given theirs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from winlang.links import message_id
from winlang.state import HEAD, MIGRATIONS, open_state


def migrate(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_rows_from_before_0005_get_their_message_ids(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = sa.create_engine(url)
    migrate(engine, "0004")
    at = datetime(2026, 11, 22, 10)
    keys = [f"c/r/{n}/0" for n in range(7)]
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO runs (campaign, now, dry_run, status, started_at) "
            "VALUES ('c', ?, 0, 'finished', ?)",
            (at, at),
        )
        connection.exec_driver_sql(
            "INSERT INTO messages (idempotency_key, run_id, campaign, rule, customer_id, "
            "occurrence, status, attempts, planned_at) VALUES (?, 1, 'c', 'r', ?, 0, 'sent', 1, ?)",
            [(key, str(n), at) for n, key in enumerate(keys)],
        )
    engine.dispose()
    state = open_state(url)  # migrates to the head
    assert state.version() == HEAD
    found = state.messages_by_id([message_id(key) for key in keys])
    assert {rows[0].key for rows in found.values()} == set(keys)
    assert all(len(rows) == 1 for rows in found.values())
    assert state.messages_by_id(["aaaaaaaaaaaa"]) == {}
    state.close()
