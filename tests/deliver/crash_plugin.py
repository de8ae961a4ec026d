"""Run the winlang CLI and kill it with SIGKILL at a chosen point, for the crash tests.

``python -m tests.deliver.crash_plugin run c.win ...`` runs the command line with
``WINLANG_DIE_AT=POINT:N`` (N counted from 1, in this process) choosing where it dies:

- ``plan:N``: right after the N-th slice of the plan is committed to the ledger;
- ``claimed:N``: right after the N-th claim of messages is committed (held, none sent);
- ``accepted:N``: a ``dying-outbox`` channel writes the N-th batch (fsynced: the provider has
  it) and dies before answering, so the ledger never hears of it;
- ``recorded:N``: right after the results of the N-th batch are committed.

Counts are per process and the kill is synchronous, so the point is the same on every run
and under any load. ``WINLANG_DIE_BY=SIGINT`` sends Ctrl-C's signal instead of SIGKILL, at
a point the main thread reaches (``plan``, ``claimed``, ``recorded``): there ``os.kill`` runs
the handler before it returns, where from a sending thread the KeyboardInterrupt would come
at some later bytecode of the main thread.
``WINLANG_DIE_ON_BATCH=N`` is ``accepted:N``. The ``dying-outbox`` plugin is an outbox
(``batch_size`` setting, 2 by default) that can die so.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
from collections import Counter
from collections.abc import Mapping, Sequence

from winlang.channels.outbox import OutboxChannel
from winlang.contracts.message import Message, SendResult
from winlang.deliver.ledger import Ledger
from winlang.hookspecs import hookimpl
from winlang.plugins import plugin_manager

POINTS = ("plan", "claimed", "accepted", "recorded")
_COUNTS: Counter = Counter()
_LOCK = threading.Lock()


def kill_point() -> tuple[str, int] | None:
    """The point chosen by the environment, if any."""
    if os.environ.get("WINLANG_DIE_ON_BATCH"):
        return "accepted", int(os.environ["WINLANG_DIE_ON_BATCH"])
    chosen = os.environ.get("WINLANG_DIE_AT")
    if not chosen:
        return None
    point, count = chosen.split(":")
    if point not in POINTS:
        raise SystemExit(f"WINLANG_DIE_AT: {point!r} is not one of {', '.join(POINTS)}")
    if os.environ.get("WINLANG_DIE_BY", "SIGKILL") != "SIGKILL" and point == "accepted":
        raise SystemExit("WINLANG_DIE_BY: only SIGKILL at `accepted` (a sending thread)")
    return point, int(count)


def reached(point: str) -> None:
    """Count one more ``point``; signal this process when it is the chosen one."""
    with _LOCK:  # sending threads reach `accepted` and `recorded` concurrently
        _COUNTS[point] += 1
        if kill_point() == (point, _COUNTS[point]):
            os.kill(os.getpid(), signal.Signals[os.environ.get("WINLANG_DIE_BY", "SIGKILL")])


def _after(method, point: str):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        result = method(*args, **kwargs)
        if point != "claimed" or result:  # an empty claim holds nothing: not a claim
            reached(point)
        return result

    return wrapper


class DyingOutbox(OutboxChannel):
    plugin = "dying-outbox"

    def send(self, batch: Sequence[Message]) -> list[SendResult]:
        results = super().send(batch)
        reached("accepted")
        return results


class Plugin:
    @hookimpl
    def winlang_channel(self, plugin: str, name: str, settings: Mapping[str, object]):
        if plugin != DyingOutbox.plugin:
            return None
        path = settings.get("path", f"outbox/{name}.jsonl")
        size = int(settings.get("batch_size", 2))
        return DyingOutbox(os.path.join(str(settings["root"]), str(path)), batch_size=size)


def install() -> None:
    """Wrap the ledger's commits with the kill points and register ``dying-outbox``. Ctrl-C
    raises KeyboardInterrupt as in a terminal, even where this process inherited SIGINT as
    ignored (a background job of a shell, some CI runners) and Python left it so."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    Ledger.record_plan = _after(Ledger.record_plan, "plan")
    Ledger.claim = _after(Ledger.claim, "claimed")
    Ledger.apply = _after(Ledger.apply, "recorded")
    plugin_manager().register(Plugin(), name="dying-outbox")


if __name__ == "__main__":
    from winlang.cli import main

    kill_point()  # a bad point fails before anything runs
    install()
    main()
