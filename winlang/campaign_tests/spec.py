"""A campaign test file (``*.test.toml``) read into frozen dataclasses, or the list of what is
wrong with it, each problem at its line.

The format is in docs/testing.md. Reading is pure: the campaign itself is checked later
(:mod:`winlang.campaign_tests.run`), and names in expectations are checked against it there.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..policies.reasons import NO_LONGER_MATCHES, TOO_LONG, Reason
from ..suggest import did_you_mean
from ..types import SCALARS
from .locate import Locator
from .times import TimeError, duration, instant

ENGINES = ("numpy", "sql")
# What can happen to a customer in one step: a message sent or failed for good, the control
# group, quiet hours, a rule without `send`, no rule at all, or a contact policy's reason.
OUTCOMES = ("sent", "failed", "held_out", "deferred", "actions", "nothing")
SKIP_REASONS = (
    *(r.value for r in Reason if r not in (Reason.HOLDOUT, Reason.QUIET_HOURS)),
    TOO_LONG,
    NO_LONGER_MATCHES,
)
RESULTS = (*OUTCOMES, *SKIP_REASONS, "quiet_hours")
MESSAGE_KEYS = ("channel", "template", "text", "contains", "subject", "to", "parts", "variant")
EXPECT_KEYS = ("customer", "result", "rule", "until", *MESSAGE_KEYS)
EVENT_KEYS = ("customer", "type", "at", "channel", "campaign", "template", "message")
STEP_KEYS = ("name", "at", "after", "events", "expect", "others")
TOP_KEYS = (
    "campaign",
    "config",
    "engines",
    "description",
    "types",
    "defaults",
    "customer",
    "event",
    "step",
)


@dataclass(frozen=True)
class Problem:
    """Something wrong with a test file, at a line."""

    line: int
    message: str
    hint: str | None = None


class TestFileError(Exception):
    """A test file that can't be run: its problems, each at a line."""

    __test__ = False  # not a pytest class

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("; ".join(f"{path}:{p.line}: {p.message}" for p in problems))


@dataclass(frozen=True)
class Customer:
    id: object
    fields: Mapping[str, object]  # times already read as aware UTC datetimes
    line: int


@dataclass(frozen=True)
class Event:
    customer: object
    type: str
    at: datetime
    columns: Mapping[str, object]  # channel, campaign, template and extra columns
    message: str | None  # `message = "survey"`: the template of a message the campaign sent
    line: int


@dataclass(frozen=True)
class Expectation:
    customers: tuple[object, ...]
    result: str | None  # one of RESULTS, normalized: quiet_hours -> deferred
    rule: str | None
    until: datetime | None
    message: Mapping[str, object]  # the MESSAGE_KEYS given; contains as a tuple of texts
    line: int


@dataclass(frozen=True)
class Step:
    number: int  # from 1
    name: str | None
    at: datetime
    events: tuple[Event, ...]
    expect: tuple[Expectation, ...]
    strict: bool  # others = "nothing": customers not named must get nothing
    line: int


@dataclass(frozen=True)
class TestFile:
    __test__ = False

    path: Path
    display: str
    campaign: Path
    config: Path | None
    engines: tuple[str, ...]
    description: str | None
    customers: tuple[Customer, ...]
    events: tuple[Event, ...]
    steps: tuple[Step, ...]
    locator: Locator = field(repr=False, compare=False)
    types: Mapping[str, str] = field(default_factory=dict)  # [types]: declared field types


