"""Run a campaign test file: for each engine, a temporary store and state, then at each step
a real run (evaluation, contact policies, ledger, rendering, the ``outbox`` channel), and what
each customer got, read back from the ledger and the outbox, compared with the expectations.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import orjson
import sqlalchemy as sa

from ..check import CheckedCampaign
from ..config import Config, find_config, load_config
from ..diagnostics import Diagnostic, sort_key
from ..project import Project, check_file, open_project
from ..schema import Schema, SchemaError, load_schema_file
from ..state import open_state
from ..suggest import did_you_mean
from .compare import Failure, Observed, compare_step
from .spec import Event, Problem, TestFile, TestFileError, read_test_file
from .store import events_table, fixture_problems, infer_schema, insert_events, write_store


@dataclass(frozen=True)
class FileResult:
    """What running one test file gave: failures (empty when it passed), or the campaign's
    errors when it does not check."""

    file: str
    campaign: str
    engines: tuple[str, ...]
    steps: int
    checks: int  # expectations x customers x engines compared
    failures: tuple[Failure, ...]
    campaign_errors: tuple[Diagnostic, ...] = ()
    named: tuple[str, ...] = ()  # the engines the file names

    @property
    def skipped(self) -> bool:
        """No engine left to run: the file names others than the ones asked for."""
        return not self.engines and not self.campaign_errors

    @property
    def passed(self) -> bool:
        return not self.failures and not self.campaign_errors


@dataclass(frozen=True)
class Prepared:
    test: TestFile
    project: Project
    checked: CheckedCampaign | None
    schema: Schema
    errors: tuple[Diagnostic, ...]


def run_test_file(
    path: Path,
    display: str | None = None,
    engines: tuple[str, ...] | None = None,
    campaign: Path | None = None,
) -> FileResult:
    """Run one test file. A :class:`TestFileError` when the file itself can't be used.

    ``campaign`` replaces the campaign file the test names (the mutation tests use it)."""
    test = read_test_file(path, display)
    if campaign is not None:
        test = replace(test, campaign=campaign)
    with tempfile.TemporaryDirectory(prefix="winlang-test-", dir=_scratch()) as folder:
        prepared = prepare(test, Path(folder))
        name = _display(test.campaign)
        chosen = tuple(e for e in test.engines if engines is None or e in engines)
        if prepared.checked is None:
            return FileResult(
                test.display, name, chosen, len(test.steps), 0, (), prepared.errors, test.engines
            )
        failures: list[Failure] = []
        checks = 0
        for engine in chosen:
            work = Path(folder) / engine
            work.mkdir()
            found, count = run_engine(prepared, engine, work)
            failures += found
            checks += count
    return FileResult(
        test.display, name, chosen, len(test.steps), checks, _merged(failures), (), test.engines
    )


def _scratch() -> str | None:
    """Where the throwaway store, state and outbox go: a RAM disk when there is one, since
    every ledger transaction is synced to disk and a test makes hundreds of them."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def prepare(test: TestFile, folder: Path) -> Prepared:
    """The project (configuration, schema) and the checked campaign; problems of the test
    file against them raise :class:`TestFileError`."""
    config_path = test.config or find_config(test.campaign.parent)
    config, _ = load_config(config_path)
    try:
        schema = load_schema_file(config.store.schema) if config.store.schema else None
    except SchemaError as error:
        raise TestFileError(test.display, [Problem(1, str(error))]) from None
    inferred = schema is None
    if not inferred and test.types:
        line = test.locator.line("types")
        raise TestFileError(
            test.display,
            [
                Problem(
                    line,
                    "[types] is for projects without a schema file; this project's types come "
                    f"from {config.store.schema}",
                    "leave [types] out",
                )
            ],
        )
    schema = schema or infer_schema(test, config)
    schema_file = folder / "schema.json"
    schema_file.write_bytes(schema.to_json())
    project = open_project(config_path, schema_file, search=False)
    problems = fixture_problems(test, schema, config.store.column("id"))
    result = check_file(test.campaign, project, _display(test.campaign))
    findings = sorted((*project.diagnostics, *result.diagnostics), key=sort_key)
    errors = tuple(f for f in findings if f.is_error)
    checked = None if errors else result.checked
    if checked is not None:
        problems += name_problems(test, checked)
        if inferred:
            problems += misspelt_fields(test, checked)
    if problems:
        raise TestFileError(test.display, sorted(problems, key=lambda p: p.line))
    return Prepared(test, project, checked, schema, errors or (() if checked else findings))


