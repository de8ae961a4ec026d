"""`[channels.NAME] price_per_part`: a number of at least 0, read by the configuration;
anything else is E703 where it is written, and the cost stays unknown."""

from __future__ import annotations

from pathlib import Path


def test_a_campaign_price_that_is_no_number_is_a_finding(tmp_path: Path):
    from winlang.config import load_config

    (tmp_path / "winlang.toml").write_text('[channels.sms]\nprice_per_part = "cheap"\n')
    config, diagnostics = load_config(tmp_path / "winlang.toml")
    (found,) = diagnostics
    assert (found.code, found.line) == ("E703", 2)
    assert "`price_per_part` must be a number" in found.message
    assert config.channels["sms"].price_per_part is None  # the cost is then unknown
