"""Project configuration: ``winlang.toml`` (or ``[tool.winlang]`` in ``pyproject.toml``).

Every value is validated; a bad one is a diagnostic pointing at its key. Relative SQLite
paths and file paths are resolved against the configuration file's folder, so a command works
the same from any working directory. Secrets never live here: plugins read them from the
environment.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .ast import Span
from .diagnostics import Diagnostic, SourceText, at_file
from .frozen import frozen
from .smallfiles import NotASmallFile, read_small_file
from .suggest import did_you_mean

CONFIG_FILE = "winlang.toml"
MAX_CONFIG_BYTES = 10_000_000
DEFAULT_STORE_URL = "sqlite:///shop.db"
DEFAULT_STATE_URL = "sqlite:///winlang-state.db"
CHANNEL_KINDS = ("email", "sms", "push", "chat", "other")
MAX_CAP_DAYS = 36_500  # a window longer than 100 years is a typo (and overflows a date)


@frozen
class Location:
    """Where a configuration value is written, for diagnostics."""

    source: SourceText | None
    span: Span | None

    def diagnostic(self, code: str, message: str, hint: str | None = None) -> Diagnostic:
        if self.source is None or self.span is None:
            path = self.source.path if self.source else "winlang.toml"
            return at_file(code, message, path, hint)
        return self.source.diagnostic(code, message, self.span, hint)


NOWHERE = Location(None, None)


@frozen
class Channel:
    """A delivery channel: which plugin sends, to which address field, with which consent."""

    name: str
    plugin: str
    kind: str
    address: str
    consent: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    location: Location = NOWHERE
    price_per_part: float | None = None  # what one SMS part costs, for `winlang report`


DEFAULT_CHANNELS = MappingProxyType(
    {
        "email": Channel(
            "email", "outbox", "email", "email", "consent_email", {"path": "outbox/email.jsonl"}
        ),
        "sms": Channel(
            "sms", "outbox", "sms", "phone", "consent_sms", {"path": "outbox/sms.jsonl"}
        ),
        "push": Channel(
            "push", "outbox", "push", "push_token", "consent_push", {"path": "outbox/push.jsonl"}
        ),
    }
)


@frozen
class DerivedField:
    """``days_since_purchase = "days_since(last_purchase_at)"``: an expression, by name."""

    name: str
    text: str
    location: Location = NOWHERE
    value_offset: int = 0  # column of the expression's first character within its line - 1


# A DuckDB memory_limit: a size with its unit, or a percentage of the machine's memory.
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(%|(?i:[KMGT]i?B|B|bytes))")

# The columns winlang reads by convention, each mappable under [store.columns]: key -> the
# default name (docs/engine.md has the table). Every reader asks the layout built from these.
COLUMN_DEFAULTS = MappingProxyType(
    {
        "id": "id",  # customers: the customer's id
        "timezone": "timezone",  # customers: IANA zone name, for quiet hours
        "customer_id": "customer_id",  # events: whose event
        "type": "type",  # events: open, click, purchase, unsubscribe...
        "channel": "channel",  # events: the channel (nullable)
        "campaign": "campaign",  # events: the campaign (nullable)
        "template": "template",  # events: the template (nullable)
        "occurred_at": "occurred_at",  # events: when, in UTC
        "bounce_type": "bounce_type",  # events: hard or soft, on bounces (suppressions)
    }
)


@frozen
class Store:
    """``[store]``: where the customers and events are, and their tables and columns."""

    url: str = DEFAULT_STORE_URL
    customers: str = "customers"
    events: str = "events"
    schema: Path | None = None  # a schema file to use instead of reflecting the store
    columns: Mapping[str, str] = field(default_factory=dict)  # the keys [store.columns] maps
    master: str = ""  # a Spark store's master URL (local[*] unless given)
    spark: Mapping[str, str] = field(default_factory=dict)  # [store.spark]: session settings
    # [store.duckdb]: memory_limit (text), temp_directory (a resolved path), threads (int)
    duckdb: Mapping[str, object] = field(default_factory=dict)

    def settings(self) -> dict[str, object]:
        """What a data source is opened with besides its URL and names (Spark's master and
        session settings, DuckDB's memory limit, spill folder and threads)."""
        settings: dict[str, object] = (
            {"master": self.master, "spark": dict(self.spark)} if self.master or self.spark else {}
        )
        if self.duckdb:
            settings["duckdb"] = dict(self.duckdb)
        return settings

    def column(self, key: str) -> str:
        """The store's name for the conventional column ``key`` (see COLUMN_DEFAULTS)."""
        return self.columns.get(key) or COLUMN_DEFAULTS[key]


@frozen
class Limits:
    """``[limits]``: SMS length and the cap across campaigns."""

    sms_max_parts: int = 3
    sms_placeholder_length: int = 10  # characters assumed for a placeholder at check time
    global_cap: tuple[int, int] | None = None  # (messages, per days), across campaigns


@frozen
class DeliverySettings:
    """``[delivery]``: how the sending loop paces itself and retries."""

    concurrency: int = 4  # batches in flight at once, over all channels
    max_attempts: int = 5  # sends of one message on one channel before it is failed
    backoff_seconds: float = 2.0  # wait after the first temporary failure, doubled each time
    backoff_max_seconds: float = 300.0
    lease_seconds: float = 300.0  # a run silent for this long is taken for dead
    plan_batch: int = 2_000  # firings written per ledger transaction


@frozen
class TrackingSettings:
    """``[tracking]``: short links and unsubscribe links answered by `winlang serve`
    (docs/tracking.md). ``require_unsubscribe``: channels (by name or kind) whose templates
    must carry ``{unsubscribe}`` (W415 otherwise)."""

    base_url: str
    require_unsubscribe: tuple[str, ...] = ()
    # Sign unsubscribe links with a stand-in when WINLANG_TRACKING_SECRET is not set: for
    # runs whose messages never leave the machine (`winlang test`); never read from the file.
    stand_in_secret: bool = False


@frozen
class Schedule:
    """When `winlang schedule` runs a campaign: a five-field cron expression, read in
    ``timezone`` (an IANA name; UTC unless given)."""

    cron: str
    timezone: str = "UTC"


@frozen
class Config:
    """A project's ``winlang.toml``, read and checked, with its defaults filled in."""

    path: Path | None = None
    root: Path = field(default_factory=Path.cwd)
    store: Store = field(default_factory=Store)
    state_url: str = DEFAULT_STATE_URL
    state_allow_other_tables: bool = False  # winlang's tables may share a database (the store's)
    fields: Mapping[str, DerivedField] = field(default_factory=dict)
    channels: Mapping[str, Channel] = field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    event_types: tuple[str, ...] = ()
    timezone: str | None = None
    locale: str = "en"  # [defaults] locale: how placeholders format values (CLDR)
    limits: Limits = field(default_factory=Limits)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    tracking: TrackingSettings | None = None  # [tracking]; None: {link} is the long link
    source: SourceText | None = field(default=None, repr=False, compare=False)  # the file's text
    key_prefix: tuple[str, ...] = ()  # ("tool", "winlang") in a pyproject.toml

    def location(self, *path: str) -> Location:
        """Where key ``path`` (``"store", "columns", "id"``) is written in the file: the key,
        else its nearest table; the file alone (or winlang.toml) when there is none."""
        if self.source is None:
            return Location(None, None)
        return _Locator(self.source).at(*self.key_prefix, *path)

    # `winlang schedule`: campaign file (resolved against the config's folder) -> when
    schedule: Mapping[Path, Schedule] = field(default_factory=dict)


# ---- locating keys in the TOML text -----------------------------------------------------

_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r'^\s*(?:"([^"\n]*)"|([A-Za-z0-9_.-]+))\s*=\s*')  # quoted or bare


