"""docs/delivery.md stays true: its settings block is the defaults, its SQL and Python run."""

from __future__ import annotations

import doctest
import re
import sqlite3
from dataclasses import fields
from pathlib import Path

from click.testing import CliRunner

from winlang.cli import cli
from winlang.config import DeliverySettings, load_config

PAGE = Path(__file__).resolve().parents[2] / "docs" / "delivery.md"
TEXT = PAGE.read_text(encoding="utf-8")


def blocks(tag: str) -> list[str]:
    return re.findall(rf"```{tag}\n(.*?)```", TEXT, re.S)


def test_the_settings_block_is_the_defaults_and_names_every_setting(tmp_path):
    toml = blocks("toml")[0]
    path = tmp_path / "winlang.toml"
    path.write_text(toml, encoding="utf-8")
    config, diagnostics = load_config(path)
    assert diagnostics == ()
    assert config.delivery == DeliverySettings()
    assert {f.name for f in fields(DeliverySettings)} <= set(re.findall(r"^(\w+) =", toml, re.M))


def test_the_http_timeouts_block_makes_a_channel(tmp_path):
    from winlang.deliver.channels import open_channel

    (toml,) = blocks("toml")[1:]
    path = tmp_path / "winlang.toml"
    path.write_text(toml, encoding="utf-8")
    config, diagnostics = load_config(path)
    assert diagnostics == ()
    channel = open_channel(config, "sms")
    try:
        assert channel.plugin == "webhook"
    finally:
        channel.close()


def test_the_sql_examples_run_on_a_real_ledger(tmp_path):
    result = CliRunner().invoke(
        cli, ["demo", "--customers", "500", "--dir", str(tmp_path), "--now", "2026-11-22T12:00:00Z"]
    )
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "winlang-state.db") as db:
        statements = [s for sql in blocks("sql") for s in sql.split(";") if s.strip()]
        results = [db.execute(s).fetchall() for s in statements]
    assert len(results) == 3 and results[1]  # the demo's run skipped someone, with reasons
    assert results[2]  # ... and deferred some for quiet hours


def test_the_python_examples_run():
    """The escaping example of "What goes into a message" shows what rendering does."""
    failures, tried = doctest.testfile(str(PAGE), module_relative=False, verbose=False)
    assert tried >= 6 and failures == 0


def test_the_sms_size_summary_is_what_a_run_prints(tmp_path):
    from tests.deliver.test_sms_limit import NOW, make_project

    (text,) = blocks("text")
    project = make_project(tmp_path)
    config = ["--config", str(project / "winlang.toml")]
    result = CliRunner().invoke(cli, ["run", str(project / "c.win"), "--now", NOW, *config])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.strip() for line in text.splitlines()] == [line.strip() for line in lines[2:4]], (
        result.stdout
    )
