"""Small hand-made stores in real databases (SQLite, DuckDB, PostgreSQL) for the SQL backend.

``store`` (a fixture in the test modules, parametrized by database) gives an engine; ``load``
writes Arrow tables into it with SQLAlchemy Core types, the way real stores hold them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.sql.elements import quoted_name

from tests.backends.tables import (  # noqa: F401 - re-exported for the test modules
    DAY,
    EVENT_TYPES,
    HOUR,
    NO_EVENTS,
    NOW,
    ago,
    customers,
    events,
)
from winlang.backends.base import RunContext
from winlang.backends.sql import SqlBackend
from winlang.contracts.source import Layout
from winlang.contracts.state import StateView
from winlang.plan import ir
from winlang.schema import Schema, reflect_schema

from .numpy_support import LADDER_TEXT

US = timedelta(microseconds=1)

DATABASES = ["sqlite", "duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


def make_engine(request: pytest.FixtureRequest, database: str, tmp_path) -> sa.Engine:
    """An empty database of the given kind (PostgreSQL: the shared test server)."""
    if database == "sqlite":
        return sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    if database == "duckdb":
        pytest.importorskip("duckdb_engine")
        return sa.create_engine(f"duckdb:///{tmp_path / 'store.duckdb'}")
    return request.getfixturevalue("postgres_engine")


def _sql_type(arrow_type: pa.DataType) -> sa.types.TypeEngine:
    if pa.types.is_integer(arrow_type):
        return sa.BigInteger()
    if pa.types.is_floating(arrow_type):
        return sa.Double()
    if pa.types.is_boolean(arrow_type):
        return sa.Boolean()
    if pa.types.is_timestamp(arrow_type):
        return sa.DateTime()
    if pa.types.is_date(arrow_type):
        return sa.Date()
    return sa.String()  # strings, and all-null columns


def load(engine: sa.Engine, table: pa.Table, name: str) -> None:
    """Create ``name`` with types from the Arrow schema and insert the rows."""
    metadata = sa.MetaData()
    columns = [sa.Column(quoted_name(f.name, quote=True), _sql_type(f.type)) for f in table.schema]
    created = sa.Table(name, metadata, *columns)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    rows = table.to_pylist()
    if rows:
        with engine.begin() as connection:
            connection.execute(created.insert(), rows)


@dataclass
class EngineSource:
    """A Source over an engine: all the SQL backend needs is the engine, the layout and the
    schema (reflected)."""

    engine: sa.Engine
    layout: Layout = field(default_factory=Layout)
    name: str = "test"

    def sql_engine(self) -> sa.Engine:
        return self.engine

    def schema(self) -> Schema:
        url = self.engine.url.render_as_string(hide_password=False)
        return reflect_schema(url, self.layout.customers, self.layout.events, engine=self.engine)


def store(engine: sa.Engine, people: pa.Table, found: pa.Table = NO_EVENTS) -> EngineSource:
    load(engine, people, "customers")
    load(engine, found, "events")
    return EngineSource(engine)


class FakeState(StateView):
    """State facts given as {(state, key): ids}; remembers what it was asked."""

    def __init__(self, facts: Mapping[tuple[str, str], Sequence[int]]) -> None:
        self.facts = facts
        self.asked: list[tuple[ir.StateFlag, str]] = []

    def customers(self, flag: ir.StateFlag, campaign: str, now: datetime) -> np.ndarray:
        self.asked.append((flag, campaign))
        return np.asarray(self.facts.get((flag.state, flag.key), []), dtype=np.int64)


def values(
    source: EngineSource,
    nodes: ir.Node | Sequence[ir.Node],
    now: datetime = NOW,
    state: StateView | None = None,
    plan: ir.Plan | None = None,
) -> list | list[list]:
    """Each node's value for every customer, as Python values in id order."""
    single = isinstance(nodes, ir.Node)
    context = RunContext(now=now) if state is None else RunContext(now=now, state=state)
    ids, arrays = SqlBackend().values([nodes] if single else list(nodes), source, context, plan)
    assert list(ids) == sorted(ids)
    found = [a.to_pylist() for a in arrays]
    return found[0] if single else found


# ---- IR shorthands ---------------------------------------------------------------------------


def col(name: str, kind: str = "number", source_kind: str = "") -> ir.Column:
    return ir.Column(name, kind, source_kind or kind)


def num(value: float | None) -> ir.Literal:
    return ir.Literal(value, "number")


def text(value: str | None) -> ir.Literal:
    return ir.Literal(value, "text")


def when(moment: datetime) -> ir.Literal:
    return ir.Literal(moment, "timestamp")


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


# ---- campaigns --------------------------------------------------------------------------------


def compile_plan(
    text: str, schema: Mapping[str, Mapping[str, str]], skip: Iterable[str] = ()
) -> ir.Plan:
    """The plan of a campaign's text, checked against ``schema`` (``{"customers": {...},
    "events": {...}}`` of kind names)."""
    from winlang.plan import plan_campaign
    from winlang.project import checked_text
    from winlang.schema import schema_from_json

    return plan_campaign(checked_text(text, schema_from_json(json.dumps(schema))), skip)


SCHEMA = {
    "customers": {
        "id": "number",
        "first_name": "text",
        "country": "text",
        "lifetime_value": "number",
        "last_purchase_at": "timestamp",
        "birthday": "date",
        "consent_sms": "bool",
        "phone": "text",
        "consent_push": "bool",
        "push_token": "text",
        "consent_email": "bool",
        "email": "text",
    },
    "events": {
        "customer_id": "number",
        "type": "text",
        "channel": "text",
        "campaign": "text",
        "template": "text",
        "occurred_at": "timestamp",
        "amount": "number",
        "product_name": "text",
    },
}

LADDER = LADDER_TEXT  # the campaign of language.md §2, shared with the NumPy tests
