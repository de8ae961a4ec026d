"""The run summary reports the sending loop's throughput (messages per second)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.deliver.test_run_cli import NOW, make_project, report, run
from winlang.cli import cli


def test_a_real_run_reports_its_throughput(tmp_path):
    project = make_project(tmp_path)
    summary = report(project)
    throughput = summary["throughput"]
    assert throughput["messages"] == summary["delivery"]["sent"] == 3
    assert throughput["seconds"] > 0
    assert throughput["messages_per_second"] == round(3 / throughput["seconds"])


def test_the_text_summary_says_it_and_a_dry_run_does_not(tmp_path):
    project = make_project(tmp_path)
    config = ["--now", NOW, "--config", str(project / "winlang.toml")]
    dry = CliRunner().invoke(cli, ["run", str(project / "c.win"), "--dry-run", *config])
    assert dry.exit_code == 0 and "throughput" not in dry.stdout
    assert "throughput" not in json.loads(run(project, "--dry-run").stdout)
    text = CliRunner().invoke(cli, ["run", str(project / "c.win"), *config])
    assert text.exit_code == 0, text.output
    assert [line for line in text.stdout.splitlines() if line.startswith("throughput: ")]
