"""`winlang schema export` writes what the store holds, and `check --schema` uses it offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli
from winlang.demo import generate, write_parquet, write_sqlite

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def data():
    return generate(50, seed=3, now=NOW)


@pytest.mark.parametrize("kind", ["sqlite", "parquet"])
def test_export_then_check_without_the_store(tmp_path, data, kind):
    if kind == "sqlite":
        write_sqlite(data, tmp_path / "shop.db")
        url = "sqlite:///shop.db"
    else:
        write_parquet(data, tmp_path / "files")
        url = f"parquet://{tmp_path / 'files'}"
    (tmp_path / "winlang.toml").write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    runner = CliRunner()
    exported = runner.invoke(
        cli,
        [
            "schema",
            "export",
            "-o",
            str(tmp_path / "schema.json"),
            "--config",
            str(tmp_path / "winlang.toml"),
        ],
    )
    assert exported.exit_code == 0, exported.output
    schema = json.loads((tmp_path / "schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads((ROOT / "campaigns" / "schema.json").read_text("utf-8"))

    (tmp_path / "shop.db").unlink(missing_ok=True)  # CI has no database
    checked = runner.invoke(
        cli,
        [
            "check",
            str(ROOT / "campaigns" / "ladder.win"),
            "--schema",
            str(tmp_path / "schema.json"),
            "--config",
            str(ROOT / "winlang.toml"),
        ],
    )
    assert checked.exit_code == 0, checked.output


def test_export_from_a_missing_store_is_one_clear_line(tmp_path):
    (tmp_path / "winlang.toml").write_text('[store]\nurl = "sqlite:///nope.db"\n', "utf-8")
    result = CliRunner().invoke(
        cli, ["schema", "export", "--config", str(tmp_path / "winlang.toml")]
    )
    assert result.exit_code == 1
    assert "nope.db does not exist" in result.output
    assert "Traceback" not in result.output
