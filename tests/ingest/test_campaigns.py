"""End to end: `opened`, `clicked`, `count(...)` and `sum(...)` conditions change after
`winlang ingest`, on every store and engine, and `winlang explain` agrees with `winlang run`;
an ingested unsubscribe makes the contact policies skip the customer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from tests.backends.sql_support import load
from winlang.cli import cli
from winlang.evaluate import evaluate_campaign
from winlang.project import check_file, open_project

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
NOW_TEXT = "2026-11-22T10:00:00Z"
CAMPAIGN = """campaign "shop"
template survey sms "Hi {first_name|there}, two quick questions"
template coupon sms "{first_name|Hi}, 10% off"
template thanks sms "Thanks, {first_name|friend}"

rule thanks:   when count(purchase within 30 days) >= 1 and sum(purchase.amount) > 100
               then send sms thanks
rule won_back: when clicked coupon within 14 days then add to list "active"
rule survey:   when not opened survey then send sms survey
"""


def ago(days: float) -> datetime:
    return (NOW - timedelta(days=days)).replace(tzinfo=None)


CUSTOMERS = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5], pa.int64()),
        "first_name": ["Ann", "Bo", "Cy", "Di", "Ed"],
        "phone": ["+1", "+2", "+3", "+4", "+5"],
        "consent_sms": [True] * 5,
    }
)
EVENTS = pa.table(
    {
        "customer_id": pa.array([1, 2], pa.int64()),
        "type": ["open", "purchase"],
        "channel": ["sms", None],
        "campaign": ["shop", None],
        "template": ["survey", None],
        "occurred_at": pa.array([ago(3), ago(100)], pa.timestamp("us")),
        "amount": pa.array([None, 5.0], pa.float64()),
        "product_name": pa.array([None, "b"], pa.string()),
    }
)
INGESTED = [
    {"event_id": "p-1", "customer_id": 2, "type": "purchase", "amount": 120.0},
    {"event_id": "o-1", "customer_id": 3, "type": "open", "campaign": "shop"}
    | {"template": "survey", "channel": "sms"},
    {"event_id": "c-1", "customer_id": 5, "type": "click", "campaign": "shop"}
    | {"template": "coupon", "channel": "sms"},
    {"event_id": "u-1", "customer_id": 4, "type": "unsubscribe", "channel": "sms"},
]
BEFORE = {"thanks": 0, "won_back": 0, "survey": 4}  # 2, 3, 4, 5 never opened the survey
AFTER = {"thanks": 1, "won_back": 1, "survey": 1}  # 2 bought, 3 opened, 5 clicked; 4 left
CHOSEN = {1: None, 2: "thanks", 3: None, 4: "survey", 5: "won_back"}

CASES = [
    pytest.param("sqlite", "sql", id="sqlite-sql"),
    pytest.param("sqlite", "numpy", id="sqlite-numpy"),
    pytest.param("duckdb", "sql", id="duckdb-sql"),
    pytest.param("postgres", "sql", id="postgres-sql", marks=pytest.mark.postgres),
    pytest.param("postgres", "numpy", id="postgres-numpy", marks=pytest.mark.postgres),
    pytest.param("parquet", "numpy", id="parquet-numpy"),
]


def make_project(request, tmp_path: Path, kind: str) -> Path:
    """A store of ``kind``, a winlang.toml pointing at it and at a state, the campaign."""
    state = f"sqlite:///{tmp_path / 'state.db'}"
    if kind == "parquet":
        (tmp_path / "shop").mkdir()
        pq.write_table(CUSTOMERS, tmp_path / "shop" / "customers.parquet")
        pq.write_table(EVENTS, tmp_path / "shop" / "events.parquet")
        url = f"parquet://{tmp_path / 'shop'}"
    else:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'shop.db'}"
        elif kind == "duckdb":
            pytest.importorskip("duckdb_engine")
            url = f"duckdb:///{tmp_path / 'shop.duckdb'}"
        else:  # the state in the same PostgreSQL database as the store, as in production
            url = request.getfixturevalue("postgres_engine").url.render_as_string(False)
            state = url
        engine = sa.create_engine(url)
        load(engine, CUSTOMERS, "customers")
        load(engine, EVENTS, "events")
        engine.dispose()
    shared = "allow_other_tables = true\n" if state == url else ""  # said so, explicitly
    (tmp_path / "winlang.toml").write_text(
        f'[store]\nurl = "{url}"\n[state]\nurl = "{state}"\n{shared}', encoding="utf-8"
    )
    (tmp_path / "shop.win").write_text(CAMPAIGN, encoding="utf-8")
    lines = [{"occurred_at": ago(1).isoformat() + "Z"} | e for e in INGESTED]
    (tmp_path / "events.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
    )
    return tmp_path


def winlang(project: Path, *args: str) -> Result:
    runner = CliRunner(env={"WINLANG_STATE_URL": None, "WINLANG_STORE_URL": None})
    config = ["--config", str(project / "winlang.toml")]
    return runner.invoke(cli, [*args, *config], catch_exceptions=False)


def run(project: Path, engine: str) -> dict:
    result = winlang(
        project, "run", str(project / "shop.win"), "--dry-run", "--now", NOW_TEXT,
        "--format", "json", "--engine", engine,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def matched(report: dict) -> dict[str, int]:
    return {rule["name"]: rule["matched"] for rule in report["rules"]}


def explained(project: Path, customer: int) -> str | None:
    result = winlang(
        project, "explain", str(project / "shop.win"), "--customer", str(customer),
        "--now", NOW_TEXT, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["chosen"]


def decided(project: Path, engine: str) -> dict[int, str | None]:
    """Each customer's rule, as `winlang run` decides it (through the project's store)."""
    opened = open_project(project / "winlang.toml")
    checked = check_file(project / "shop.win", opened).checked
    state = opened.saved_state()
    view = state.view() if state is not None else None
    evaluation = evaluate_campaign(checked, opened.store(), NOW, engine, state=view)
    names = [rule.name for rule in evaluation.plan.rules]
    rules = dict(zip(evaluation.decisions.ids.tolist(), evaluation.decisions.rules, strict=True))
    return {i: names[rules[i]] if i in rules else None for i in range(1, 6)}


@pytest.mark.parametrize("kind, engine", CASES)
def test_ingested_events_change_the_next_run(request, tmp_path, kind, engine):
    project = make_project(request, tmp_path, kind)
    assert matched(run(project, engine)) == BEFORE
    assert not (project / "state.db").exists() or kind == "postgres"  # a dry run writes none

    result = winlang(project, "ingest", str(project / "events.jsonl"))
    assert result.exit_code == 0, result.output
    assert "4 read, 4 new" in result.stdout

    report = run(project, engine)
    assert matched(report) == AFTER
    survey = report["rules"][2]
    assert survey["skipped"] == {"unsubscribed": 1} and survey["sent"] == 0

    assert decided(project, engine) == CHOSEN
    assert {i: explained(project, i) for i in CHOSEN} == CHOSEN


@pytest.mark.parametrize("kind, engine", CASES[:1])
def test_ingesting_again_changes_nothing(request, tmp_path, kind, engine):
    project = make_project(request, tmp_path, kind)
    for _ in range(2):
        assert winlang(project, "ingest", str(project / "events.jsonl")).exit_code == 0
        assert matched(run(project, engine)) == AFTER
