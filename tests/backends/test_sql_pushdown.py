"""What the SQL backend refuses, and how: PushdownError before any statement runs, DataError
naming what the store lacks."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from winlang.backends.base import RunContext
from winlang.backends.sql import SqlBackend, dialects
from winlang.backends.sql.dialects import (
    PostgresDialect,
    SqliteDialect,
    constructs_of,
    dialect_named,
)
from winlang.contracts.errors import DataError, PushdownError
from winlang.plan import ir
from winlang.sources.memory import MemorySource

from .sql_support import NOW, EngineSource, col, customers, events, num, store, values


@pytest.fixture
def sqlite_source(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    yield store(engine, customers(birthday=["2000-02-29"], x=[1.0]))
    engine.dispose()


class NoAnniversaries(SqliteDialect):
    """A database that can't tell a birthday: the mechanism, with a fake dialect."""

    unsupported = frozenset({"IsAnniversary", "Function:length"})


def _statements(engine: sa.Engine) -> list[str]:
    seen: list[str] = []
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: seen.append(statement),
    )
    return seen


def test_an_unsupported_construct_fails_before_anything_runs(sqlite_source, monkeypatch):
    monkeypatch.setitem(dialects.DIALECTS, "sqlite", NoAnniversaries())
    seen = _statements(sqlite_source.engine)
    birthday = ir.IsAnniversary(col("birthday", "timestamp", "date"))
    plan = ir.Plan("c", ir.TRUE, (ir.RulePlan("r", birthday, ir.StateFlag("fired", "r")),))
    with pytest.raises(PushdownError, match="IsAnniversary"):
        SqlBackend().decide(plan, sqlite_source, RunContext(now=NOW))
    with pytest.raises(PushdownError, match="Function:length"):
        SqlBackend().values(
            [ir.Function("length", (col("x", "text"),))], sqlite_source, RunContext(now=NOW)
        )
    assert seen == []
    # what the dialect can do still runs
    assert values(sqlite_source, ir.Compare(">", col("x"), num(0))) == [True]


def test_constructs_are_named_for_the_check():
    nodes = [
        ir.Function("lower", (col("t", "text"),)),
        ir.EventAggregate("last_value", ir.EventFilter("view"), "p", "text"),
        ir.TextMatch("contains", col("t", "text"), col("t", "text")),
    ]
    assert {
        "Function:lower",
        "EventAggregate:last_value",
        "TextMatch:contains",
        "Function",
        "EventAggregate",
        "TextMatch",
    } <= constructs_of(nodes)


def test_an_unknown_database_and_a_source_without_one():
    with pytest.raises(PushdownError, match="oracle"):
        dialect_named("oracle")
    source = MemorySource(customers(x=[1]), events([]))
    with pytest.raises(PushdownError, match="no SQL database"):
        SqlBackend().values([col("x")], source, RunContext(now=NOW))


class _Result:
    def __init__(self, value):
        self.value = value

    def scalar(self):
        return self.value


def test_postgres_without_icu_refuses_case_mapping():
    executed: list[str] = []

    def execute(sql):
        executed.append(sql)
        return _Result(0)  # no und-x-icu collation

    connection = SimpleNamespace(exec_driver_sql=execute)
    PostgresDialect().prepare(connection, frozenset({"Compare"}))  # nothing to refuse
    with pytest.raises(PushdownError, match="ICU"):
        PostgresDialect().prepare(connection, frozenset({"Function:upper"}))
    assert "SET LOCAL TIME ZONE 'UTC'" in executed


def test_an_old_sqlite_is_refused():
    old = SimpleNamespace(
        dialect=SimpleNamespace(dbapi=SimpleNamespace(sqlite_version_info=(3, 31, 1)))
    )
    with pytest.raises(PushdownError, match=r"3\.31\.1"):
        SqliteDialect().prepare(old, frozenset())


def test_a_missing_column_or_table_is_a_data_error(sqlite_source):
    with pytest.raises(DataError, match="table `customers` has no column `tier`"):
        values(sqlite_source, ir.Compare("=", col("tier", "text"), ir.Literal("x", "text")))
    opened = ir.EventAggregate("exists", ir.EventFilter("open", channel="email"))
    with sqlite_source.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE events")
    with pytest.raises(DataError, match="no table `events`"):
        values(sqlite_source, opened)
    with pytest.raises(DataError, match="no table `people`"):
        values(EngineSource(sqlite_source.engine, layout=_layout(customers="people")), col("x"))


def _layout(**names):
    from winlang.contracts.source import Layout

    return Layout(**names)


def test_a_store_that_cannot_be_opened_is_a_data_error(tmp_path):
    pytest.importorskip("duckdb_engine")
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'nowhere' / 'shop.duckdb'}")
    with pytest.raises(DataError, match=r"can't open the store duckdb:///.*nowhere"):
        values(EngineSource(engine), col("x"))
    assert not (tmp_path / "nowhere").exists()


def test_a_store_out_of_memory_is_a_data_error_naming_it(tmp_path):
    """The statement runs in the database: running out of its memory is the store's limit,
    said in one line, not an internal error."""
    pytest.importorskip("duckdb_engine")
    path = tmp_path / "shop.duckdb"
    engine = sa.create_engine(f"duckdb:///{path}")
    store(engine, customers(x=[float(i) for i in range(20_000)]))
    engine.dispose()
    small = sa.create_engine(f"duckdb:///{path}?memory_limit=300KB&threads=1")
    with pytest.raises(DataError, match=r"shop.duckdb\?memory_limit=300KB.* ran out of memory"):
        values(EngineSource(small), col("x"))
    small.dispose()


@pytest.mark.parametrize(
    ("dialect", "error", "exhausted"),
    [
        (PostgresDialect(), SimpleNamespace(sqlstate="53200"), True),  # out_of_memory
        (PostgresDialect(), SimpleNamespace(sqlstate="53100"), True),  # disk_full
        (PostgresDialect(), SimpleNamespace(sqlstate="42601"), False),  # a syntax error
        (SqliteDialect(), SimpleNamespace(sqlite_errorname="SQLITE_FULL"), True),
        (SqliteDialect(), SimpleNamespace(sqlite_errorname="SQLITE_ERROR"), False),
    ],
)
def test_which_errors_say_the_database_ran_out(dialect, error, exhausted):
    """Only running out of memory or disk is the store's limit; anything else stays an error
    of ours (exit 3), not disguised as the user's."""
    assert dialect.exhausted(error) is exhausted
