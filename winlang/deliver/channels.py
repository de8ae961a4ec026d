"""Open the configured channels through the ``winlang_channel`` hook, one instance per
sending thread (a channel object holds a connection or a file handle and need not be
thread-safe), with one shared rate limit per channel.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from ..config import Config
from ..contracts.channel import Channel
from ..contracts.errors import ChannelError
from ..contracts.message import Message, SendResult


def open_channel(config: Config, name: str) -> Channel:
    """The channel ``[channels.NAME]`` of ``config``, made by its plugin; a
    :class:`ChannelError` when the plugin is not installed or refuses the settings (the one
    test of a channel's configuration: ``winlang check`` and ``winlang run`` both ask it)."""
    from ..plugins import plugin_manager

    entry = config.channels.get(name)
    if entry is None:
        raise ChannelError(f"channel `{name}` is not configured: add [channels.{name}]")
    manager = plugin_manager()
    settings = {**entry.settings, "root": str(config.root)}
    try:
        channel = manager.hook.winlang_channel(plugin=entry.plugin, name=name, settings=settings)
    except ChannelError:
        raise
    except Exception as error:  # a plugin may fail in any way: name it, never a traceback
        raise ChannelError(
            f"channel `{name}` ({entry.plugin}) can't be set up: {type(error).__name__}: {error}"
        ) from error
    if channel is not None:
        return channel
    message = f"channel `{name}`: no installed plugin provides `{entry.plugin}`"
    if manager.broken:
        message += "; these plugins failed to load: " + "; ".join(map(str, manager.broken))
    raise ChannelError(message, key="plugin")


def channel_problems(config: Config, names: Iterable[str]) -> list[tuple[str, ChannelError]]:
    """The channels of ``names`` that :func:`open_channel` refuses, with the error; each
    one that opens is closed again at once (plugins connect lazily, when they send)."""
    problems = []
    for name in dict.fromkeys(names):
        if name not in config.channels:
            continue  # a campaign error of its own (E203)
        try:
            channel = open_channel(config, name)
        except ChannelError as error:
            problems.append((name, error))
            continue
        with contextlib.suppress(Exception):
            channel.close()
    return problems


class Pace:
    """At most ``rate`` messages a second, shared by every thread sending on one channel.

    Each caller books the time its batch may start, right after the previous booking, and
    waits until then; a burst of one batch is allowed.

    >>> pace = Pace(None)
    >>> pace.wait(1000)  # unlimited: never waits
    0.0
    """

    def __init__(
        self,
        rate: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, count: int) -> float:
        """Wait until ``count`` messages may go; the seconds waited."""
        if not self.rate:
            return 0.0
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + count / self.rate
        delay = start - now
        if delay > 0:
            self.sleep(delay)
        return delay


class ChannelPool:
    """The run's channels: settings checked up front, an instance per thread on demand."""

    def __init__(self, config: Config, names: Iterable[str]) -> None:
        self.config = config
        self._local = threading.local()
        self._opened: list[Channel] = []
        self._lock = threading.Lock()
        self.first = {name: self._open(name) for name in names}  # bad settings fail here
        self.pace = {name: Pace(ch.rate_per_second) for name, ch in self.first.items()}
        self._refused: dict[str, str | None] = {}  # channels opened late: None when usable

    def unavailable(self, name: str) -> str | None:
        """Why channel ``name`` can't send (None when it can). A channel the campaign no
        longer uses, with messages of earlier runs still planned on it, is opened now; one
        gone from the configuration, or whose settings fail, gives the reason instead."""
        if name in self.first:
            return None
        if name not in self._refused:
            try:
                channel = self._open(name)
            except ChannelError as error:
                self._refused[name] = str(error)
            else:
                self.first[name] = channel
                self.pace[name] = Pace(channel.rate_per_second)
                self._refused[name] = None
        return self._refused[name]

    def batch_size(self, name: str) -> int:
        return max(1, int(self.first[name].batch_size))

    def _open(self, name: str) -> Channel:
        channel = open_channel(self.config, name)
        with self._lock:
            self._opened.append(channel)
        return channel

    def _mine(self, name: str) -> Channel:
        own = self._local.__dict__.setdefault("channels", {})
        if name not in own:
            own[name] = self._open(name)
        return own[name]

    def send(self, name: str, batch: Sequence[Message]) -> list[SendResult]:
        """Send ``batch`` on channel ``name`` from this thread: one result per message, a
        channel that raises or answers for the wrong messages counted as a temporary
        failure of the messages left without an answer."""
        self.pace[name].wait(len(batch))
        try:
            results = list(self._mine(name).send(batch))
        except Exception as error:  # a plugin may fail in any way; the run must go on
            reason = f"channel `{name}` raised {type(error).__name__}: {error}"
            return [SendResult.temporary(m, reason) for m in batch]
        answered = {r.idempotency_key: r for r in results}
        return [
            answered.get(m.idempotency_key)
            or SendResult.temporary(m, f"channel `{name}` gave no result for this message")
            for m in batch
        ]

    def close(self) -> None:
        for channel in self._opened:
            with contextlib.suppress(Exception):  # closing must not hide the run's outcome
                channel.close()
