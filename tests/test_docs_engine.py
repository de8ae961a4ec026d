"""docs/engine.md stays true: its pass table and its run-summary example match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli
from winlang.plan.passes import PASSES

WAREHOUSES = "Trino and Databricks SQL: compiled, not executed in CI"
DOC = (Path(__file__).parents[1] / "docs" / "engine.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the ``## title`` section."""
    return DOC.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_pass_table_lists_every_pass_in_order():
    listed = re.findall(r"^\| `(\w+)` \|", section("Optimizer passes"), re.M)
    assert listed == [p.__name__ for p in PASSES]


def test_the_run_summary_example_has_the_real_shape(tmp_path):
    (example,) = (json.loads(b) for b in re.findall(r"```json\n(.*?)```", DOC, re.S))
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--customers",
            "500",
            "--dir",
            str(tmp_path),
            "--now",
            example["now"],
            "--format",
            "json",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    real = json.loads(result.output)
    assert real.keys() == example.keys()
    assert real["campaign"] == example["campaign"] and real["now"] == example["now"]
    assert [r["name"] for r in real["rules"][:2]] == [r["name"] for r in example["rules"]]
    assert all(r.keys() == example["rules"][0].keys() for r in real["rules"])


def test_the_missing_customer_example_is_what_explain_prints(tmp_path):
    (shown,) = re.findall(r"```text\n(winlang: no customer .*?)\n```", DOC, re.S)
    folder = tmp_path / "demo"
    made = CliRunner().invoke(cli, ["demo", "--customers", "50", "--dir", str(folder), "--dry-run"])
    assert made.exit_code == 0, made.output
    result = CliRunner().invoke(
        cli,
        ["explain", str(folder / "ladder.win"), "--customer", "999999",
         "--config", str(folder / "winlang.toml")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.strip() == shown.replace("sqlite:///demo/", f"sqlite:///{folder}/")


def test_the_warehouse_example_prints_each_named_engines_statement(monkeypatch, capsys):
    (block,) = re.findall(r"```python\n(.*?)```", section(WAREHOUSES), re.S)
    monkeypatch.chdir(Path(__file__).parents[1])  # the repository: campaigns/ is its project
    engines = re.search(r'engine = "(\w+)"  # or (.*)$', block, re.M)
    assert engines is not None
    for engine in [engines[1], *re.findall(r'"(\w+)"', engines[2])]:
        if engine in {"trino", "databricks", "duckdb"}:
            pytest.importorskip({"duckdb": "duckdb_engine"}.get(engine, f"{engine}.sqlalchemy"))
        exec(compile(block.replace('"trino"', f'"{engine}"'), "docs/engine.md", "exec"), {})
        printed = capsys.readouterr().out
        assert re.search(r"FROM [\"`]?customers[\"`]? AS c\b", printed), engine
        assert re.search(r":`?text_open\b", printed), engine  # parameters named by what they hold
