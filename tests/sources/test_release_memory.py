"""A store's memory given back after an evaluation: DuckDB closes its pooled connections
(its cache and allocator hold what the decision statement read, gigabytes at 10M customers)
and the next read opens the database again, with the same answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.sources.support import write_stores
from winlang.demo import generate
from winlang.sources import open_source

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def urls(tmp_path_factory) -> dict[str, str]:
    return write_stores(generate(200, seed=5), tmp_path_factory.mktemp("release"))


def _read(source) -> tuple[list, int]:
    customers = [i for b in source.customer_batches(["tier"], 64) for i in b.column(0).to_pylist()]
    events = sum(b.num_rows for b in source.event_batches(None, None, None, NOW))
    return customers, events


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_a_store_reads_the_same_after_releasing_its_memory(kind, urls):
    source = open_source(urls[kind])
    before = _read(source)
    source.release_memory()
    assert _read(source) == before
    assert before[1] > 0


def test_duckdb_is_closed_by_releasing_its_memory(urls):
    source = open_source(urls["duckdb"])
    list(source.customer_batches(["tier"], 64))
    engine = source.sql_engine()
    assert engine.pool.checkedin() == 1  # the database held open between reads
    source.release_memory()
    assert engine.pool.checkedin() == 0  # closed: DuckDB freed what it cached


@pytest.mark.parametrize("scan", ["events", "suppressing pairs"])
def test_duckdb_is_closed_after_a_scan_of_the_events(scan, urls):
    """A scan of every event (the numpy engine's, the suppressions') leaves DuckDB holding
    what it read: the store is closed once the scan is done."""
    from winlang.policies.suppressions import SUPPRESSING

    source = open_source(urls["duckdb"])
    if scan == "events":
        batches = source.event_batches(None, None, None, NOW)
    else:
        batches = source.suppressing_pairs(SUPPRESSING, NOW)
    assert sum(b.num_rows for b in batches) > 0
    assert source.sql_engine().pool.checkedin() == 0


def test_evaluating_releases_the_store(urls, tmp_path):
    """evaluate_campaign gives the store's memory back once the decisions are made."""
    from winlang.evaluate import evaluate_campaign
    from winlang.project import check_file, open_project

    (tmp_path / "winlang.toml").write_text(f'[store]\nurl = "{urls["duckdb"]}"\n')
    (tmp_path / "big.win").write_text(
        'campaign "big spenders"\nrule big: when lifetime_value > 100 then add to list "big"\n'
    )
    project = open_project(tmp_path / "winlang.toml", search=False)
    checked = check_file(tmp_path / "big.win", project).checked
    source = project.store()
    decided = evaluate_campaign(checked, source, NOW).decisions
    assert decided.audience == 200 and 0 < len(decided.ids) < 200
    assert source.sql_engine().pool.checkedin() == 0


def test_a_store_with_ingested_events_is_released_too(urls):
    """A store wrapped to read ingested events too gives its memory back the same way."""
    from winlang.evaluate import release_unused_memory
    from winlang.sources.ingested import WithIngested

    store = open_source(urls["duckdb"])
    _read(store)
    release_unused_memory(WithIngested(store, ingested=None))
    assert store.sql_engine().pool.checkedin() == 0


@pytest.mark.parametrize(
    ("kind", "abilities"),
    [("duckdb", {"release", "select"}), ("sqlite", {"release", "select"}), ("parquet", set())],
)
def test_a_source_declares_its_optional_abilities(kind, abilities, urls):
    from winlang.contracts.source import ReleasesMemory, SelectsSuppressing

    source = open_source(urls[kind])
    found = {"release"} if isinstance(source, ReleasesMemory) else set()
    found |= {"select"} if isinstance(source, SelectsSuppressing) else set()
    assert found == abilities