class _Locator:
    """Finds the line of ``key`` in table ``[a.b]`` (tomllib keeps no positions)."""

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.keys: dict[tuple[str, ...], tuple[int, int, int]] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(source.text.splitlines(), start=1):
            if header := _TABLE.match(line):
                table = tuple(p.strip().strip('"') for p in header[1].split("."))
                self.keys.setdefault(table, (number, line.index("[") + 1, len(line.rstrip()) + 1))
            elif key := _KEY.match(line):
                name = key[1] if key[1] is not None else key[2]
                self.keys[(*table, name)] = (number, line.index(name) + 1, key.end())

    def at(self, *path: str, value: bool = False) -> Location:
        """The key's location, or its value's when ``value``; the nearest table otherwise."""
        for depth in range(len(path), 0, -1):
            if found := self.keys.get(tuple(path[:depth])):
                line, column, value_start = found
                text = self.source.line(line)
                if value and depth == len(path):
                    start, stop = value_start + 1, len(text.split(" #")[0].rstrip()) + 1
                else:
                    start, stop = column, column + len(path[depth - 1])
                return Location(self.source, Span(0, 0, line, start, line, max(stop, start + 1)))
        return Location(self.source, Span(0, 0, 1, 1, 1, 2))


# ---- loading ------------------------------------------------------------------------------


