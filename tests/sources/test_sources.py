"""Data sources: SQLite, DuckDB, PostgreSQL, Parquet and CSV give the same batches for the
same data; bad data and missing tables are DataErrors that say what and where; the plugin
hook picks sources by URL."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.sources.support import write_stores
from winlang.backends.base import RunContext
from winlang.contracts.errors import DataError
from winlang.contracts.source import Layout
from winlang.demo import (
    DemoData,
    demo_tables,
    generate,
    write_sqlite,
)
from winlang.hookspecs import hookimpl
from winlang.plugins import make_plugin_manager
from winlang.sources import UnknownSourceError, open_source
from winlang.sources.files import FileSource
from winlang.sources.memory import MemorySource
from winlang.sources.sql import SqlSource

NOW = datetime(2026, 11, 22, 10)  # generate()'s now, naive UTC
KINDS = ["sqlite", "duckdb", "parquet", "csv", "arrow"]


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(400, seed=5)


@pytest.fixture(scope="module")
def stores(data, tmp_path_factory) -> dict[str, str]:
    return write_stores(data, tmp_path_factory.mktemp("stores"))


def source_of(kind: str, stores: dict[str, str], data: DemoData):
    if kind == "arrow":
        return MemorySource(data.customers, data.events)
    return open_source(stores[kind])


def plain(batches) -> pa.Table:
    """Batches as one table, dictionaries decoded (Parquet and Arrow sources keep them)."""
    batches = list(batches)
    table = pa.Table.from_batches(batches).combine_chunks()
    return pa.table(
        [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns],
        names=table.column_names,
    )


def ordered(table: pa.Table) -> pa.Table:
    keys = [
        (name, "ascending")
        for name in ("customer_id", "occurred_at", "type", "channel", "template", "campaign")
        if name in table.column_names
    ]
    return table.sort_by(keys)


# ---- same data, same batches --------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_customers_come_back_as_written(kind, stores, data):
    source = source_of(kind, stores, data)
    got = plain(source.customer_batches(None, 150))
    assert got.schema == data.customers.schema
    assert got.equals(data.customers)


@pytest.mark.parametrize("kind", KINDS)
def test_customer_batches_are_bounded_and_projected(kind, stores, data):
    source = source_of(kind, stores, data)
    batches = list(source.customer_batches(["country", "last_purchase_at"], 150))
    assert [b.num_rows for b in batches] == [150, 150, 100] or kind in ("parquet", "csv")
    assert all(b.num_rows <= 150 for b in batches)
    assert batches[0].schema.names == ["id", "country", "last_purchase_at"]


@pytest.mark.parametrize("kind", KINDS)
def test_event_batches_filter_by_type_and_time(kind, stores, data):
    since = NOW - timedelta(days=30)
    source = source_of(kind, stores, data)
    got = plain(source.event_batches(["open", "click"], ["channel", "template"], since, NOW))
    events = data.events
    keep = pc.and_(
        pc.is_in(events["type"], pa.array(["open", "click"])),
        pc.and_(
            pc.greater_equal(events["occurred_at"], pa.scalar(since)),
            pc.less_equal(events["occurred_at"], pa.scalar(NOW)),
        ),
    )
    expected = events.filter(keep).select(
        ["customer_id", "type", "occurred_at", "channel", "template"]
    )
    assert got.schema == expected.schema
    assert ordered(got).equals(ordered(expected))


@pytest.mark.parametrize("kind", KINDS)
def test_schemas_agree(kind, stores, data):
    schema = source_of(kind, stores, data).schema()
    expected = MemorySource(data.customers, data.events).schema()
    assert {n: t.kind for n, t in schema.customers.items()} == {
        n: t.kind for n, t in expected.customers.items()
    }
    assert schema.customers["phone"].kind == "text"  # "+40..." in a CSV is not a number


def test_sql_sources_have_an_engine_files_do_not(stores):
    assert open_source(stores["sqlite"]).sql_engine().dialect.name == "sqlite"
    assert open_source(stores["parquet"]).sql_engine() is None


@pytest.mark.postgres
def test_postgres_gives_the_same_batches(postgres_engine, data):
    customers, events = demo_tables()
    customers.metadata.drop_all(postgres_engine)  # other tests of the session may have some
    customers.metadata.create_all(postgres_engine)
    with postgres_engine.begin() as connection:
        connection.execute(customers.insert(), data.customers.to_pylist())
        connection.execute(events.insert(), data.events.to_pylist())
    source = open_source(postgres_engine.url.render_as_string(hide_password=False))
    assert plain(source.customer_batches(None, 150)).equals(data.customers)
    got = plain(source.event_batches(["purchase"], ["amount"], None, NOW))
    purchases = data.events.filter(
        pc.and_(
            pc.equal(data.events["type"], "purchase"),
            pc.less_equal(data.events["occurred_at"], pa.scalar(NOW)),
        )
    )
    expected = purchases.select(["customer_id", "type", "occurred_at", "amount"])
    assert ordered(got).equals(ordered(expected))


# ---- SQLite text times -------------------------------------------------------------------


def sqlite_store(path: Path, times: list[str], lifetime_value: object = 10.5) -> str:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, lifetime_value FLOAT, "
            "signup_at DATETIME, birthday DATE)"
        )
        db.execute(
            "INSERT INTO customers VALUES (1, ?, '2026-01-02T03:04:05Z', '2000-02-29')",
            (lifetime_value,),
        )
        db.execute("CREATE TABLE events (customer_id INTEGER, type VARCHAR, occurred_at DATETIME)")
        db.executemany("INSERT INTO events VALUES (1, 'open', ?)", [(t,) for t in times])
    return f"sqlite:///{path}"


def test_sqlite_text_times_in_any_iso_form_filter_exactly(tmp_path):
    times = [
        "2026-11-22 10:00:00",
        "2026-11-22T10:00:00.000001",
        "2026-10-23T10:00:00Z",
        "2026-10-23 09:59:59.999999",
        "2026-10-23 10:00:00+00:00",
        "2026-11-01T12:00",
    ]
    source = open_source(sqlite_store(tmp_path / "t.db", times))
    got = plain(source.event_batches(None, None, NOW - timedelta(days=30), NOW))
    assert sorted(got["occurred_at"].to_pylist()) == [
        datetime(2026, 10, 23, 10),
        datetime(2026, 10, 23, 10),
        datetime(2026, 11, 1, 12),
        datetime(2026, 11, 22, 10),
    ]
    customers = plain(source.customer_batches(None, 10))
    assert customers["signup_at"].to_pylist() == [datetime(2026, 1, 2, 3, 4, 5)]
    assert str(customers["birthday"].type) == "date32[day]"


def test_unparseable_time_names_table_column_and_value(tmp_path):
    source = open_source(sqlite_store(tmp_path / "t.db", ["2026-11-01", "2026-11-02 noon"]))
    with pytest.raises(DataError, match=r"`events\.occurred_at` holds '2026-11-02 noon'"):
        list(source.event_batches(None, None, None, NOW))


def test_text_in_a_number_column(tmp_path):
    source = open_source(sqlite_store(tmp_path / "t.db", [], lifetime_value="lots"))
    with pytest.raises(DataError, match=r"`customers\.lifetime_value` holds 'lots'"):
        list(source.customer_batches(None, 10))


# ---- missing things -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_column_is_named(kind, stores, data):
    source = source_of(kind, stores, data)
    with pytest.raises(DataError, match="no column `loyalty_points`"):
        list(source.customer_batches(["country", "loyalty_points"], 100))
    with pytest.raises(DataError, match="no column `coupon_code`"):
        list(source.event_batches(["open"], ["coupon_code"], None, NOW))


def test_a_missing_customers_table_is_named(tmp_path):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with pytest.raises(DataError, match="no table `customers`"):
        list(open_source(f"sqlite:///{path}").customer_batches(None, 10))


def test_a_missing_events_table_is_named(tmp_path):
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, tier VARCHAR)")
    source = open_source(f"sqlite:///{path}")
    assert list(source.customer_batches(None, 10)) == []  # empty is fine
    with pytest.raises(DataError, match="no table `events`"):
        list(source.event_batches(None, None, None, NOW))


def test_a_missing_store_file_is_named(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        list(open_source(f"sqlite:///{tmp_path / 'nope.db'}").customer_batches(None, 10))
    with pytest.raises(DataError, match=r"`customers` is missing: there is no .*customers\.csv"):
        list(open_source(f"csv://{tmp_path}").customer_batches(None, 10))


def test_an_empty_customers_table_gives_an_empty_audience(tmp_path, data):
    from winlang.backends.numpy import NumpyBackend
    from winlang.plan import ir

    empty = DemoData(data.customers.slice(0, 0), data.events.slice(0, 0), data.now)
    write_sqlite(empty, tmp_path / "empty.db")
    plan = ir.Plan("c", ir.TRUE, (ir.RulePlan("r", ir.TRUE, ir.FALSE),))
    decisions = NumpyBackend().decide(
        plan, open_source(f"sqlite:///{tmp_path / 'empty.db'}"), RunContext(now=data.now)
    )
    assert decisions.audience == 0 and len(decisions.ids) == 0


def test_custom_table_and_column_names(tmp_path, data):
    path = tmp_path / "renamed.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE people (pid INTEGER PRIMARY KEY, tier VARCHAR)")
        db.execute("INSERT INTO people VALUES (1, 'gold')")
        db.execute("CREATE TABLE happenings (who INTEGER, kind VARCHAR, at DATETIME)")
        db.execute("INSERT INTO happenings VALUES (1, 'open', '2026-11-01 00:00:00')")
    layout = Layout(
        customers="people",
        events="happenings",
        id="pid",
        customer_id="who",
        type="kind",
        occurred_at="at",
    )
    source = open_source(f"sqlite:///{path}", layout)
    assert plain(source.customer_batches(None, 10)).column_names == ["pid", "tier"]
    assert plain(source.event_batches(["open"], [], None, NOW)).num_rows == 1


# ---- choosing a source by URL; plugins ------------------------------------------------------


def test_urls_choose_the_built_in_sources(tmp_path):
    assert isinstance(open_source(f"parquet://{tmp_path}"), FileSource)
    assert open_source(f"csv://{tmp_path}").name == "csv"
    assert isinstance(open_source("duckdb:///shop.duckdb"), SqlSource)
    with pytest.raises(UnknownSourceError, match="no data source understands"):
        open_source("s3://bucket/shop")


class _FakeSource(MemorySource):
    pass


class _Plugin:
    @hookimpl
    def winlang_data_source(self, url, layout):
        if url.startswith("fake://"):
            events = pa.table(
                {
                    "customer_id": [1],
                    "type": ["open"],
                    "occurred_at": pa.array([0], pa.timestamp("us")),
                }
            )
            return _FakeSource(pa.table({"id": [1]}), events, layout=layout, name="fake")
        return None


def test_a_plugin_adds_a_url_scheme_and_built_ins_still_work():
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(_Plugin())
    layout = Layout()
    assert (
        manager.hook.winlang_data_source(url="fake://x", layout=layout, settings={}).name == "fake"
    )
    assert (
        manager.hook.winlang_data_source(url="csv:///x", layout=layout, settings={}).name == "csv"
    )


def test_a_broken_plugin_is_named_and_does_not_hide_the_others(monkeypatch):
    from importlib.metadata import EntryPoint

    import winlang.plugins as plugins

    good = EntryPoint("good", f"{__name__}:GOOD_PLUGIN", "winlang")
    bad = EntryPoint("bad", "no_such_module_for_winlang:plugin", "winlang")
    monkeypatch.setattr(plugins, "entry_points", lambda group: [bad, good])
    manager = make_plugin_manager()
    assert [b.name for b in manager.broken] == ["bad"]
    assert "plugin `bad` (no_such_module_for_winlang:plugin) failed to load" in str(
        manager.broken[0]
    )
    assert (
        manager.hook.winlang_data_source(url="fake://x", layout=Layout(), settings={}).name
        == "fake"
    )
    monkeypatch.setattr(plugins, "plugin_manager", lambda: manager)
    with pytest.raises(UnknownSourceError, match=r"plugin `bad`.*failed to load"):
        open_source("s3://bucket")


GOOD_PLUGIN = _Plugin()
