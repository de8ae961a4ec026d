"""``winlang demo`` end to end, and how ``winlang run`` fails: one clear message, never a traceback.

The demo's numbers must equal ``winlang run`` on the project it writes and the reference's
ladder on the same generated data; one test runs the installed ``winlang`` in a real process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.e2e.reference import LADDER, customers_at
from tests.e2e.support import (
    CAMPAIGNS_DIR,
    NOW,
    REPO,
    STORES,
    VENV_WINLANG,
    Store,
    matches,
    project_config,
)
from winlang.demo import generate
from winlang.evaluate import parse_now

DEMO_SEED = 7  # `winlang demo`'s default --seed

OK = 'campaign "ok"\ntemplate t sms "Hi"\nwhen orders > 1 then send sms t\n'
TYPO = 'campaign "typo"\ntemplate t sms "Hi"\nwhen lifetime_valu > 1 then send sms t\n'
LOYALTY = 'campaign "loyalty"\ntemplate t sms "Hi"\nwhen loyalty_points > 10 then send sms t\n'
DISCOUNT = (
    'campaign "discount"\ntemplate t sms "Hi"\n'
    "when sum(purchase.discount within 30 days) > 5 then send sms t\n"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def dry_run(winlang: Callable[..., Result], campaign: Path, config: Path, *extra: str) -> Result:
    result = winlang("run", campaign, "--dry-run", "--now", NOW, "--config", config, *extra)
    assert "Traceback" not in result.output
    return result


def without_comments(text: str) -> list[str]:
    lines = (re.sub(r"#.*", "", line).rstrip() for line in text.splitlines())
    return [line for line in lines if line]


# ---- winlang demo -----------------------------------------------------------------------------


def test_demo_matches_run_and_the_reference(winlang, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    demo = winlang(
        "demo", "--customers", "2000", "--dir", folder, "--now", NOW, "--format", "json",
        "--dry-run",
    )  # fmt: skip
    assert demo.exit_code == 0, demo.output
    assert "Traceback" not in demo.output
    run = dry_run(winlang, folder / "ladder.win", folder / "winlang.toml", "--format", "json")
    assert run.exit_code == 0, run.output
    report = json.loads(demo.stdout)
    assert report == json.loads(run.stdout)

    # The demo's ladder is campaigns/ladder.win, which the reference knows.
    demo_ladder = (folder / "ladder.win").read_text(encoding="utf-8")
    assert without_comments(demo_ladder) == without_comments(
        (CAMPAIGNS_DIR / LADDER.file).read_text(encoding="utf-8")
    )
    data = generate(2000, seed=DEMO_SEED, now=parse_now(NOW))
    customers = customers_at(data.customers.to_pylist(), data.events.to_pylist(), parse_now(NOW))
    assert {"audience": report["audience"], "rules": matches(report)} == LADDER.summary(customers)
    assert report["campaign"] == LADDER.name and report["now"] == NOW


def test_the_demo_delivers_what_a_dry_run_plans_and_a_rerun_sends_nothing(
    winlang, tmp_path: Path
) -> None:
    folder = tmp_path / "demo"
    args = ("demo", "--customers", "2000", "--dir", folder, "--now", NOW, "--format", "json")
    planned = json.loads(winlang(*args, "--dry-run").stdout)
    delivered = json.loads(winlang(*args).stdout)
    assert delivered["dry_run"] is False and delivered["delivery"]["failed"] == 0
    for plan, done in zip(planned["rules"], delivered["rules"], strict=True):
        assert {**plan, "failed": 0} == {**done, "failed": 0}  # nothing failed, all as planned
    lines = [line for path in (folder / "outbox").glob("*.jsonl") for line in path.open()]
    assert len(lines) == delivered["delivery"]["sent"] > 0
    again = winlang("run", folder / "ladder.win", "--now", NOW, "--format", "json",
                    "--config", folder / "winlang.toml")  # fmt: skip
    assert json.loads(again.stdout)["delivery"]["sent"] == 0
    assert len([line for p in (folder / "outbox").glob("*.jsonl") for line in p.open()]) == len(
        lines
    )
    # a new demo starts a new story: its own state and outbox
    assert json.loads(winlang(*args).stdout)["delivery"] == delivered["delivery"]


def test_demo_in_a_real_process_writes_demo_here(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINLANG_")}

    def winlang_demo() -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(VENV_WINLANG), "demo", "--customers", "1000"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    done = winlang_demo()
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout.startswith("made 1,000 customers and ")
    assert "campaign sms-reengagement-ladder — run at " in done.stdout
    assert re.search(r"^audience +\d+$", done.stdout, re.MULTILINE)
    for rule in LADDER.rule_names:
        assert re.search(rf"^rule {rule} +\d+", done.stdout, re.MULTILINE), rule
    assert "winlang explain ladder.win --customer 42" in done.stdout
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == [
        ".winlang-demo.json",
        "ladder.win",
        "outbox",
        "shop.db",
        "winlang-state.db",
        "winlang.toml",
    ]
    assert re.search(r"demo/outbox/sms.jsonl: [\d,]+ messages", done.stdout)
    again = winlang_demo()  # the README's command, a second time: its own folder is reused
    assert again.returncode == 0, again.stderr
    assert again.stderr == "" and again.stdout.startswith("made 1,000 customers and ")


# ---- winlang run: errors ----------------------------------------------------------------------


def test_a_campaign_with_errors_exits_1_with_the_diagnostic(
    winlang, store: Store, tmp_path: Path
) -> None:
    campaign = write(tmp_path / "typo.win", TYPO)
    result = dry_run(winlang, campaign, store.configs["sqlite"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "typo.win:3:6: error[E201]: unknown name `lifetime_valu`" in result.stderr
    assert "did you mean `lifetime_value`?" in result.stderr
    assert "has errors; fix them first" in result.stderr


# (URL of a store that is not there, whether the config names a schema file, --engine)
MISSING_STORES = [
    pytest.param("sqlite:///{here}/nowhere/shop.db", False, "auto", id="sqlite"),
    pytest.param("sqlite:///{here}/nowhere/shop.db", True, "numpy", id="sqlite+schema-numpy"),
    pytest.param("sqlite:///{here}/nowhere/shop.db", True, "sql", id="sqlite+schema-sql"),
    pytest.param("duckdb:///{here}/nowhere/shop.duckdb", True, "numpy", id="duckdb+schema-numpy"),
    pytest.param("duckdb:///{here}/nowhere/shop.duckdb", True, "sql", id="duckdb+schema-sql"),
    pytest.param(
        "duckdb:///{here}/shop.duckdb",
        False,
        "auto",
        id="duckdb-in-existing-folder",
    ),
    pytest.param("parquet://{here}/nowhere", True, "auto", id="parquet+schema"),
]


@pytest.mark.parametrize("url, with_schema, engine", MISSING_STORES)
def test_a_missing_store_exits_2_naming_it(
    winlang, tmp_path: Path, url: str, with_schema: bool, engine: str
) -> None:
    url = url.format(here=tmp_path)
    schema = CAMPAIGNS_DIR / "schema.json" if with_schema else None
    config = write(tmp_path / "winlang.toml", project_config(url, tmp_path, schema))
    campaign = write(tmp_path / "ok.win", OK)
    before = sorted(tmp_path.rglob("*"))
    result = dry_run(winlang, campaign, config, "--engine", engine)
    assert result.exit_code == 2
    store_path = url.split(":///", 1)[1]
    assert store_path in result.stderr or url in result.stderr
    assert re.search(r"does not exist|is missing|no such file", result.stderr, re.IGNORECASE)
    assert sorted(tmp_path.rglob("*")) == before, "a missing store was created"


@pytest.fixture
def extra_schema(tmp_path: Path) -> Path:
    """The example schema plus a customer column and an event column no test store has."""
    schema = json.loads((CAMPAIGNS_DIR / "schema.json").read_text(encoding="utf-8"))
    schema["customers"]["loyalty_points"] = "number"
    schema["events"]["discount"] = "number"
    return write(tmp_path / "schema.json", json.dumps(schema, indent=2))


MISSING_COLUMNS = [
    pytest.param(LOYALTY, "customers", "loyalty_points", id="customers"),
    pytest.param(DISCOUNT, "events", "discount", id="events"),
]
ENGINES = [
    pytest.param("sqlite", "numpy", id="sqlite-numpy"),
    pytest.param("sqlite", "sql", id="sqlite-sql"),
    pytest.param("duckdb", "sql", id="duckdb-sql"),
    pytest.param("parquet", "auto", id="parquet-auto"),
]


@pytest.mark.parametrize("store_name, engine", ENGINES)
@pytest.mark.parametrize("text, table, column", MISSING_COLUMNS)
def test_a_column_the_store_lacks_exits_2_naming_table_and_column(
    winlang,
    store: Store,
    tmp_path: Path,
    extra_schema: Path,
    text: str,
    table: str,
    column: str,
    store_name: str,
    engine: str,
) -> None:
    url = STORES[store_name][0].format(folder=store.folder)
    config = write(tmp_path / "winlang.toml", project_config(url, tmp_path, extra_schema))
    campaign = write(tmp_path / "c.win", text)
    result = dry_run(winlang, campaign, config, "--engine", engine)
    assert result.exit_code == 2, result.output
    assert f"`{table}`" in result.stderr and f"`{column}`" in result.stderr
    assert result.stdout == ""


def test_now_that_is_not_a_time_is_a_usage_error(winlang, store: Store) -> None:
    result = winlang(
        "run", CAMPAIGNS_DIR / "one-liner.win", "--dry-run", "--now", "garbage",
        "--config", store.configs["sqlite"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "--now" in result.stderr and "`garbage` is not an ISO-8601 time" in result.stderr


def test_engine_sql_on_a_parquet_store_exits_2(winlang, store: Store) -> None:
    campaign = CAMPAIGNS_DIR / "one-liner.win"
    result = dry_run(winlang, campaign, store.configs["parquet+schema"], "--engine", "sql")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--engine sql needs a SQL store; parquet is not one" in result.stderr


def test_the_repository_config_is_not_used(store: Store) -> None:
    """Every test config points into the test store, never at the repository's demo/ folder."""
    for config in store.configs.values():
        text = config.read_text(encoding="utf-8")
        assert str(store.folder) in text and str(REPO / "demo") not in text