def find_config(start: Path | None = None) -> Path | None:
    """``winlang.toml`` (or a ``pyproject.toml`` with ``[tool.winlang]``) here or above."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.winlang" in pyproject.read_text("utf-8", "replace"):
            return pyproject
    return None


def load_config(path: Path | None) -> tuple[Config, tuple[Diagnostic, ...]]:
    """Read and validate a configuration file; ``None`` gives the defaults."""
    if path is None:
        return _with_environment(Config()), ()
    display = _display(path)
    try:  # a byte order mark (Windows editors write one) is not part of the TOML
        text = read_small_file(path, MAX_CONFIG_BYTES).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError, NotASmallFile) as error:
        reason = getattr(error, "strerror", None) or str(error)
        return Config(), (at_file("E701", f"can't read the configuration: {reason}", display),)
    source = SourceText(display, text)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+), column (\d+)", str(error))
        line, column = (int(found[1]), int(found[2])) if found else (1, 1)
        span = Span(0, 0, line, column, line, column + 1)
        message = re.sub(r"\s*\(at line.*\)$", "", str(error))
        return Config(), (source.diagnostic("E701", f"invalid TOML: {message}", span),)
    except ValueError:  # tomllib lets Python's own refusal through: an int of 4,301+ digits
        where = _huge_integer(text)
        message = "invalid TOML: a number of more than 4,300 digits"
        return Config(), (source.diagnostic("E701", message, where),)
    prefix: tuple[str, ...] = ()
    if path.name == "pyproject.toml":
        document = document.get("tool", {}).get("winlang", {})
        prefix = ("tool", "winlang")
    reader = _Reader(_Locator(source), prefix, path.parent.resolve())
    config = reader.config(document, path)
    return _with_environment(config), tuple(reader.diagnostics)


def _huge_integer(text: str) -> Span:
    """Where the first run of more than 4,300 digits is."""
    found = re.search(r"\d{4301,}", text)
    start = found.start() if found else 0
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return Span(0, 0, line, column, line, column + 1)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _with_environment(config: Config) -> Config:
    """``WINLANG_STORE_URL`` and ``WINLANG_STATE_URL`` override the file."""
    from dataclasses import replace

    if url := os.environ.get("WINLANG_STORE_URL"):
        config = replace(config, store=replace(config.store, url=url))
    if url := os.environ.get("WINLANG_STATE_URL"):
        config = replace(config, state_url=url)
    return config


def cron_problem(cron: str) -> str | None:
    """What is wrong with a five-field cron expression, or None; None as well when
    APScheduler is not installed (``pip install 'winlang[schedule]'``): `winlang schedule`
    then says so itself."""
    from .cron import CronError, trigger

    try:
        trigger(cron)
    except ImportError:
        return None
    except CronError as error:
        return f"`{cron}` is not a cron expression: {error}"
    return None


def zone_problem(name: str) -> str | None:
    """What is wrong with an IANA time zone name, or None."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f'unknown time zone `{name}` (use an IANA name such as "Europe/Bucharest")'
    return None


