"""The state database: migrations, the unique ledger key, and the engine reading it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from winlang.cli import cli
from winlang.contracts.errors import DataError, StateError
from winlang.demo import generate, write_sqlite
from winlang.state import HEAD, open_state, read_state
from winlang.state import tables as T

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
ROOT = Path(__file__).parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    engine = request.getfixturevalue("postgres_engine")
    return engine.url.render_as_string(hide_password=False)


def test_migrating_twice_is_harmless_and_matches_the_tables(state_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    open_state(state_url)
    state = open_state(state_url)
    assert state.version() == HEAD
    with state.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": "winlang_schema_version"}
        )
        assert compare_metadata(context, T.metadata) == []


def test_the_idempotency_key_is_unique(state_url):
    state = open_state(state_url)
    row = {
        "idempotency_key": "c/r/1/0",
        "campaign": "c",
        "rule": "r",
        "customer_id": "1",
        "occurrence": 0,
        "status": "planned",
        "attempts": 0,
        "planned_at": NOW.replace(tzinfo=None),
    }
    with state.engine.begin() as connection:
        run = connection.execute(
            T.runs.insert().values(
                campaign="c",
                now=NOW.replace(tzinfo=None),
                dry_run=False,
                status="running",
                started_at=NOW.replace(tzinfo=None),
            )
        ).inserted_primary_key[0]
        connection.execute(T.messages.insert(), {**row, "run_id": run})
    with pytest.raises(sa.exc.IntegrityError), state.engine.begin() as connection:
        connection.execute(T.messages.insert(), {**row, "run_id": run})


def test_read_state_writes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    assert read_state(url) is None
    assert not (tmp_path / "state.db").exists()
    sa.create_engine(url).connect().close()  # an empty file: not winlang's yet
    assert read_state(url) is None


def test_an_old_state_schema_is_not_migrated_by_a_dry_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    state = open_state(url)
    with state.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE winlang_schema_version SET version_num = '0001'")
    with pytest.raises(DataError, match="run once without --dry-run"):
        read_state(url)
    with state.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE winlang_schema_version SET version_num = '0000'")
    for read in (read_state, open_state):
        with pytest.raises(StateError, match="has schema revision 0000, which no winlang wrote"):
            read(url)


# ---- the engine reads the ledger --------------------------------------------------------


def _project(tmp_path: Path) -> Path:
    write_sqlite(generate(1500, seed=5, now=NOW), tmp_path / "shop.db")
    config = (ROOT / "winlang.toml").read_text(encoding="utf-8")
    config = config.replace("demo/shop.db", "shop.db").replace("demo/winlang-state.db", "state.db")
    config = "\n".join(line for line in config.splitlines() if not line.startswith("schema"))
    (tmp_path / "winlang.toml").write_text(config, encoding="utf-8")
    return tmp_path / "winlang.toml"


def _dry_run(config: Path, engine: str) -> dict:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(ROOT / "campaigns" / "ladder.win"),
            "--dry-run",
            "--format",
            "json",
            "--now",
            "2026-11-22T10:00:00Z",
            "--engine",
            engine,
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 0, result.output
    return {r["name"]: r["matched"] for r in json.loads(result.output)["rules"]}


def _record(url: str, rule: str, customers: list[int], status: str, template: str) -> None:
    state = open_state(url)
    when = (NOW - timedelta(days=1)).replace(tzinfo=None)
    with state.engine.begin() as connection:
        run = connection.execute(
            T.runs.insert().values(
                campaign="sms-reengagement-ladder",
                now=when,
                dry_run=False,
                status="finished",
                started_at=when,
            )
        ).inserted_primary_key[0]
        connection.execute(
            T.messages.insert(),
            [
                {
                    "idempotency_key": f"ladder/{rule}/{c}/0",
                    "run_id": run,
                    "campaign": "sms-reengagement-ladder",
                    "rule": rule,
                    "customer_id": str(c),
                    "occurrence": 0,
                    "channel": "sms",
                    "template": template,
                    "status": status,
                    "attempts": 1,
                    "planned_at": when,
                    "sent_at": when,
                }
                for c in customers
            ],
        )


@pytest.mark.parametrize("engine", ["numpy", "sql"])
def test_a_fired_rule_does_not_match_again_and_received_is_read(tmp_path, engine):
    config = _project(tmp_path)
    before = _dry_run(config, engine)
    assert not (tmp_path / "state.db").exists(), "a dry run created the state database"
    # every customer the survey rule reaches has now been sent the coupon
    decided = _dry_run_ids(config, "survey")
    _record(f"sqlite:///{tmp_path / 'state.db'}", "survey", decided, "sent", "survey")
    after = _dry_run(config, engine)
    assert after["survey"] == 0 < before["survey"]
    _record(f"sqlite:///{tmp_path / 'state.db'}", "coupon", decided, "sent", "coupon")
    assert _dry_run(config, engine)["give_up"] == 0  # days_since < 120 for the lapsed_30 ones


def _dry_run_ids(config: Path, rule: str) -> list[int]:
    from winlang.evaluate import evaluate_campaign, open_store, parse_now
    from winlang.project import check_file, open_project

    project = open_project(config)
    checked = check_file(ROOT / "campaigns" / "ladder.win", project).checked
    evaluation = evaluate_campaign(
        checked, open_store(project.config), parse_now("2026-11-22T10:00:00Z"), "numpy"
    )
    index = [r.name for r in evaluation.plan.rules].index(rule)
    return [int(i) for i in evaluation.decisions.ids[evaluation.decisions.rules == index]]
