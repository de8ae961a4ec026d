"""``winlang schedule``: run the campaigns of ``[schedule]`` on their cron expressions, and
each campaign's deferred messages when they fall due.

One scheduler per state database: a lease in the state's ``locks`` table (so it holds across
machines sharing a PostgreSQL state) is taken before anything runs and renewed by a thread;
a second scheduler waits until it is free, then takes over. The clock is a parameter: the
wall clock, or a :class:`TravelClock` that jumps to the next event at once, so a day of
schedule runs in a test (and in ``winlang schedule --now ... --until ...``) without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from .cron import next_time, trigger
from .state import DatabaseError
from .state.leases import Lease

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
            except DatabaseError:
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
