"""Every example in the README runs: the quick start, the campaign, the error, the config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli
from winlang.config import load_config

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_quick_start_is_two_commands_and_ci_runs_the_second():
    setup_and_demo, setup_and_test = (b.strip() for b in blocks("sh")[:2])
    assert setup_and_demo.endswith("winlang demo")
    assert setup_and_test.endswith(".venv/bin/pytest")
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci_lines[-1] == setup_and_test, "CI must run the README's test command verbatim"


def test_the_campaign_checks_clean(tmp_path, monkeypatch):
    (campaign,) = blocks("win")
    path = tmp_path / "winback.win"
    path.write_text(campaign, encoding="utf-8")
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["check", str(path), "--strict"])
    assert result.exit_code == 0, result.output


def test_the_error_example_is_what_check_prints(tmp_path, monkeypatch):
    (shown,) = blocks("text")
    line = re.search(r"\|\s(when .*)\n", shown)[1]
    path = tmp_path / "ladder.win"
    path.write_text(f'campaign "x"\ntemplate coupon sms "Hi"\n{line}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "ladder.win",
            "--schema",
            str(ROOT / "campaigns" / "schema.json"),
            "--config",
            str(ROOT / "winlang.toml"),
        ],
    )
    assert result.exit_code == 1
    assert shown.strip() in result.output


def test_the_configuration_loads_cleanly(tmp_path):
    (toml,) = blocks("toml")
    path = tmp_path / "winlang.toml"
    path.write_text(toml, encoding="utf-8")
    _config, problems = load_config(path)
    assert problems == ()


@pytest.mark.parametrize("command", re.findall(r"^\| `winlang (\w+)", README, re.M))
def test_every_listed_command_exists(command):
    assert CliRunner().invoke(cli, [command, "--help"]).exit_code == 0