def resolve_sqlite(url: str, root: Path) -> str:
    """``sqlite:///shop.db`` relative to the configuration's folder, not the working directory."""
    match = re.match(r"^(sqlite(?:\+\w+)?|duckdb):///(.+)$", url)
    if not match or match[2].startswith("/") or match[2].startswith(":memory:"):
        return url
    return f"{match[1]}:///{(root / match[2]).resolve()}"


_KNOWN = {
    (): (
        "store",
        "state",
        "fields",
        "channels",
        "events",
        "limits",
        "defaults",
        "delivery",
        "schedule",
        "tracking",
    ),
    ("tracking",): ("base_url", "require_unsubscribe"),
    ("store",): ("url", "customers", "events", "schema", "columns", "master", "spark", "duckdb"),
    ("store", "columns"): tuple(COLUMN_DEFAULTS),
    ("store", "duckdb"): ("memory_limit", "temp_directory", "threads"),
    ("state",): ("url", "allow_other_tables"),
    ("events",): ("types",),
    ("limits",): ("sms_max_parts", "sms_placeholder_length", "global_cap"),
    ("defaults",): ("timezone", "locale"),
    ("delivery",): tuple(f.name for f in fields(DeliverySettings)),
}


# The keys of a [channels.NAME] table that are winlang's; the others are the plugin's settings.
_CHANNEL_KEYS = ("plugin", "kind", "address", "consent", "price_per_part")


