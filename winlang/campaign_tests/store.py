"""The test's customer store: a temporary SQLite file made from the fixtures.

Field types come from the project's schema file (``[store] schema``, the one `winlang check`
uses in CI) when it has one; otherwise they are inferred from the values written in the test
file (a whole number or decimal is a number, true/false a bool, a date-time or ``"30 days
ago"`` a timestamp, a date a date, a text a text). The real store is never read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from ..config import Config
from ..schema import EVENT_COLUMNS, Schema
from ..suggest import did_you_mean
from ..types import BOOL, DATE, NUMBER, SCALARS, TEXT, TIMESTAMP, Type
from .spec import Event, Problem, TestFile
from .times import TimeError, instant

# Event keys of a test file -> the [store.columns] key naming the store's column.
EVENT_KEYS = {
    "customer": "customer_id",
    "type": "type",
    "at": "occurred_at",
    "channel": "channel",
    "campaign": "campaign",
    "template": "template",
}


def infer_schema(test: TestFile, config: Config) -> Schema:
    """The schema the fixtures imply, the test file's ``[types]`` first, with every
    channel's address and consent field."""
    key = config.store.column("id")
    customers: dict[str, Type] = {key: NUMBER if _all_ints(c.id for c in test.customers) else TEXT}
    for customer in test.customers:
        for name, value in customer.fields.items():
            kind = _kind_of(value)
            if kind is not None and (name not in customers or customers[name] == TEXT):
                customers[name] = kind
    customers.update({name: SCALARS[kind] for name, kind in test.types.items()})
    for channel in config.channels.values():
        customers.setdefault(channel.address, TEXT)
        customers.setdefault(channel.consent, BOOL)
    events: dict[str, Type] = {name: TEXT for name in EVENT_COLUMNS}
    events["customer_id"] = customers[key]
    events["occurred_at"] = TIMESTAMP
    for event in _all_events(test):
        for name, value in event.columns.items():
            if name not in events and (kind := _kind_of(value)) is not None:
                events[name] = kind
    return Schema(customers, events)


def _all_events(test: TestFile) -> list[Event]:
    return [*test.events, *(e for s in test.steps for e in s.events)]


def _all_ints(values) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _kind_of(value: object) -> Type | None:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUMBER
    if isinstance(value, datetime):
        return TIMESTAMP
    if isinstance(value, date):
        return DATE
    if isinstance(value, str):
        try:
            instant(value, None)
        except TimeError:
            return TEXT
        return DATE if len(value.strip()) == 10 else TIMESTAMP
    return None


def fixture_problems(test: TestFile, schema: Schema, key: str = "id") -> list[Problem]:
    """Customer fields and event columns the schema lacks, and values of the wrong type;
    ``key`` is the customers' id column."""
    problems = []
    known = tuple(schema.customers)
    id_kind = schema.customers.get(key)
    for i, customer in enumerate(test.customers):
        if id_kind is not None and _value_problem(customer.id, id_kind) is not None:
            problems.append(
                Problem(
                    test.locator.line("customer", i, "id"),
                    f"customer {customer.id}: the store's ids are {id_kind.kind}s",
                    'write the id as the store holds it: 42 or "c-42"',
                )
            )
        for name, value in customer.fields.items():
            line = test.locator.line("customer", i, name)
            if name == key:
                problems.append(
                    Problem(line, f"customer {customer.id}: `{name}` is the id", "write it as `id`")
                )
                continue
            if name not in schema.customers:
                hint = did_you_mean(name, known) or f"the customers' fields: {', '.join(known)}"
                problems.append(
                    Problem(line, f"customer {customer.id}: unknown field `{name}`", hint)
                )
            elif (problem := _value_problem(value, schema.customers[name])) is not None:
                problems.append(Problem(line, f"customer {customer.id}: `{name}` {problem}"))
    event_columns = tuple(schema.events) or EVENT_COLUMNS
    for event in _all_events(test):
        for name in event.columns:
            if name not in event_columns and name not in EVENT_KEYS:
                hint = did_you_mean(name, event_columns) or f"columns: {', '.join(event_columns)}"
                problems.append(Problem(event.line, f"unknown event column `{name}`", hint))
    return problems


