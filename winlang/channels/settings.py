"""Reading a channel's settings: typed, with defaults, and errors that name channel and key.

>>> s = Settings("sms", "outbox", {"path": "out.jsonl", "batch_size": 10})
>>> s.text("path"), s.batch_size(100), s.rate_per_second()
('out.jsonl', 10, None)
>>> s.integer("port", 25)
25
>>> Settings("sms", "outbox", {"batch_size": 0}).batch_size(100)
Traceback (most recent call last):
...
winlang.contracts.errors.ChannelError: channel `sms` (outbox): `batch_size` must be an integer >= 1
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from ..contracts.errors import ChannelError

_MISSING: Any = object()
MIN_RATE = 0.001  # messages a second: one every 1,000 s
_WITHOUT_SECRETS: ContextVar[bool] = ContextVar("winlang_without_secrets", default=False)


@contextmanager
def without_secrets() -> Iterator[None]:
    """Read settings on a machine without the secrets: within, a :meth:`Settings.secret`
    whose environment variable is unset reads as a placeholder instead of failing.

    ``winlang check`` (in CI) and ``winlang run --dry-run`` validate every other setting this
    way; only a real run needs the secrets themselves.
    """
    token = _WITHOUT_SECRETS.set(True)
    try:
        yield
    finally:
        _WITHOUT_SECRETS.reset(token)


class Settings:
    """The ``[channels.NAME]`` keys of one channel, read one key at a time."""

    def __init__(self, name: str, plugin: str, settings: Mapping[str, object]) -> None:
        self.name = name
        self.plugin = plugin
        self.values = dict(settings)

    def error(self, key: str, problem: str) -> ChannelError:
        """A :class:`ChannelError` naming this channel, its plugin and the key."""
        return ChannelError(f"channel `{self.name}` ({self.plugin}): `{key}` {problem}", key)

    def _get(self, key: str, default: object) -> object:
        value = self.values.get(key, default)
        if value is _MISSING:
            raise self.error(key, "is required")
        return value

    def text(self, key: str, default: str | None = _MISSING) -> str | None:
        """A string setting; required when no default is given."""
        value = self._get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.error(key, f"must be a string, not {type(value).__name__}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(key, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def integer(self, key: str, default: int = _MISSING, minimum: int = 0) -> int:
        value = self._get(key, default)
        # bool is an int in Python, but `port = true` is a mistake
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"must be an integer >= {minimum}")
        return value

    def number(
        self, key: str, default: float | None = _MISSING, minimum: float = 0.0
    ) -> float | None:
        """A positive, finite number (seconds, rates) above ``minimum`` and at most 1e9
        (beyond 30 years a duration is a typo); None only when that is the default."""
        value = self._get(key, default)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not minimum < value <= 1e9
        ):
            raise self.error(key, f"must be a number > {minimum:g} and at most 1e9")
        return float(value)

    def mapping(self, key: str) -> dict[str, str]:
        """A table of strings (extra HTTP headers, say); empty when absent."""
        value = self._get(key, {})
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise self.error(key, "must be a table of strings")
        return dict(value)

    @property
    def root(self) -> Path:
        """The project folder (the config's folder, given as the ``root`` key)."""
        return Path(str(self.values.get("root") or "."))

    def path(self, key: str, default: str | None = _MISSING) -> Path:
        """A file path; a relative one is relative to the config folder (the ``root`` key)."""
        text = self.text(key, default)
        if not text:
            raise self.error(key, "must not be empty")
        return self.root / Path(text).expanduser()

    def existing_file(self, key: str) -> Path:
        """A :meth:`path` to a file that must already exist (a CA bundle, a key file)."""
        path = self.path(key)
        if not path.is_file():
            raise self.error(key, f"names {path}, which is not a file")
        return path

    def output_file(self, key: str, default: str | None = _MISSING) -> Path:
        """A :meth:`path` to a file the channel writes: not a folder, and under a folder (or
        a folder yet to be made) rather than under a file."""
        path = self.path(key, default)
        if path.is_dir():
            raise self.error(key, f"names {path}, which is a folder; name a file in it")
        above = next((p for p in path.parents if p.exists()), None)
        if above is not None and not above.is_dir():
            raise self.error(key, f"names {path}, but {above} is a file, not a folder")
        return path

    def secret(self, key: str, required: bool = True) -> str | None:
        """The value of the environment variable that setting ``key`` names.

        Secrets never live in winlang.toml: ``password_env = "SMTP_PASSWORD"``.
        """
        variable = self.text(key, None if not required else _MISSING)
        if variable is None:
            return None
        value = os.environ.get(variable)
        if not value and _WITHOUT_SECRETS.get():
            return f"<{variable}>"
        if not value:
            raise self.error(key, f"names environment variable {variable}, which is not set")
        return value

    def batch_size(self, default: int) -> int:
        return self.integer("batch_size", default, minimum=1)

    def rate_per_second(self, default: float | None = None) -> float | None:
        """Messages a second; slower than one every 1,000 s is a typo (it would stall a run
        for ages, and a tiny rate overflows the wait)."""
        value = self.number("rate_per_second", default)
        if value is not None and value < MIN_RATE:
            raise self.error("rate_per_second", f"must be at least {MIN_RATE:g}")
        return value