class _Reader:
    def __init__(self, locate: _Locator, prefix: tuple[str, ...], root: Path) -> None:
        self.locate = locate
        self.prefix = prefix
        self.root = root
        self.diagnostics: list[Diagnostic] = []

    def where(self, *path: str, value: bool = False) -> Location:
        return self.locate.at(*self.prefix, *path, value=value)

    def error(self, code: str, message: str, *path: str, hint: str | None = None) -> None:
        self.diagnostics.append(self.where(*path, value=True).diagnostic(code, message, hint))

    def table(self, document: dict, *path: str) -> dict:
        node: Any = document
        for part in path:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if not isinstance(node, dict):
            self.error("E703", f"`{'.'.join(path)}` must be a table", *path)
            return {}
        for key in node:
            known = _KNOWN.get(path)
            if known is not None and key not in known:
                self.diagnostics.append(
                    self.where(*path, key).diagnostic(
                        "W702",
                        f"unknown key `{key}` in [{'.'.join(path) or 'top level'}]",
                        did_you_mean(key, known) or f"known keys: {', '.join(known)}",
                    )
                )
        return node

    def text(self, table: dict, key: str, default: str, *path: str) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            self.error("E703", f"`{key}` must be a text in quotes", *path, key)
            return default
        return value

    def integer(
        self, table: dict, key: str, default: int, low: int, *path: str, high: int = 10**9
    ) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.error("E703", f"`{key}` must be a whole number of at least {low}", *path, key)
            return default
        if value > high:
            self.error("E703", f"`{key}` must be a whole number of at most {high:,}", *path, key)
            return default
        return value

    def flag(self, table: dict, key: str, *path: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.error("E703", f"`{key}` must be true or false", *path, key)
            return False
        return value

    def config(self, document: dict, path: Path) -> Config:
        self.table(document)
        store_table = self.table(document, "store")
        columns = self.table(document, "store", "columns")
        schema = self.text(store_table, "schema", "", "store")
        store = Store(
            url=resolve_sqlite(
                self.text(store_table, "url", DEFAULT_STORE_URL, "store"), self.root
            ),
            customers=self.text(store_table, "customers", "customers", "store"),
            events=self.text(store_table, "events", "events", "store"),
            schema=(self.root / schema) if schema else None,
            columns=self.columns(columns),
            master=self.text(store_table, "master", "", "store"),
            spark=self.spark_settings(self.table(document, "store", "spark")),
            duckdb=self.duckdb_settings(self.table(document, "store", "duckdb")),
        )
        state = self.table(document, "state")
        events = self.table(document, "events")
        types = events.get("types", [])
        if not (isinstance(types, list) and all(isinstance(t, str) for t in types)):
            self.error("E703", "`types` must be a list of texts", "events", "types")
            types = []
        defaults = self.table(document, "defaults")
        timezone = self.text(defaults, "timezone", "", "defaults") or None
        if timezone:
            self._check_timezone(timezone)
        locale = self.text(defaults, "locale", "en", "defaults") or "en"
        self._check_locale(locale)
        return Config(
            path=path,
            root=self.root,
            store=store,
            state_url=resolve_sqlite(
                self.text(state, "url", DEFAULT_STATE_URL, "state"), self.root
            ),
            state_allow_other_tables=self.flag(state, "allow_other_tables", "state"),
            fields=self.fields(self.table(document, "fields")),
            channels={**DEFAULT_CHANNELS, **self.channels(document)},
            event_types=tuple(types),
            timezone=timezone,
            locale=locale,
            limits=self.limits(self.table(document, "limits")),
            delivery=self.delivery(self.table(document, "delivery")),
            tracking=self.tracking(document),
            source=self.locate.source,
            key_prefix=self.prefix,
            schedule=self.schedule(self.table(document, "schedule")),
        )

    def spark_settings(self, table: dict) -> dict[str, str]:
        """``[store.spark]``: Spark settings (``"spark.executor.memory" = "4g"``), each a
        text, number or true/false, passed to the session as text."""
        settings = {}
        for key, value in table.items():
            if isinstance(value, bool):
                settings[key] = "true" if value else "false"
            elif isinstance(value, str | int | float):
                settings[key] = str(value)
            else:
                self.error(
                    "E703", f"`{key}` must be a text, a number or true/false", "store", "spark", key
                )
        return settings

    def duckdb_settings(self, table: dict) -> dict[str, object]:
        """``[store.duckdb]``: how winlang opens a DuckDB store (docs/engine.md): DuckDB's
        ``memory_limit`` (``"2GB"``, or ``"40%"`` of the machine's memory), its spill folder
        (relative to this file's folder) and its ``threads``."""
        path = ("store", "duckdb")
        settings: dict[str, object] = {}
        limit = self.text(table, "memory_limit", "", *path).strip()
        percent = limit.endswith("%") and MEMORY_SIZE.fullmatch(limit)
        if limit and (not MEMORY_SIZE.fullmatch(limit) or (percent and float(limit[:-1]) > 100)):
            self.error(
                "E703",
                '`memory_limit` must be a size such as "2GB", "512MiB" or "40%"',
                *path,
                "memory_limit",
            )
        elif limit:
            settings["memory_limit"] = limit
        folder = self.text(table, "temp_directory", "", *path)
        if folder:
            settings["temp_directory"] = (self.root / folder).resolve()
        if "threads" in table:
            settings["threads"] = self.integer(table, "threads", 1, 1, *path, high=4096)
        return settings

    def columns(self, table: dict) -> dict[str, str]:
        """``[store.columns]``: known keys mapped to non-empty names (unknown keys were
        reported by :meth:`table` and are left out, so no reader ever sees them)."""
        mapped = {}
        for key, name in table.items():
            if key not in COLUMN_DEFAULTS:
                continue
            if not isinstance(name, str) or not name.strip():
                self.error(
                    "E703",
                    f"`{key}` must be a column name in quotes",
                    "store",
                    "columns",
                    key,
                    hint=f'{key} = "{COLUMN_DEFAULTS[key]}" (the store\'s own column name)',
                )
                continue
            mapped[key] = name
        return mapped

    def schedule(self, table: dict) -> dict[Path, Schedule]:
        """``"ladder.win" = "0 9 * * *"`` (UTC), or ``{ cron = "0 9 * * *", timezone =
        "Europe/Bucharest" }``: each campaign file and when to run it."""
        jobs = {}
        example = '"0 9 * * *" or { cron = "0 9 * * *", timezone = "Europe/Bucharest" }'
        for name, value in table.items():
            path = (self.root / name).resolve()
            if isinstance(value, dict):
                unknown = sorted(set(value) - {"cron", "timezone"})
                cron, zone = value.get("cron"), value.get("timezone", "UTC")
            else:
                unknown, cron, zone = [], value, "UTC"
            if unknown or not isinstance(cron, str) or not isinstance(zone, str):
                self.error(
                    "E711",
                    f"the schedule of `{name}` must be a cron expression in quotes, or a table "
                    "with `cron` and `timezone`"
                    + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
                    "schedule",
                    name,
                    hint=f'"{name}" = {example}',
                )
                continue
            problem = cron_problem(cron) or zone_problem(zone)
            if problem is not None:
                self.error(
                    "E711",
                    f"the schedule of `{name}` can't be read: {problem}",
                    "schedule",
                    name,
                    hint="five fields, minute hour day month weekday: "
                    '"0 9 * * *" is every day at 09:00, "*/30 8-20 * * mon-fri" every half '
                    "hour of a working day; times are UTC unless a `timezone` is given",
                )
                continue
            if not path.is_file():
                self.error(
                    "E711",
                    f"`{name}` in [schedule] is not a campaign file",
                    "schedule",
                    name,
                    hint="give the path of a .win file, relative to the configuration's folder",
                )
                continue
            jobs[path] = Schedule(cron, zone)
        return jobs

    def _check_locale(self, name: str) -> None:
        from .formats import locale_problem

        if problem := locale_problem(name):
            self.error(
                "E614", problem, "defaults", "locale", hint='use a CLDR locale such as "ko_KR"'
            )

    def _check_timezone(self, name: str) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.error(
                "E609",
                f"unknown time zone `{name}`",
                "defaults",
                "timezone",
                hint='use an IANA name such as "Europe/Bucharest"',
            )

    def fields(self, table: dict) -> dict[str, DerivedField]:
        fields = {}
        for name, text in table.items():
            location = self.where("fields", name, value=True)
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                self.error(
                    "E704",
                    f"`{name}` is not a valid field name",
                    "fields",
                    name,
                    hint="names are lower-case letters, digits and `_`",
                )
                continue
            if not isinstance(text, str):
                self.error(
                    "E704",
                    f"derived field `{name}` must be an expression in quotes",
                    "fields",
                    name,
                    hint=f'{name} = "days_since(last_purchase_at)"',
                )
                continue
            offset = location.span.column if location.span else 1  # after the opening quote
            fields[name] = DerivedField(name, text, location, offset)
        return fields

    def channels(self, document: dict) -> dict[str, Channel]:
        channels = {}
        for name, table in self.table(document, "channels").items():
            if not isinstance(table, dict):
                self.error("E708", f"`channels.{name}` must be a table", "channels", name)
                continue
            base = DEFAULT_CHANNELS.get(name)
            where = ("channels", name)
            plugin = self.text(table, "plugin", base.plugin if base else "", *where)
            if not plugin:
                self.error(
                    "E708",
                    f"channel `{name}` needs a `plugin`",
                    *where,
                    hint='plugin = "outbox" (or console, smtp, webhook, ...)',
                )
                continue
            kind = self.text(table, "kind", base.kind if base else "other", *where)
            if kind not in CHANNEL_KINDS:
                self.error(
                    "E708", f"`kind` must be one of {', '.join(CHANNEL_KINDS)}", *where, "kind"
                )
                kind = "other"
            address = self.text(table, "address", base.address if base else "", *where)
            consent = self.text(table, "consent", base.consent if base else "", *where)
            for key, value in (("address", address), ("consent", consent)):
                if not value:
                    self.error(
                        "E708",
                        f"channel `{name}` needs `{key}`: the customer field holding its {key}",
                        *where,
                    )
            price = None
            if "price_per_part" in table:  # NaN only when it is no number: reported, unused
                price = self.number(table, "price_per_part", math.nan, 0, *where)
                price = None if math.isnan(price) else price
            settings = {k: v for k, v in table.items() if k not in _CHANNEL_KEYS}
            channels[name] = Channel(
                name, plugin, kind, address, consent, settings, self.where(*where), price
            )
        return channels

    def tracking(self, document: dict) -> TrackingSettings | None:
        """``[tracking]``: None when the table is absent (links stay long ones)."""
        from .links import base_url_problem

        if "tracking" not in document:
            return None
        table = self.table(document, "tracking")
        base_url = table.get("base_url")
        if base_url is None:
            problem = "`base_url` is missing: the address `winlang serve` is reached at"
        elif not isinstance(base_url, str):
            problem = "`base_url` must be a web address in quotes"
        else:
            problem = base_url_problem(base_url)
        if problem is not None:
            hint = 'base_url = "https://go.example.com"'
            self.error("E703", problem, "tracking", "base_url", hint=hint)
            return None
        required = table.get("require_unsubscribe", [])
        if not (isinstance(required, list) and all(isinstance(c, str) for c in required)):
            self.error(
                "E703",
                "`require_unsubscribe` must be a list of channel names or kinds",
                "tracking",
                "require_unsubscribe",
                hint='require_unsubscribe = ["email", "sms"]',
            )
            required = []
        return TrackingSettings(base_url, tuple(required))

    def number(self, table: dict, key: str, default: float, low: float, *path: str) -> float:
        value = table.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= 1e9  # beyond 30 years a duration is a typo
        ):
            self.error("E703", f"`{key}` must be a number from {low:g} to 1e9", *path, key)
            return default
        return float(value)

    def delivery(self, table: dict) -> DeliverySettings:
        d = DeliverySettings()
        return DeliverySettings(
            concurrency=self.integer(table, "concurrency", d.concurrency, 1, "delivery"),
            max_attempts=self.integer(table, "max_attempts", d.max_attempts, 1, "delivery"),
            backoff_seconds=self.number(table, "backoff_seconds", d.backoff_seconds, 0, "delivery"),
            backoff_max_seconds=self.number(
                table, "backoff_max_seconds", d.backoff_max_seconds, 0, "delivery"
            ),
            lease_seconds=self.number(table, "lease_seconds", d.lease_seconds, 1, "delivery"),
            plan_batch=self.integer(table, "plan_batch", d.plan_batch, 1, "delivery"),
        )

    def limits(self, table: dict) -> Limits:
        cap = table.get("global_cap")
        global_cap = None
        if cap is not None:
            if (
                isinstance(cap, list)
                and len(cap) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in cap)
                and 0 < cap[0] <= 10**9
                and 0 < cap[1] <= MAX_CAP_DAYS
            ):
                global_cap = (cap[0], cap[1])
            else:
                self.error(
                    "E703",
                    "`global_cap` is [messages, days], e.g. [3, 7]: whole numbers, "
                    f"days at most {MAX_CAP_DAYS:,} (100 years)",
                    "limits",
                    "global_cap",
                )
        return Limits(
            # 255 parts is the most a concatenated SMS can have
            sms_max_parts=self.integer(table, "sms_max_parts", 3, 1, "limits", high=255),
            sms_placeholder_length=self.integer(
                table, "sms_placeholder_length", 10, 0, "limits", high=1_000
            ),
            global_cap=global_cap,
        )
