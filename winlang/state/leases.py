"""Leases in the state's ``locks`` table: one holder at a time, across processes and
machines that share the state database (``winlang schedule`` takes one)."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from . import tables as T
from .ledger import insert_ignoring

LOCK_NAME = "schedule"  # the lease of `winlang schedule`


def _wall() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Lease:
    """The ``locks`` row ``name``, held by one process at a time until it expires.

    Taking and renewing are one conditional update each (held by me, or expired), so two
    processes racing for it — on SQLite or on PostgreSQL, on one machine or two — never both
    get it."""

    def __init__(
        self,
        engine: sa.Engine,
        name: str = LOCK_NAME,
        seconds: float = 300.0,
        wall: Callable[[], datetime] = _wall,
    ) -> None:
        self.engine = engine
        self.name = name
        self.seconds = seconds
        self.wall = wall
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    def acquire(self) -> str | None:
        """Take or renew the lease; None when this process holds it, else who does."""
        locks = T.locks.c
        now = self.wall()
        values = {"holder": self.holder, "expires_at": now + timedelta(seconds=self.seconds)}
        with self.engine.begin() as connection:
            taken = connection.execute(
                T.locks.update()
                .where(
                    locks.name == self.name,
                    sa.or_(locks.holder == self.holder, locks.expires_at < now),
                )
                .values(**values, acquired_at=now)
            ).rowcount
            if taken:
                return None
            holder = connection.execute(
                sa.select(locks.holder).where(locks.name == self.name)
            ).scalar()
            if holder is None:  # first use: the row is made, by us or by whoever wins
                written = insert_ignoring(
                    connection, T.locks, [{"name": self.name, **values, "acquired_at": now}]
                )
                if written:
                    return None
                holder = connection.execute(
                    sa.select(locks.holder).where(locks.name == self.name)
                ).scalar()
        return holder

    def release(self) -> None:
        """Give the lease back at once (only if still ours)."""
        locks = T.locks.c
        with self.engine.begin() as connection:
            connection.execute(
                T.locks.update()
                .where(locks.name == self.name, locks.holder == self.holder)
                .values(expires_at=datetime(1970, 1, 1))
            )