def name_problems(test: TestFile, checked: CheckedCampaign) -> list[Problem]:
    """Rules, templates, channels and customers an expectation or event names that the
    campaign or the fixtures do not have: a typo must not make a test that can't fail."""
    campaign = checked.campaign
    rules = tuple(r.name.name for r in campaign.rules)
    templates = tuple(t.name.name for t in campaign.templates)
    channels = tuple(dict.fromkeys(t.channel.name for t in campaign.templates))
    customers = {c.id for c in test.customers}
    problems = []

    def unknown(line: int, what: str, name: object, known) -> None:
        hint = did_you_mean(str(name), tuple(map(str, known))) or (
            f"the campaign's {what}s: {', '.join(map(str, known)) or 'none'}"
        )
        problems.append(Problem(line, f"unknown {what} `{name}`", hint))

    for step in test.steps:
        for expect in step.expect:
            for id_ in expect.customers:
                if id_ not in customers:
                    unknown(expect.line, "customer", id_, [c.id for c in test.customers])
            if expect.rule is not None and expect.rule not in rules:
                unknown(expect.line, "rule", expect.rule, rules)
            if (t := expect.message.get("template")) is not None and t not in templates:
                unknown(expect.line, "template", t, templates)
            if (c := expect.message.get("channel")) is not None and c not in channels:
                unknown(expect.line, "channel", c, channels)
        for event in step.events:
            if event.message is not None and event.message not in templates:
                unknown(event.line, "template", event.message, templates)
    for event in (*test.events, *(e for s in test.steps for e in s.events)):
        if event.customer not in customers:
            unknown(event.line, "customer", event.customer, [c.id for c in test.customers])
    return problems


_WORD = re.compile(r"[a-z_][a-z0-9_]*")


def misspelt_fields(test: TestFile, checked: CheckedCampaign) -> list[Problem]:
    """Without a schema file any field name is taken as written, so a fixture field the
    campaign never reads, but close to one it does, is taken for a typo: `ordrs`."""
    config = checked.config
    read = set(_WORD.findall(test.campaign.read_text(encoding="utf-8", errors="replace")))
    read |= {w for field in config.fields.values() for w in _WORD.findall(field.text)}
    read |= {c.address for c in config.channels.values()}
    read |= {c.consent for c in config.channels.values()}
    read.add(config.store.column("timezone"))
    problems = []
    for i, customer in enumerate(test.customers):
        for name in customer.fields:
            if name not in read and (close := did_you_mean(name, tuple(sorted(read)))):
                problems.append(
                    Problem(
                        test.locator.line("customer", i, name),
                        f"customer {customer.id}: the campaign reads no field `{name}`",
                        close,
                    )
                )
    return problems


def test_config(config: Config, folder: Path) -> Config:
    """The project's configuration pointed at the temporary store and state, every channel
    delivering to an outbox file in ``folder`` (nothing leaves the machine)."""
    channels = {
        name: replace(channel, plugin="outbox", settings={"path": f"outbox/{name}.jsonl"})
        for name, channel in config.channels.items()
    }
    store = replace(config.store, url=f"sqlite:///{folder / 'store.db'}", schema=None)
    return replace(
        config,
        root=folder,
        store=store,
        state_url=f"sqlite:///{folder / 'state.db'}",
        state_allow_other_tables=False,
        channels=channels,
        limits=config.limits,
        # nothing leaves the machine: unsubscribe links need no real secret
        tracking=replace(config.tracking, stand_in_secret=True) if config.tracking else None,
    )