def _value_problem(value: object, kind: Type) -> str | None:
    if value is None:
        return None
    if kind == NUMBER and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"is a number field, not {value!r}"
    if kind == BOOL and not isinstance(value, bool):
        return f"is true or false, not {value!r}"
    if kind == TEXT and not isinstance(value, str):
        return f'is a text field: write it in quotes, "{value}"'
    if kind.is_time:
        try:
            instant(value, None)
        except TimeError as error:
            return str(error)
    return None


def write_store(path: Path, test: TestFile, schema: Schema, config: Config) -> None:
    """Create the customers and events tables at ``path`` and insert the fixtures."""
    engine = sa.create_engine(f"sqlite:///{path}")
    metadata = sa.MetaData()
    customer_values = [{config.store.column("id"): c.id, **c.fields} for c in test.customers]
    customers = sa.Table(
        config.store.customers,
        metadata,
        *(
            sa.Column(
                name,
                _sql_type(kind, [v.get(name) for v in customer_values]),
                primary_key=name == config.store.column("id"),
            )
            for name, kind in schema.customers.items()
        ),
    )
    events = events_table(metadata, schema, config)
    metadata.create_all(engine)
    rows = [
        {name: _stored(row.get(name), kind) for name, kind in schema.customers.items()}
        for row in customer_values
    ]
    with engine.begin() as connection:
        if rows:
            connection.execute(customers.insert(), rows)
    engine.dispose()
    insert_events(path, events, test.events, schema, config, first_id=1)


def events_table(metadata: sa.MetaData, schema: Schema, config: Config) -> sa.Table:
    columns = dict(schema.events) or {name: TEXT for name in EVENT_COLUMNS}
    columns.setdefault("customer_id", schema.customers.get(config.store.column("id"), NUMBER))
    columns.setdefault("occurred_at", TIMESTAMP)
    renamed = {
        config.store.column(k) if k in EVENT_KEYS.values() else k: kind
        for k, kind in columns.items()
    }
    return sa.Table(
        config.store.events,
        metadata,
        *(sa.Column(name, _sql_type(kind, [])) for name, kind in renamed.items()),
    )


def insert_events(
    path: Path, table: sa.Table, events, schema: Schema, config: Config, first_id: int
) -> None:
    rows = []
    for n, event in enumerate(events):
        values = {key: event.columns.get(key) for key in ("channel", "campaign", "template")}
        values.update(customer=event.customer, type=event.type, at=event.at)
        row = {config.store.column(EVENT_KEYS[k]): v for k, v in values.items()}
        row.update({k: v for k, v in event.columns.items() if k not in EVENT_KEYS})
        if "id" in table.c and "id" not in row:
            row["id"] = first_id + n
        rows.append({c.name: _stored(row.get(c.name), None) for c in table.columns})
    if not rows:
        return
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)
    engine.dispose()


def _sql_type(kind: Type, values: list) -> sa.types.TypeEngine:
    if kind == NUMBER:
        return sa.BigInteger() if _all_ints(v for v in values if v is not None) else sa.Float()
    return {
        "text": sa.String(),
        "bool": sa.Boolean(),
        "timestamp": sa.DateTime(),
        "date": sa.Date(),
    }[SCALARS[kind.kind].kind]


def _stored(value: object, kind: Type | None) -> object:
    """A fixture value as the SQLite column holds it: times naive UTC, dates as dates."""
    if value is None:
        return None
    timely = (kind is not None and kind.is_time) or isinstance(value, datetime | date)
    if timely and isinstance(value, str | datetime | date):
        moment = instant(value, None)
        if kind == DATE:
            return moment.date()
        return moment.astimezone(UTC).replace(tzinfo=None)
    return value