def read_test_file(path: Path, display: str | None = None) -> TestFile:
    """Read and validate ``path``; a :class:`TestFileError` lists every problem found."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise TestFileError(name, [Problem(1, f"can't read this test file: {reason}")]) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"line (\d+)", str(error))
        line = int(found[1]) if found else text.count("\n") + 1  # "at end of document"
        message = re.sub(r"\s*\(at (line|end of document).*\)$", "", str(error))
        problem = Problem(line, f"invalid TOML: {message}")
        raise TestFileError(name, [problem]) from None
    reader = _Reader(Locator(text))
    parsed = reader.document(document, path, name)
    if reader.problems or parsed is None:
        raise TestFileError(name, sorted(reader.problems, key=lambda p: p.line))
    return parsed


class _Reader:
    def __init__(self, locator: Locator) -> None:
        self.locator = locator
        self.problems: list[Problem] = []

    def problem(self, path: tuple, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.locator.line(*path), message, hint))

    def known(self, table: Mapping, keys: tuple[str, ...], path: tuple, what: str) -> None:
        for key in table:
            if key not in keys:
                self.problem(
                    (*path, key),
                    f"unknown key `{key}` in {what}",
                    did_you_mean(key, keys) or f"known keys: {', '.join(keys)}",
                )

    def items(self, document: Mapping, key: str, path: tuple) -> list[tuple[tuple, dict]]:
        value = document.get(key, [])
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem((*path, key), f"`{key}` must be a list of tables ({{ key = value }})")
            return []
        return [((*path, key, i), item) for i, item in enumerate(value)]

    def document(self, document: dict, path: Path, display: str) -> TestFile | None:
        self.known(document, TOP_KEYS, (), "the test file")
        campaign = document.get("campaign")
        if not isinstance(campaign, str) or not campaign:
            self.problem(
                ("campaign",),
                'the test file must name its campaign: campaign = "ladder.win"',
                "the path is relative to the test file's folder",
            )
            campaign_path = None
        else:
            campaign_path = path.parent / campaign
            if not campaign_path.is_file():
                self.problem(
                    ("campaign",),
                    f"campaign file `{campaign}` not found",
                    f"the path is relative to {path.parent}",
                )
        config = document.get("config")
        config_path = None
        if config is not None:
            if not isinstance(config, str) or not (path.parent / config).is_file():
                self.problem(("config",), f"configuration file `{config}` not found")
            else:
                config_path = path.parent / config
        engines = self.engines(document.get("engines", list(ENGINES)))
        description = document.get("description")
        defaults = document.get("defaults", {})
        if not isinstance(defaults, dict):
            self.problem(("defaults",), "`defaults` must be a table of customer fields")
            defaults = {}
        steps = self.items(document, "step", ())
        if not steps:
            self.problem(
                (), "the test file has no steps", 'add a [[step]] with at = "..." and expect'
            )
        start = self.start(steps)
        customers = self.customers(document, defaults, start)
        events = tuple(
            e
            for where, item in self.items(document, "event", ())
            if (e := self.event(where, item, start)) is not None
        )
        read_steps = self.steps(steps, start)
        if campaign_path is None or start is None:
            return None
        return TestFile(
            path=path,
            display=display,
            campaign=campaign_path,
            config=config_path,
            engines=engines,
            description=description if isinstance(description, str) else None,
            types=self.types(document.get("types", {})),
            customers=customers,
            events=events,
            steps=read_steps,
            locator=self.locator,
        )

    def types(self, table: object) -> dict[str, str]:
        """``[types]``: field = "number" | "text" | "bool" | "timestamp" | "date"."""
        if not isinstance(table, dict):
            self.problem(("types",), '`types` is a table: field = "text"')
            return {}
        for name, kind in table.items():
            if kind not in SCALARS:
                self.problem(
                    ("types", name),
                    f"`{name}`: unknown type `{kind}`",
                    f"one of {', '.join(SCALARS)}",
                )
        return {n: k for n, k in table.items() if k in SCALARS}

    def engines(self, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or any(v not in ENGINES for v in value):
            self.problem(
                ("engines",),
                f"`engines` is a list of {' and '.join(ENGINES)}",
                'engines = ["numpy", "sql"] (the default)',
            )
            return ENGINES
        return tuple(dict.fromkeys(value))

    def start(self, steps: list[tuple[tuple, dict]]) -> datetime | None:
        if not steps:
            return None
        where, first = steps[0]
        if "at" not in first:
            self.problem(
                where, "the first step needs `at`: the test's start", 'at = "2026-11-01T10:00:00Z"'
            )
            return None
        return self.time((*where, "at"), first["at"], None)

    def time(self, where: tuple, value: object, clock: datetime | None) -> datetime | None:
        try:
            return instant(value, clock)
        except TimeError as error:
            self.problem(where, str(error))
            return None

    def customer_id(self, where: tuple, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            self.problem(where, "a customer id is a whole number or a text")
            return None
        return value

    def customers(self, document: dict, defaults: dict, start: datetime | None) -> tuple:
        found = []
        seen: set = set()
        for where, item in self.items(document, "customer", ()):
            if "id" not in item:
                self.problem(where, "a customer needs an `id`")
                continue
            id_ = self.customer_id((*where, "id"), item["id"])
            if id_ in seen:
                self.problem((*where, "id"), f"customer {id_} is written twice")
            seen.add(id_)
            fields = {}
            for key, value in {**defaults, **item}.items():
                if key == "id":
                    continue
                if isinstance(value, str) and value.endswith(" ago"):
                    value = self.time((*where, key), value, start)
                elif isinstance(value, dict | list):
                    self.problem((*where, key), f"`{key}` must be one value")
                    continue
                fields[key] = value
            found.append(Customer(id_, fields, self.locator.line(*where)))
        if not found:
            self.problem((), "the test file has no customers", "add a [[customer]] with an id")
        return tuple(found)

    def event(self, where: tuple, item: dict, clock: datetime | None) -> Event | None:
        for key in ("customer", "type"):
            if key not in item:
                self.problem(where, f"an event needs `{key}`")
                return None
        if not isinstance(item["type"], str):
            self.problem((*where, "type"), "an event's `type` is a text: open, click, purchase...")
            return None
        at = self.time((*where, "at"), item["at"], clock) if "at" in item else clock
        message = item.get("message")
        if message is not None and not isinstance(message, str):
            self.problem((*where, "message"), "`message` names a template of the campaign")
            message = None
        columns = {k: v for k, v in item.items() if k not in ("customer", "type", "at", "message")}
        for key, value in columns.items():
            if isinstance(value, dict | list):
                self.problem((*where, key), f"`{key}` must be one value")
        if at is None:
            return None
        id_ = self.customer_id((*where, "customer"), item["customer"])
        return Event(id_, item["type"], at, columns, message, self.locator.line(*where))

    def steps(self, steps: list[tuple[tuple, dict]], start: datetime | None) -> tuple[Step, ...]:
        found = []
        clock = start
        for number, (where, item) in enumerate(steps, start=1):
            self.known(item, STEP_KEYS, where, f"step {number}")
            if number > 1:
                if ("at" in item) == ("after" in item):
                    self.problem(
                        where,
                        f"step {number} needs `at` or `after` (one of them)",
                        'after = "31 days" moves the clock on from the step before',
                    )
                    continue
                if "after" in item:
                    try:
                        clock = clock + duration(item["after"]) if clock else None
                    except TimeError as error:
                        self.problem((*where, "after"), str(error))
                        continue
                else:
                    moved = self.time((*where, "at"), item["at"], clock)
                    if moved is not None and clock is not None and moved < clock:
                        self.problem(
                            (*where, "at"),
                            "the clock can't go back in time",
                            "steps run in order; each `at` is at or after the last",
                        )
                    clock = moved
            if clock is None:
                continue
            others = item.get("others", "nothing")
            if others not in ("nothing", "any"):
                self.problem(
                    (*where, "others"),
                    '`others` is "nothing" (the default) or "any"',
                    "nothing: a customer the step does not name must get nothing",
                )
            events = tuple(
                e
                for w, event in self.items(item, "events", where)
                if (e := self.event(w, event, clock)) is not None
            )
            expects = tuple(
                e
                for w, expect in self.items(item, "expect", where)
                if (e := self.expectation(w, expect, clock)) is not None
            )
            name = item.get("name") if isinstance(item.get("name"), str) else None
            found.append(
                Step(
                    number, name, clock, events, expects, others != "any", self.locator.line(*where)
                )
            )
        return tuple(found)

    def expectation(self, where: tuple, item: dict, clock: datetime) -> Expectation | None:
        self.known(item, EXPECT_KEYS, where, "an expectation")
        if "customer" not in item:
            self.problem(where, "an expectation needs `customer` (an id, or a list of ids)")
            return None
        ids = item["customer"] if isinstance(item["customer"], list) else [item["customer"]]
        customers = tuple(self.customer_id((*where, "customer"), i) for i in ids)
        result = item.get("result")
        if result is not None and result not in RESULTS:
            self.problem(
                (*where, "result"),
                f"unknown result `{result}`",
                did_you_mean(str(result), RESULTS) or f"one of {', '.join(RESULTS)}",
            )
            return None
        if result == "quiet_hours":
            result = "deferred"
        message: dict[str, Any] = {}
        for key in MESSAGE_KEYS:
            if key not in item:
                continue
            value = item[key]
            if key == "contains":
                value = tuple(value) if isinstance(value, list) else (value,)
                if not all(isinstance(v, str) for v in value):
                    self.problem((*where, key), "`contains` is a text or a list of texts")
                    continue
            elif key == "parts":
                if isinstance(value, bool) or not isinstance(value, int):
                    self.problem((*where, key), "`parts` is a whole number")
                    continue
            elif not isinstance(value, str):
                self.problem((*where, key), f"`{key}` is a text")
                continue
            message[key] = value
        if message and result not in (None, "sent", "failed"):
            self.problem(
                where,
                f"a customer with result `{result}` gets no message to compare",
                f'drop {", ".join(message)} or expect result = "sent"',
            )
        if result is None and message:
            result = "sent"
        rule = item.get("rule")
        if rule is not None and not isinstance(rule, str):
            self.problem((*where, "rule"), "`rule` is the name of a rule")
            rule = None
        until = self.time((*where, "until"), item["until"], clock) if "until" in item else None
        if until is not None and result != "deferred":
            self.problem((*where, "until"), '`until` goes with result = "deferred"')
        if result is None and rule is None:
            self.problem(
                where,
                "say what the customer gets: `result`, `rule` or the message",
                'e.g. { customer = 1, rule = "survey", channel = "sms" } or '
                '{ customer = 2, result = "nothing" }',
            )
            return None
        return Expectation(customers, result, rule, until, message, self.locator.line(*where))
