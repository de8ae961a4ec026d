"""docs/scale.md runs: its configurations load and, pointed at a test store, run on the test
session; the spark-submit job file and command run winlang's command line; the schedules are
valid cron; the measured table has its rows."""

from __future__ import annotations

import ast
import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.e2e.support import CAMPAIGNS_DIR, NOW, make_store, toml_text
from winlang.cli import cli
from winlang.config import cron_problem, load_config

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "scale.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)
BLOCKS = [(m[1], m[2]) for m in FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def blocks(tag: str) -> list[str]:
    return [text for found, text in BLOCKS if found == tag]


def load(tmp_path: Path, text: str):
    path = tmp_path / "winlang.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_the_configurations_load_without_a_finding(tmp_path: Path) -> None:
    local, connect = blocks("toml")
    config, found = load(tmp_path, local)
    assert found == ()
    assert config.store.url == "spark:///srv/lake/shop" and config.store.master == "local[4]"
    assert config.store.spark["spark.sql.shuffle.partitions"] == "8"
    config, found = load(tmp_path, connect)
    assert found == ()
    assert (config.store.customers, config.store.events) == ("shop.customers", "shop.events")


def test_the_install_line_names_the_extra() -> None:
    (install, _command) = blocks("text")
    assert install.strip() == 'pip install "winlang[spark]"'
    assert "\nspark = [" in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_the_schedules_are_valid_cron_lines_running_the_job_file() -> None:
    (crontab,) = blocks("cron")
    for line in crontab.splitlines():
        fields = line.split()
        assert cron_problem(" ".join(fields[:5])) is None
        assert "spark-submit" in fields and "winlang_job.py" in fields


def test_the_measured_table_has_a_row_per_campaign() -> None:
    rows = re.findall(r"^\| 1,000,000 \| (\w+) \|", PAGE.read_text(encoding="utf-8"), re.M)
    assert rows == ["ladder", "mixed"]


@pytest.fixture(scope="module")
def project(tmp_path_factory, spark_session) -> Iterator[Path]:
    """The page's local configuration, as written, over a small test store's Parquet folder
    (its master and settings meet the test run's session, which is already up)."""
    folder = tmp_path_factory.mktemp("scale-docs")
    store = make_store(folder)
    local, _connect = blocks("toml")
    document = tomllib.loads((REPO / "winlang.toml").read_text(encoding="utf-8"))
    del document["store"]
    document["state"] = {"url": f"sqlite:///{folder}/winlang-state.db"}
    page = local.replace("/srv/lake/shop", str(store.folder / "parquet"))
    (folder / "winlang.toml").write_text(page + toml_text(document), encoding="utf-8")
    (folder / "ladder.win").write_text((CAMPAIGNS_DIR / "ladder.win").read_text())
    partitions = spark_session.conf.get("spark.sql.shuffle.partitions")
    yield folder
    spark_session.conf.set("spark.sql.shuffle.partitions", partitions)  # the page's 8


@pytest.mark.spark
def test_the_local_configuration_runs_a_campaign(project: Path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    result = CliRunner(env={"WINLANG_STORE_URL": None, "WINLANG_STATE_URL": None}).invoke(
        cli, ["run", "ladder.win", "--dry-run", "--now", NOW, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["engine"] == "sql" and report["rules"][0]["matched"] > 0


@pytest.mark.spark
def test_the_spark_submit_job_runs_the_command_line(project: Path, monkeypatch) -> None:
    """The job file is winlang's entry point; the words after it in the command are
    winlang's own (run here as the driver would, on the test session)."""
    (job,) = blocks("python")
    tree = ast.parse(job)
    assert ast.unparse(tree).splitlines() == ["from winlang.cli import main", "main()"]
    (command,) = blocks("bash")
    words = shlex.split(command)
    assert words[0] == "spark-submit" and "--master" in words
    args = words[words.index("winlang_job.py") + 1 :]
    monkeypatch.chdir(project)
    monkeypatch.setattr("sys.argv", ["winlang_job.py", *args, "--now", NOW])
    namespace: dict = {}
    with pytest.raises(SystemExit) as done:
        exec(compile(job, "winlang_job.py", "exec"), namespace)
    assert done.value.code == 0
