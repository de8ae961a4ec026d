"""Events ingested into the state count like the store's own, on every backend and store:
NumPy over SQLite, DuckDB, PostgreSQL and Parquet stores, and the SQL backend (the store's
events UNION ALL a temporary table) on SQLite, DuckDB and PostgreSQL; fused and unfused."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from winlang.backends.base import RunContext
from winlang.backends.numpy import NumpyBackend
from winlang.backends.sql import SqlBackend
from winlang.contracts.source import Layout
from winlang.ingest import ingest_file
from winlang.plan import ir
from winlang.sources.files import FileSource
from winlang.sources.ingested import WithIngested, with_ingested
from winlang.sources.sql import SqlSource
from winlang.state import open_state

from .sql_support import DAY, NOW, SCHEMA, ago, compile_plan, customers, events, load

SHOP = "shop"
OPENED_SURVEY = ir.EventAggregate(
    "exists", ir.EventFilter("open", campaign=SHOP, template="survey")
)
CLICKED = ir.EventAggregate(
    "exists", ir.EventFilter("click", campaign=SHOP, template="coupon", window=14 * 86400.0)
)
PURCHASES = ir.EventAggregate("count", ir.EventFilter("purchase", window=365 * 86400.0))
SPENT = ir.EventAggregate("sum", ir.EventFilter("purchase"), "amount")
LAST = ir.EventAggregate("last", ir.EventFilter("purchase"))
PRODUCT = ir.EventAggregate("last_value", ir.EventFilter("purchase"), "product_name", "text")
NODES = [OPENED_SURVEY, CLICKED, PURCHASES, SPENT, LAST, PRODUCT]

PEOPLE = customers(tier=["a", "b", "c", "d", "e"])  # ids 1..5
STORE_EVENTS = events(
    [
        {"customer_id": 1, "type": "open", "campaign": SHOP, "template": "survey"}
        | {"occurred_at": ago(3 * DAY)},
        {"customer_id": 1, "type": "purchase", "occurred_at": ago(10 * DAY)}
        | {"amount": 20.0, "product_name": "a"},
        {"customer_id": 2, "type": "purchase", "occurred_at": ago(100 * DAY)}
        | {"amount": 5.0, "product_name": "b"},
    ]
)
INGESTED = [
    ("e1", "3", "open", {"campaign": SHOP, "template": "survey"}, 1 * DAY),
    ("e2", "2", "purchase", {"amount": 7.5, "product_name": "z"}, 2 * DAY),
    ("e3", "2", "purchase", {"amount": 100, "product_name": "old"}, 400 * DAY),
    ("e4", "4", "click", {"campaign": SHOP, "template": "coupon"}, 20 * DAY),  # outside 14 days
    ("e5", "5", "click", {"campaign": SHOP, "template": "coupon"}, 1 * DAY),
    ("e6", "abc", "open", {"campaign": SHOP, "template": "survey"}, 1 * DAY),  # nobody
    ("e7", "99", "purchase", {"amount": 1}, 1 * DAY),  # not a customer
    ("e8", "4", "open", {"campaign": SHOP, "template": "survey"}, -1 * DAY),  # after now
    ("e9", "1", "purchase", {"amount": 1, "product_name": "edge"}, 365 * DAY),  # on the edge
    ("e10", "3", "open", {"campaign": "other", "template": "survey"}, 1 * DAY),
]

BEFORE = [
    [True, False, False, False, False],
    [False] * 5,
    [1.0, 1.0, 0.0, 0.0, 0.0],
    [20.0, 5.0, 0.0, 0.0, 0.0],
    [ago(10 * DAY), ago(100 * DAY), None, None, None],
    ["a", "b", None, None, None],
]
AFTER = [
    [True, False, True, False, False],
    [False, False, False, False, True],
    [2.0, 2.0, 0.0, 0.0, 0.0],
    [21.0, 112.5, 0.0, 0.0, 0.0],
    [ago(10 * DAY), ago(2 * DAY), None, None, None],
    ["a", "z", None, None, None],
]

STORES = [
    ("sqlite", "sql"),
    ("sqlite", "numpy"),
    ("duckdb", "sql"),
    ("duckdb", "numpy"),
    pytest.param("postgres", "sql", marks=pytest.mark.postgres),
    pytest.param("postgres", "numpy", marks=pytest.mark.postgres),
    ("parquet", "numpy"),
]
BACKENDS = {"sql": SqlBackend, "numpy": NumpyBackend}


def store_url(request, kind: str, tmp_path: Path, people: pa.Table, found: pa.Table) -> str:
    """A store of ``kind`` holding ``people`` and ``found``, by URL."""
    if kind == "parquet":
        folder = tmp_path / "parquet"
        folder.mkdir()
        pq.write_table(people, folder / "customers.parquet")
        pq.write_table(found, folder / "events.parquet")
        return f"parquet://{folder}"
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    elif kind == "duckdb":
        pytest.importorskip("duckdb_engine")
        url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    else:
        engine = request.getfixturevalue("postgres_engine")
        url = engine.url.render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    load(engine, people, "customers")
    load(engine, found, "events")
    engine.dispose()
    return url


def open_url(url: str):
    if url.startswith("parquet://"):
        return FileSource(Path(url.removeprefix("parquet://")), "parquet")
    return SqlSource(url)


def ingested_state(tmp_path: Path, rows=INGESTED):
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    lines = [
        {
            "event_id": event_id,
            "customer_id": customer,
            "type": kind,
            "occurred_at": ago(delta).isoformat() + "Z",
        }
        | extra
        for event_id, customer, kind, extra, delta in rows
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = ingest_file(path, state)
    assert result.counts.new == len(rows), result
    return state


def plan_of(nodes, fused: bool) -> ir.Plan:
    return ir.Plan(SHOP, ir.TRUE, (), fused=tuple(nodes) if fused else None)


def values_of(backend: str, source, nodes=NODES, fused: bool = True) -> list[list]:
    ids, arrays = BACKENDS[backend]().values(
        nodes, source, RunContext(now=NOW), plan_of(nodes, fused)
    )
    assert list(ids) == sorted(ids)
    return [a.to_pylist() for a in arrays]


@pytest.mark.parametrize("kind, backend", STORES)
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unfused"])
def test_ingested_events_count_on_every_backend(request, tmp_path, kind, backend, fused):
    url = store_url(request, kind, tmp_path, PEOPLE, STORE_EVENTS)
    assert values_of(backend, open_url(url), fused=fused) == BEFORE
    source = with_ingested(open_url(url), ingested_state(tmp_path))
    assert isinstance(source, WithIngested)
    assert values_of(backend, source, fused=fused) == AFTER


@pytest.mark.parametrize("kind, backend", STORES)
def test_a_campaign_decides_with_ingested_events(request, tmp_path, kind, backend):
    text = """campaign "shop"
