"""docs/report.md stays true: its campaign is the end-to-end scenario's, its text example is
what `winlang report` prints for it, and its JSON example is the real output, trimmed."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from tests.docs_helpers import REPO, code_blocks
from tests.report.test_cli import CAMPAIGN, NOW, invoke, report
from winlang.cli import cli

PAGE = REPO / "docs" / "report.md"
BLOCKS = list(code_blocks(PAGE))


def test_the_campaign_is_the_scenario():
    (campaign,) = [b.text for b in BLOCKS if b.tag == "win"]
    assert campaign == CAMPAIGN


def test_the_text_example_is_what_report_prints(project):
    shown = next(b.text for b in BLOCKS if b.tag == "text" and "--now 2" in b.text)
    command, *output = shown.splitlines()
    assert command == f"$ winlang report c.win --now {NOW}"
    result = invoke(project, "report", str(project / "c.win"), "--now", NOW)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == output


def test_the_json_example_is_the_real_report_trimmed(project):
    (example,) = (json.loads(b.text) for b in BLOCKS if b.tag == "json")
    real = report(project)
    assert real.keys() == example.keys()
    real["rules"] = real["rules"][:1]  # the page leaves out the second rule...
    real["rules"][0]["variants"] = real["rules"][0]["variants"][:1]  # ...and variant,
    real["rules"][0]["ab"] = real["rules"][0]["ab"][1:]  # ...its first comparison,
    real["daily"] = real["daily"][:2]  # ...and all but two days
    assert real == example


def test_the_page_names_the_threshold_the_code_uses():
    from winlang.report.funnel import MIN_GROUP

    assert re.search(rf"fewer than {MIN_GROUP} customers on either side", PAGE.read_text())


def test_the_price_example_is_a_setting_the_report_uses(tmp_path):
    from winlang.config import load_config

    (example,) = [b.text for b in BLOCKS if b.tag == "toml"]
    (tmp_path / "winlang.toml").write_text(example, encoding="utf-8")
    config, diagnostics = load_config(tmp_path / "winlang.toml")
    assert not diagnostics
    assert config.channels["sms"].price_per_part == 0.045
    assert "price_per_part" not in config.channels["sms"].settings  # not the plugin's


def test_the_html_example_names_the_options_the_command_has():
    (shown,) = [b.text for b in BLOCKS if b.tag == "text" and "--format html" in b.text]
    result = CliRunner().invoke(cli, ["report", "--help"])
    for option in re.findall(r"--[a-z-]+", shown):
        assert option in result.output
