"""Evaluation: winlang's engines against the same campaigns written by hand, on the same data.

- *evaluate (in memory)*: the NumPy backend over a :class:`MemorySource` (built once, not
  timed) against NumPy masks, Polars lazy and rule-engine, each on its own in-memory form;
- *evaluate (SQL)*: the SQL backend's pushed-down statement against a hand-written query, on
  the same DuckDB and SQLite files.

Before timing, every peer's decisions are checked against winlang's: the audience count, the
matched ids and each one's rule must be identical.
"""

from __future__ import annotations

import sqlite3
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks import peers
from benchmarks.campaigns import CAMPAIGNS, NOW
from benchmarks.data import parse_size, stores
from winlang.backends.base import Decisions, RunContext
from winlang.plan import ir, plan_campaign
from winlang.project import check_file, open_project

RULE_ENGINE_SAMPLE = 100_000


def plan_for(folder, campaign: str) -> tuple[ir.Plan, object]:
    """The plan of a campaign in a store's project folder, and the project."""
    project = open_project(folder / "winlang.toml", search=False)
    result = check_file(folder / f"{campaign}.win", project)
    assert result.checked is not None, [d.message for d in result.diagnostics]
    return plan_campaign(result.checked), project


def same(decided: Decisions, found: peers.Result) -> bool:
    audience, ids, rules = found
    return (
        decided.audience == audience
        and np.array_equal(decided.ids, ids)
        and np.array_equal(decided.rules, rules)
    )


def record(benchmark, **info) -> None:
    benchmark.extra_info.update(info)


def timed(benchmark, function, rounds: int, warmup: int = 1):
    """Median-friendly timing: ``rounds`` runs after ``warmup`` untimed ones."""
    return benchmark.pedantic(function, rounds=rounds, iterations=1, warmup_rounds=warmup)


def _rounds(customers: int) -> int:
    return 15 if customers <= 200_000 else 7 if customers <= 2_000_000 else 3


# ---- in memory -----------------------------------------------------------------------------


def _tables(customers: int) -> tuple[pa.Table, pa.Table]:
    folder = stores(customers, ("parquet",)).store("parquet")
    return pq.read_table(folder / "customers.parquet"), pq.read_table(folder / "events.parquet")


IN_MEMORY_MAX = 2_000_000


def skip_big_in_memory(customers: int) -> None:
    if customers > IN_MEMORY_MAX:
        pytest.skip(
            "in-memory evaluation runs up to 2M customers: 10M customers and 100M events in "
            "four systems' in-memory forms need more memory than the machine has; 10M measures "
            "the runs from the stores and the memory curve"
        )


def memory_data(cache, customers: int, system: str):
    tables = cache.get(customers, "tables", partial(_tables, customers))
    if system == "winlang":
        from winlang.sources.memory import MemorySource

        return cache.get(customers, system, lambda: MemorySource(*tables))
    if system == "numpy":
        return cache.get(customers, system, lambda: peers.NumpyData.of(*tables))
    if system == "polars":
        return cache.get(customers, system, lambda: peers.PolarsData.of(*tables))
    raise ValueError(system)


def winlang_memory(cache, customers: int, campaign: str):
    from winlang.backends.numpy import NumpyBackend

    source = memory_data(cache, customers, "winlang")
    folder = stores(customers, ("parquet",)).project("parquet")
    plan = cache.get(customers, f"plan-{campaign}", lambda: plan_for(folder, campaign)[0])
    context = RunContext(now=NOW)
    return lambda: NumpyBackend().decide(plan, source, context)


@pytest.mark.parametrize("campaign", list(CAMPAIGNS))
@pytest.mark.parametrize("system", ["winlang", "numpy", "polars"])
def test_evaluate_in_memory(benchmark, cache, customers: int, campaign: str, system: str) -> None:
    skip_big_in_memory(customers)
    decide = winlang_memory(cache, customers, campaign)
    if system == "winlang":
        run = decide
    else:
        data = memory_data(cache, customers, system)
        run = partial(getattr(peers, f"{system}_{campaign}"), data)
        reference = cache.get(customers, f"decided-{campaign}", decide)
        assert same(reference, run()), f"{system} decides {campaign} differently"
    record(
        benchmark,
        scenario="evaluate in memory",
        campaign=campaign,
        store="memory",
        system=system,
        customers=customers,
    )
    timed(benchmark, run, _rounds(customers))