template survey sms "Hi"
template coupon sms "Coupon"
template thanks sms "Thanks"
rule thanks: when count(purchase within 30 days) >= 1 and sum(purchase.amount) > 100
             then send sms thanks
rule won_back: when clicked coupon within 14 days then add to list "active"
rule survey: when not opened survey then send sms survey
"""
    plan = compile_plan(text, SCHEMA)
    url = store_url(request, kind, tmp_path, PEOPLE, STORE_EVENTS)
    context = RunContext(now=NOW)
    before = BACKENDS[backend]().decide(plan, open_url(url), context)
    assert dict(zip(before.ids.tolist(), before.rules.tolist(), strict=True)) == {
        2: 2,
        3: 2,
        4: 2,
        5: 2,
    }
    source = with_ingested(open_url(url), ingested_state(tmp_path))
    after = BACKENDS[backend]().decide(plan, source, context)
    # 2 spent 112.5 and bought 2 days ago; 3 opened the survey; 5 clicked the coupon
    assert dict(zip(after.ids.tolist(), after.rules.tolist(), strict=True)) == {
        2: 0,
        4: 2,
        5: 1,
    }


def test_a_state_without_ingested_events_leaves_the_store_as_it_is(tmp_path):
    store = SqlSource(f"sqlite:///{tmp_path / 'store.db'}")
    assert with_ingested(store, None) is store
    assert with_ingested(store, open_state(f"sqlite:///{tmp_path / 'state.db'}")) is store


def test_the_temporary_table_is_gone_and_the_store_untouched(request, tmp_path):
    url = store_url(request, "sqlite", tmp_path, PEOPLE, STORE_EVENTS)
    source = with_ingested(open_url(url), ingested_state(tmp_path))
    for _ in range(2):  # a second run finds nothing left over
        assert values_of("sql", source) == AFTER
    with source.sql_engine().connect() as connection:
        temp = connection.exec_driver_sql("SELECT name FROM temp.sqlite_master").fetchall()
        count = connection.exec_driver_sql("SELECT count(*) FROM events").scalar()
    assert temp == [] and count == STORE_EVENTS.num_rows


@pytest.mark.parametrize("backend", ["sql", "numpy"])
def test_text_ids_are_matched_as_text(request, tmp_path, backend):
    people = pa.table({"id": ["a1", "b2"], "tier": ["x", "y"]})
    found = events([]).set_column(0, "customer_id", pa.array([], pa.string()))
    url = store_url(request, "sqlite", tmp_path, people, found)
    rows = [("e1", "b2", "open", {"campaign": SHOP, "template": "survey"}, DAY)]
    source = with_ingested(open_url(url), ingested_state(tmp_path, rows))
    assert values_of(backend, source, [OPENED_SURVEY]) == [[False, True]]


@pytest.mark.parametrize("backend", ["sql", "numpy"])
def test_whole_number_amounts_in_the_store_add_up_with_ingested_ones(request, tmp_path, backend):
    found = events([{"customer_id": 1, "type": "purchase", "occurred_at": ago(DAY)}])
    found = found.set_column(
        found.schema.get_field_index("amount"), "amount", pa.array([3], pa.int64())
    )
    url = store_url(request, "sqlite", tmp_path, PEOPLE, found)
    rows = [("e1", "1", "purchase", {"amount": 0.5, "product_name": "p"}, 2 * DAY)]
    source = with_ingested(open_url(url), ingested_state(tmp_path, rows))
    last_amount = ir.EventAggregate("last_value", ir.EventFilter("purchase"), "amount")
    assert values_of(backend, source, [SPENT, last_amount])[0] == [3.5, 0, 0, 0, 0]
    assert values_of(backend, source, [SPENT, last_amount])[1][0] == 3.0


def test_explain_reads_the_ingested_events_with_the_store_s(tmp_path):
    from winlang.explain import one_customer

    url = store_url(None, "sqlite", tmp_path, PEOPLE, STORE_EVENTS)
    source = with_ingested(open_url(url), ingested_state(tmp_path))
    single = one_customer(source, 2)
    found = pa.Table.from_batches(single.event_batches(None, None, None, NOW + timedelta(days=9)))
    assert sorted(found.column("product_name").to_pylist()) == ["b", "old", "z"]


def test_a_renamed_layout_is_followed(tmp_path):
    layout = Layout(occurred_at="at", template="tpl")
    found = STORE_EVENTS.rename_columns(
        [
            "at" if n == "occurred_at" else "tpl" if n == "template" else n
            for n in STORE_EVENTS.column_names
        ]
    )
    url = store_url(None, "sqlite", tmp_path, PEOPLE, found)
    source = with_ingested(SqlSource(url, layout), ingested_state(tmp_path))
    for backend in ("sql", "numpy"):
        assert values_of(backend, source, [OPENED_SURVEY]) == [AFTER[0]]


def test_only_events_an_aggregate_counts_travel_to_the_store(tmp_path):
    from winlang.backends.sql.dialects import dialect_named
    from winlang.backends.sql.ingested import ingested_table

    url = store_url(None, "sqlite", tmp_path, PEOPLE, STORE_EVENTS)
    source = with_ingested(open_url(url), ingested_state(tmp_path))
    columns = ["customer_id", "type", "occurred_at", "campaign", "template"]
    sqlite = dialect_named("sqlite")
    found = ingested_table(source, [OPENED_SURVEY, CLICKED], columns, sqlite, NOW)
    # e1 (3 opened the survey) and e5 (5 clicked yesterday); not the click of 20 days ago,
    # the open of another campaign, the open after now, nor the id that is no customer's
    assert sorted(found.rows.column("customer_id").to_pylist()) == [3, 5]
    assert found.rows.column_names == columns
    assert ingested_table(source, [CLICKED], columns, sqlite, NOW + timedelta(days=30)) is None


def test_the_store_s_own_customer_methods_are_offered_as_they_are(tmp_path):
    import inspect

    url = store_url(None, "sqlite", tmp_path, PEOPLE, STORE_EVENTS)
    store = open_url(url)
    source = with_ingested(store, ingested_state(tmp_path))
    assert inspect.signature(source.customer_batches) == inspect.signature(store.customer_batches)
    assert source.schema() is store.schema() and source.sql_engine() is store.sql_engine()
    assert not hasattr(source, "url")  # nothing else: it might read events
