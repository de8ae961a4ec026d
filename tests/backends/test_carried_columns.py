"""``decide(..., carry=columns)``: the matched customers' columns from the same pass as the
decisions (what a run reads for its contact policies and messages), equal value for value to
a second read of just those customers (``values(..., ids=...)``), on every database and in
the NumPy backend; the decisions themselves unchanged."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from winlang.backends.base import RunContext
from winlang.backends.numpy import NumpyBackend
from winlang.backends.sql import SqlBackend
from winlang.contracts.errors import DataError
from winlang.sources.memory import MemorySource

from .sql_support import DATABASES, NO_EVENTS, NOW, col, compile_plan, customers, make_engine, store

SCHEMA = {
    "customers": {
        "id": "number",
        "x": "number",
        "name": "text",
        "flag": "bool",
        "at": "timestamp",
        "day": "date",
    },
    "events": {"customer_id": "number", "type": "text", "occurred_at": "timestamp"},
}
CAMPAIGN = """\
campaign "c"
rule low:  when x < 0 then add to list "low"
rule rest: when id >= 3 then add to list "rest"
"""
PEOPLE = customers(
    x=[0.1 + 0.2, None, float("inf"), 2.0**60, -2.5, 123456789.123456789],
    name=['Zoë "q"\n\\', None, "ẞ İ ς", "", "b", "日本"],
    flag=[True, None, False, True, False, True],
    at=[datetime(2026, 1, 2, 3, 4, 5, 678901), None, datetime(1970, 1, 1), *[None] * 3],
    day=[date(2024, 2, 29), None, date(2026, 11, 22), *[None] * 3],
)
CARRY = [
    col("x"),
    col("name", "text"),
    col("flag", "bool"),
    col("at", "timestamp"),
    col("day", "timestamp", "date"),
]


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path):
    engine = make_engine(request, request.param, tmp_path)
    yield engine
    engine.dispose()


def _same_as_a_second_read(backend, source) -> None:
    plan = compile_plan(CAMPAIGN, SCHEMA)
    context = RunContext(now=NOW)
    alone = backend.decide(plan, source, context)
    carried = backend.decide(plan, source, context, CARRY)
    assert carried.audience == alone.audience
    assert carried.ids.tolist() == alone.ids.tolist() == [3, 4, 5, 6]
    assert carried.ids.dtype == alone.ids.dtype and carried.rules.dtype == np.int32
    assert carried.rules.tolist() == alone.rules.tolist() == [1, 1, 0, 1]
    _, read = backend.values(CARRY, source, context, ids=carried.ids)
    for node, array in zip(CARRY, read, strict=True):
        assert carried.values[node].type == array.type, node
        assert carried.values[node].to_pylist() == array.to_pylist(), node
    assert carried.values[CARRY[0]].to_pylist()[0] == float("inf")
    assert carried.values[CARRY[0]].to_pylist()[-1] == 123456789.123456789  # all 17 digits


def test_carried_columns_are_a_second_read_of_the_matched(engine):
    _same_as_a_second_read(SqlBackend(), store(engine, PEOPLE))


def test_carried_columns_in_the_numpy_backend():
    _same_as_a_second_read(NumpyBackend(), MemorySource(PEOPLE, NO_EVENTS))


def test_nobody_matched_carries_empty_columns(engine):
    plan = compile_plan(CAMPAIGN.replace("id >= 3", "id >= 99").replace("x < 0", "x < -9"), SCHEMA)
    decided = SqlBackend().decide(plan, store(engine, PEOPLE), RunContext(now=NOW), CARRY)
    assert decided.ids.tolist() == [] and decided.audience == len(PEOPLE)
    assert [decided.values[node].to_pylist() for node in CARRY] == [[]] * len(CARRY)


def test_a_narrowed_decision_keeps_its_carried_values(engine):
    decided = SqlBackend().decide(
        compile_plan(CAMPAIGN, SCHEMA), store(engine, PEOPLE), RunContext(now=NOW), CARRY
    )
    kept = decided.take(np.array([False, True, False, True]))
    assert kept.ids.tolist() == [4, 6] and kept.rules.tolist() == [1, 1]
    assert kept.values[CARRY[1]].to_pylist() == ["", "日本"]


@pytest.mark.parametrize("who, refused", [(1, False), (4, True)])
def test_sqlite_checks_a_carried_value_of_the_matched_only(tmp_path, who, refused):
    """SQLite keeps any value in any column: a wrong one stops the run as a second read of
    the matched customers would, and one of a customer nobody reads does not."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    source = store(engine, PEOPLE)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE customers SET x = 'abc' WHERE id = {who}")
    plan, context = compile_plan(CAMPAIGN.replace("x < 0", "id < 0"), SCHEMA), RunContext(now=NOW)
    if not refused:
        assert SqlBackend().decide(plan, source, context, CARRY).ids.tolist() == [3, 4, 5, 6]
        return
    with pytest.raises(DataError) as second:
        SqlBackend().values(CARRY, source, context, ids=np.array([3, 4, 5, 6]))
    with pytest.raises(DataError) as carried:
        SqlBackend().decide(plan, source, context, CARRY)
    assert str(carried.value) == str(second.value)
    engine.dispose()


@pytest.mark.parametrize(
    ("ids", "texts"),
    [
        ([1, 2, 5], ["a", "b", "e"]),  # in order already: kept as gathered
        ([5, 1, 2], ["e", "a", "b"]),  # out of order (DuckDB's threads): sorted
        ([2, 2, 1], ["b1", "b2", "a"]),  # a repeated id keeps its rows' order
    ],
)
def test_carried_rows_come_sorted_by_id_whatever_order_they_were_gathered_in(ids, texts):
    import orjson

    from winlang.backends.sql.backend import carried_decisions
    from winlang.backends.sql.dialects import dialect_named
    from winlang.plan import ir

    rules = list(range(len(ids)))
    row = (10, *(orjson.dumps(values).decode() for values in (ids, rules, texts)))
    found = carried_decisions(row, dialect_named("sqlite"), [ir.Column("name", "text")])
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    assert found.ids.tolist() == [ids[i] for i in order]
    assert found.rules.tolist() == [rules[i] for i in order]
    assert [a.to_pylist() for a in found.values.values()] == [[texts[i] for i in order]]