def run_engine(prepared: Prepared, engine: str, folder: Path) -> tuple[list[Failure], int]:
    """Every step of the test on one engine, in a fresh store and state."""
    from ..deliver.run import deliver_campaign
    from ..evaluate import evaluate_campaign, open_store
    from ..sources.ingested import with_ingested

    test, checked = prepared.test, prepared.checked
    assert checked is not None
    config = test_config(prepared.project.config, folder)
    write_store(folder / "store.db", test, prepared.schema, config)
    state = open_state(config.state_url)
    table = events_table(sa.MetaData(), prepared.schema, config)
    next_id = len(test.events) + 1
    failures: list[Failure] = []
    checks = 0
    try:
        for step in test.steps:
            events = [_resolved(e, state, checked) for e in step.events]
            insert_events(folder / "store.db", table, events, prepared.schema, config, next_id)
            next_id += len(events)
            source = with_ingested(open_store(config), state)
            evaluation = evaluate_campaign(checked, source, step.at, engine, state=state.view())
            delivery = deliver_campaign(checked, evaluation, source, config, state, config.delivery)
            observed = observe(state, delivery.run_id, folder / "outbox")
            found, count = compare_step(test, step, observed, checked, engine)
            failures += found
            checks += count
    finally:
        state.close()
    return failures, checks


def _resolved(event: Event, state, checked: CheckedCampaign) -> Event:
    """An event for a message the campaign sent (``message = "survey"``) gets the message's
    campaign, template and channel from the ledger; without such a message it is kept as
    written (campaign and template set), so the step's expectations show what went wrong."""
    if event.message is None:
        return event
    campaign = checked.campaign.name or ""
    channel = state.sent_channel(campaign, str(event.customer), event.message)
    columns = {"campaign": campaign, "template": event.message, **event.columns}
    if channel is not None:
        columns.setdefault("channel", channel)
    return replace(event, columns=columns)


def observe(state, run_id: int, outbox: Path) -> dict[str, Observed]:
    """What each customer got in run ``run_id``: from its ledger rows and the outbox lines."""
    sent = {}
    for path in sorted(outbox.glob("*.jsonl")) if outbox.is_dir() else ():
        for line in path.read_bytes().splitlines():
            if line.strip():
                message = orjson.loads(line)
                sent[message["idempotency_key"]] = message
    found: dict[str, Observed] = {}
    for row in state.run_messages(run_id):
        result = {"done": "actions"}.get(row.status, row.status)
        message = _sent_message(sent, row.key, row.channel)
        found[row.customer_id] = Observed(result, row.rule, row.due_at, message, row.error)
    for skip in state.run_skips(run_id):
        result = "deferred" if skip.reason == "quiet_hours" else skip.reason
        until = skip.until.replace(tzinfo=None) if skip.until else None
        found[skip.customer_id] = Observed(result, skip.rule, until, {}, None)
    return found


def _sent_message(sent: dict, key: str, channel: str | None) -> dict:
    """The outbox line of a firing: the first step's key, or a failover's (``key/1``...)."""
    for candidate in (key, *(f"{key}/{n}" for n in range(1, 10))):
        line = sent.get(candidate)
        if line is not None and (channel is None or line.get("channel") == channel):
            return line
    return {}


def _merged(failures: list[Failure]) -> tuple[Failure, ...]:
    """One failure per finding, naming every engine that gave it."""
    merged: dict[tuple, Failure] = {}
    for failure in failures:
        key = failure.identity
        if key in merged:
            merged[key] = replace(merged[key], engines=(*merged[key].engines, *failure.engines))
        else:
            merged[key] = failure
    return tuple(sorted(merged.values(), key=lambda f: (f.line, str(f.customer))))
