"""The shipped campaigns' test files pass on both engines, run as `winlang test` runs them.

`pytest` (testpaths: tests, winlang) does not look into campaigns/, so the plugin does not
collect these files a second time; `pytest campaigns` would run them through the plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from winlang.campaign_tests import report, run_test_file

CAMPAIGNS = Path(__file__).resolve().parents[2] / "campaigns"


@pytest.mark.parametrize("test_file", sorted(CAMPAIGNS.glob("*.test.toml")), ids=lambda p: p.name)
def test_campaign_tests_pass(test_file: Path) -> None:
    result = run_test_file(test_file)
    assert result.engines == ("numpy", "sql")
    assert result.passed, report.result_text(result)
