"""``winlang schedule``: run the campaigns of ``[schedule]`` on their cron expressions, and
each campaign's deferred messages when they fall due.

One scheduler per state database: a lease in the state's ``locks`` table (so it holds across
machines sharing a PostgreSQL state) is taken before anything runs and renewed by a thread;
a second scheduler waits until it is free, then takes over. The clock is a parameter: the
wall clock, or a :class:`TravelClock` that jumps to the next event at once, so a day of
schedule runs in a test (and in ``winlang schedule --now ... --until ...``) without waiting.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from .cron import next_time, trigger
from .state import tables as T

LOCK_NAME = "schedule"
IDLE = timedelta(seconds=60)  # the wall clock wakes at least this often to look for new deferrals


@dataclass(frozen=True, eq=False)
class Job:
    """A campaign file and when to run it."""

    campaign: Path
    cron: str
    timezone: str
    trigger: object

    @classmethod
    def of(cls, campaign: Path, cron: str, timezone: str = "UTC") -> Job:
        return cls(campaign, cron, timezone, trigger(cron, timezone))


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep_until(self, moment: datetime) -> None: ...


class WallClock:
    """The real time; sleeps in short steps so a stop request is seen."""

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    def sleep_until(self, moment: datetime) -> None:
        seconds = (moment - datetime.now(UTC)).total_seconds()
        if seconds > 0:
            time.sleep(seconds)


class TravelClock:
    """A clock that starts at ``start`` and jumps to whatever it is asked to wait for."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def sleep_until(self, moment: datetime) -> None:
        self._now = max(self._now, moment)


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
                from .deliver.ledger import _insert_ignoring

                written = _insert_ignoring(
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


class Keeper:
    """Renews a held lease from a thread; ``lost`` is set if it could not."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="winlang-lease", daemon=True)

    def __enter__(self) -> Keeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.lease.release()

    def _renew(self) -> None:
        every = max(self.lease.seconds / 3, 0.05)
        while not self._stop.wait(every):
            try:
                if self.lease.acquire() is not None:
                    self.lost.set()
                    return
            except sa.exc.SQLAlchemyError:
                continue  # a blip of the database: the next renewal tries again


class Runner(Protocol):
    """How the scheduler runs a campaign (the command line gives it ``winlang run``)."""

    def run(self, campaign: Path, now: datetime, only_deferred: bool) -> None: ...

    def next_due(self, campaign: Path) -> datetime | None: ...


@dataclass
class Scheduler:
    """Runs the jobs at their cron times and the deferred messages when due, until ``until``
    (None: for ever) or until the lease is lost."""

    jobs: Sequence[Job]
    runner: Runner
    clock: Clock
    until: datetime | None = None
    lost: Callable[[], bool] = lambda: False

    def serve(self) -> int:
        """The number of runs made."""
        runs = 0
        start = self.clock.now()
        upcoming = {job: next_time(job.trigger, start) for job in self.jobs}
        woken: dict[Path, datetime] = {}
        campaigns = list(dict.fromkeys(job.campaign for job in self.jobs))
        while not self.lost():
            now = self.clock.now()
            for job in self.jobs:
                fire = upcoming[job]
                if fire is not None and fire <= now:
                    self.runner.run(job.campaign, now, False)
                    runs += 1
                    upcoming[job] = next_time(job.trigger, now + timedelta(seconds=1), fire)
            dues = {}
            for campaign in campaigns:
                due = _aware(self.runner.next_due(campaign))
                if due is not None and due <= now and woken.get(campaign) != now:
                    self.runner.run(campaign, now, True)
                    woken[campaign] = now
                    runs += 1
                    due = _aware(self.runner.next_due(campaign))
                if due is not None and due > now:
                    dues[campaign] = due
            events = [t for t in (*upcoming.values(), *dues.values()) if t is not None]
            following = min(events, default=None)
            if self.until is not None and (following is None or following > self.until):
                return runs
            if following is None and isinstance(self.clock, TravelClock):
                return runs  # nothing will ever happen
            if isinstance(self.clock, WallClock):  # look again for deferrals made meanwhile
                following = min(following or now + IDLE, now + IDLE)
            self.clock.sleep_until(following)
        return runs


def _aware(moment: datetime | None) -> datetime | None:
    """A ledger time (naive UTC) as aware UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
