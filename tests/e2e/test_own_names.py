"""A store with its own names (tests/e2e/own_names.py), run end to end on SQLite, DuckDB and
Parquet: exactly the right people are messaged, in each one's own time zone."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.e2e.own_names import EXPECTED, INVALID_ZONES, KINDS, NOW, SENT, write_own_names

NIGHT = "2026-11-22T23:00:00Z"  # 23:00 in London, 18:00 in New York, 08:00 in Seoul


def run(winlang, config: Path, now: str, *extra: str) -> Result:
    campaign = config.parent / "own-names.win"
    result = winlang("run", "--config", config, campaign, "--now", now, *extra)
    assert result.exit_code == 0, result.output
    return result


def messaged(config: Path) -> list[str]:
    """Who the outbox holds a message for, in order."""
    path = config.parent / "outbox" / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line)["customer_id"] for line in path.read_text().splitlines()]


def skips(config: Path) -> dict[str, list[str]]:
    """The ledger's skipped customers by reason."""
    with sqlite3.connect(config.parent / "winlang-state.db") as db:
        rows = db.execute("SELECT reason, customer_id FROM skips ORDER BY customer_id").fetchall()
    found: dict[str, list[str]] = {}
    for reason, customer in rows:
        found.setdefault(reason, []).append(customer)
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_check_passes_on_the_mapped_store(kind: str, tmp_path: Path, winlang: Callable) -> None:
    config = write_own_names(tmp_path, kind)
    result = winlang("check", "--config", config, tmp_path / "own-names.win")
    assert result.exit_code == 0, result.output
    assert result.output == "checked 1 file: 0 errors, 0 warnings\n"


@pytest.mark.parametrize("kind", KINDS)
def test_a_dry_run_splits_the_matches_as_the_promises_say(
    kind: str, tmp_path: Path, winlang: Callable
) -> None:
    config = write_own_names(tmp_path, kind)
    report = json.loads(run(winlang, config, NOW, "--dry-run", "--format", "json").stdout)
    (rule,) = report["rules"]
    assert rule["matched"] == 9  # everyone but Hal, who bought last week
    assert rule["sent"] == len(SENT)
    assert rule["skipped"] == {k: len(v) for k, v in EXPECTED.items() if k != "sent"}
    assert report["invalid_zones"] == {"count": 1, "examples": INVALID_ZONES}
    text = run(winlang, config, NOW, "--dry-run").output
    assert "unknown zones: 1 customer (Mars/Olympus_Mons)" in text
    assert messaged(config) == []  # a dry run sends nothing


@pytest.mark.parametrize("kind", KINDS)
def test_a_real_run_messages_exactly_the_right_people(
    kind: str, tmp_path: Path, winlang: Callable
) -> None:
    config = write_own_names(tmp_path, kind)
    report = json.loads(run(winlang, config, NOW, "--format", "json").stdout)
    assert report["rules"][0]["sent"] == len(SENT)
    assert report["invalid_zones"]["count"] == 1
    assert sorted(messaged(config)) == SENT
    # Nora (05:00 in New York) is deferred by quiet hours; the others have no consent or
    # no address
    assert skips(config) == {k: v for k, v in EXPECTED.items() if k != "sent"}
    # a later run sends nobody a second message
    run(winlang, config, "2026-11-22T15:00:00Z")
    sent = messaged(config)
    assert len(sent) == len(set(sent)) and set(SENT) <= set(sent)


@pytest.mark.parametrize("kind", KINDS)
def test_quiet_hours_follow_each_customers_own_zone(
    kind: str, tmp_path: Path, winlang: Callable
) -> None:
    """At 23:00 UTC London and Seoul are quiet and New York is not: only Nora is messaged;
    Fay's unknown zone and Ivy's empty one fall back to the campaign's London."""
    config = write_own_names(tmp_path, kind)
    run(winlang, config, NIGHT)
    assert messaged(config) == ["c-nyc"]
    assert skips(config)["quiet_hours"] == ["c-ana", "c-fay", "c-ivy", "c-seo"]


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_the_numpy_engine_reads_the_same_names(kind: str, tmp_path: Path, winlang) -> None:
    """The in-process engine reads SQL stores through their own queries (`at` is a word
    DuckDB reserves): same split as the pushed-down run."""
    config = write_own_names(tmp_path, kind)
    args = ("--dry-run", "--format", "json")
    pushed = json.loads(run(winlang, config, NOW, *args).stdout)
    local = json.loads(run(winlang, config, NOW, *args, "--engine", "numpy").stdout)
    assert local["rules"] == pushed["rules"]
    assert local["invalid_zones"] == pushed["invalid_zones"]


@pytest.mark.parametrize("kind", KINDS)
def test_explain_reads_the_mapped_events(kind: str, tmp_path: Path, winlang) -> None:
    config = write_own_names(tmp_path, kind)
    result = winlang(
        "explain",
        "--config",
        config,
        tmp_path / "own-names.win",
        "--customer",
        "c-hal",
        "--now",
        NOW,
    )
    assert result.exit_code == 0, result.output
    assert "purchased within 30 days → true" in result.output
    assert "result: no rule matches" in result.output