@pytest.mark.parametrize("campaign", list(CAMPAIGNS))
def test_evaluate_rule_engine(benchmark, request, cache, customers: int, campaign: str) -> None:
    """rule-engine, one row at a time: on every customer up to ``--rule-engine-max``, above
    it on the first 100k customers with the time scaled to the whole (rows are independent:
    the cost per row does not depend on the number of rows)."""
    pytest.importorskip("rule_engine")
    skip_big_in_memory(customers)
    limit = parse_size(request.config.getoption("--rule-engine-max"))
    customers_table, _ = cache.get(customers, "tables", partial(_tables, customers))
    data = memory_data(cache, customers, "numpy")
    sample = customers if customers <= limit else RULE_ENGINE_SAMPLE
    rows = peers.rule_engine_rows(data, customers_table.slice(0, sample), campaign)
    run = peers.rule_engine_runner(rows, campaign)
    reference = cache.get(
        customers, f"decided-{campaign}", winlang_memory(cache, customers, campaign)
    )
    found = run()
    if sample == customers:
        assert same(reference, found), f"rule-engine decides {campaign} differently"
    else:  # the sample's decisions are the reference's restricted to the sample
        cut = np.searchsorted(reference.ids, sample, side="right")
        assert np.array_equal(found[1], reference.ids[:cut])
        assert np.array_equal(found[2], reference.rules[:cut])
    record(
        benchmark,
        scenario="evaluate in memory",
        campaign=campaign,
        store="memory",
        system="rule-engine" if sample == customers else f"rule-engine (×{customers // sample})",
        customers=customers,
        scale=customers / sample,
    )
    timed(benchmark, run, rounds=1, warmup=0)


# ---- SQL --------------------------------------------------------------------------------------


@pytest.mark.parametrize("campaign", list(CAMPAIGNS))
@pytest.mark.parametrize("store", ["duckdb", "sqlite"])
@pytest.mark.parametrize("system", ["winlang", "hand-written SQL"])
def test_evaluate_sql(
    benchmark, cache, customers: int, campaign: str, store: str, system: str
) -> None:
    from winlang.backends.sql import SqlBackend

    if store == "sqlite" and customers >= 10_000_000:
        pytest.skip("no SQLite store at 10M customers: writing it takes most of an hour")
    found = stores(customers, (store,))

    def open_plan():
        plan, project = plan_for(found.project(store), campaign)
        cache.on_clear(lambda: project.store().sql_engine().dispose())
        return plan, project

    plan, project = cache.get(customers, f"sql-{store}-{campaign}", open_plan)
    source = project.store()
    context = RunContext(now=NOW)

    def decide():
        return SqlBackend().decide(plan, source, context)

    if system == "winlang":
        run = decide
    else:
        if store == "duckdb":
            # A second connection to the same database instance (a DuckDB file can't be
            # opened twice in one process with other settings); the pooled one goes back
            # to the pool at once, so winlang keeps using its own.
            pooled = source.sql_engine().raw_connection()
            connection = pooled.driver_connection.cursor()
            pooled.close()
        else:
            connection = sqlite3.connect(found.store("sqlite"))
        cache.on_clear(connection.close)
        run = peers.sql_runner(connection, peers.SQL[campaign](store))
        reference = cache.get(customers, f"sql-decided-{store}-{campaign}", decide)
        assert same(reference, run()), f"hand-written {store} decides {campaign} differently"
    record(
        benchmark,
        scenario="evaluate SQL",
        campaign=campaign,
        store=store,
        system=system,
        customers=customers,
    )
    timed(benchmark, run, max(3, _rounds(customers) // 2))
