"""docs/schedule.md runs: its configuration loads, its transcript is what `winlang schedule`
prints, and every recipe (cron, systemd, Kubernetes, Airflow) has valid cron expressions and
winlang commands that run on a real project."""

from __future__ import annotations

import ast
import configparser
import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.deliver.test_deferred import make_project
from winlang.cli import cli
from winlang.config import Schedule, cron_problem, load_config

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "schedule.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)
BLOCKS = [(m[1], m[2]) for m in FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def blocks(tag: str) -> list[str]:
    return [text for found, text in BLOCKS if found == tag]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The day of docs/schedule.md: the tests' deferral project with the page's [schedule]."""
    folder = make_project(tmp_path)
    (toml,) = blocks("toml")
    with (folder / "winlang.toml").open("a", encoding="utf-8") as config:
        config.write(toml)
    monkeypatch.chdir(folder)
    return folder


def winlang(command: str) -> None:
    """Run a documented `winlang ...` command line in the project; it must succeed."""
    words = shlex.split(command)
    assert words[0].endswith("winlang"), command
    result = CliRunner(env={"WINLANG_STATE_URL": None, "WINLANG_STORE_URL": None}).invoke(
        cli, words[1:]
    )
    assert result.exit_code == 0, (command, result.output)


def test_the_configuration_block_loads(project):
    config, found = load_config(project / "winlang.toml")
    assert found == ()
    assert config.schedule == {(project / "c.win").resolve(): Schedule("0 8 * * *")}


def test_the_transcript_is_what_the_scheduler_prints(project):
    install, output, travel = blocks("text")
    assert "pip install 'winlang[schedule]'" in install
    assert '"apscheduler' in (REPO / "pyproject.toml").read_text(encoding="utf-8")
    (command,) = [line[2:] for line in travel.splitlines() if line.startswith("$ ")]
    result = CliRunner().invoke(cli, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert result.stdout == output
    winlang("winlang schedule --once")  # the daemon itself, for one tick of the real clock


def test_the_cron_recipe(project):
    (crontab,) = blocks("cron")
    lines = [line.split() for line in crontab.splitlines() if not line.startswith("#")]
    assert len(lines) == 2
    for fields in lines:
        assert cron_problem(" ".join(fields[:5])) is None
        winlang(" ".join(fields[5:]).split(" && ", 1)[1])


def test_the_systemd_recipe(project):
    service, timer = (configparser.ConfigParser() for _ in range(2))
    service.read_string(blocks("ini")[0])
    timer.read_string(blocks("ini")[1])
    assert service["Service"]["Type"] == "oneshot" and timer["Timer"]["OnCalendar"]
    winlang(service["Service"]["ExecStart"])


def test_the_kubernetes_recipe(project):
    (yaml,) = blocks("yaml")
    (cron,) = re.findall(r'^\s*schedule: "(.*)"$', yaml, re.M)
    assert cron_problem(cron) is None
    (command,) = re.findall(r"^\s*command: (\[.*\])$", yaml, re.M)
    winlang(shlex.join(json.loads(command)))


def test_the_airflow_recipe(project):
    (python,) = blocks("python")
    tree = ast.parse(python)
    keywords = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and isinstance(node.value, ast.Constant):
            keywords.setdefault(node.arg, []).append(node.value.value)
    assert [cron_problem(c) for c in keywords["schedule"]] == [None, None]
    for command in keywords["bash_command"]:
        winlang(command.split(" && ", 1)[1])
