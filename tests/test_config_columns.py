"""``[store.columns]``: every column winlang reads by convention can be mapped; an unknown or
malformed key is a diagnostic at its line, never a crash."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from click.testing import CliRunner

from tests.e2e.own_names import NOW, write_own_names
from winlang.cli import cli
from winlang.config import COLUMN_DEFAULTS, Store, load_config
from winlang.contracts.source import Layout
from winlang.evaluate import layout_of


def load(tmp_path: Path, text: str):
    path = tmp_path / "winlang.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_every_layout_column_is_a_mapping_key_with_the_same_default() -> None:
    layout = Layout()
    columns = {f.name: getattr(layout, f.name) for f in fields(Layout)}
    del columns["customers"], columns["events"]
    assert columns == dict(COLUMN_DEFAULTS)


def test_every_key_maps_its_column(tmp_path: Path) -> None:
    mapped = {key: f"my_{key}" for key in COLUMN_DEFAULTS}
    text = "[store.columns]\n" + "".join(f'{k} = "{v}"\n' for k, v in mapped.items())
    config, diagnostics = load(tmp_path, text)
    assert diagnostics == ()
    layout = layout_of(config)
    assert {key: getattr(layout, key) for key in COLUMN_DEFAULTS} == mapped
    assert config.store.column("timezone") == "my_timezone"


def test_unmapped_columns_keep_their_default_names() -> None:
    store = Store(columns={"timezone": "tz"})
    assert store.column("timezone") == "tz"
    assert store.column("occurred_at") == "occurred_at"
    assert Layout.from_config("c", "e", store.columns).id == "id"


def test_an_unknown_key_is_a_warning_with_the_known_keys(tmp_path: Path) -> None:
    config, diagnostics = load(tmp_path, '[store.columns]\nid = "ref"\nfoo = "bar"\n')
    (finding,) = diagnostics
    assert (finding.code, finding.line, finding.column) == ("W702", 3, 1)
    assert "unknown key `foo` in [store.columns]" in finding.message
    assert "timezone" in finding.hint and "occurred_at" in finding.hint
    assert config.store.columns == {"id": "ref"}
    assert layout_of(config).id == "ref"  # the known keys still apply


def test_a_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    _, (finding,) = load(tmp_path, '[store.columns]\ntimezon = "tz"\n')
    assert finding.code == "W702"
    assert "timezone" in finding.hint


def test_a_column_name_must_be_a_text(tmp_path: Path) -> None:
    config, diagnostics = load(tmp_path, '[store.columns]\ntimezone = 3\nid = "  "\n')
    assert [(d.code, d.line) for d in diagnostics] == [("E703", 2), ("E703", 3)]
    assert "`timezone` must be a column name" in diagnostics[0].message
    assert config.store.columns == {}


def test_run_and_check_with_an_unknown_key_do_not_crash(tmp_path: Path) -> None:
    config = write_own_names(tmp_path, "sqlite")
    config.write_text(
        config.read_text().replace("[store.columns]\n", '[store.columns]\nfoo = "bar"\n')
    )
    runner = CliRunner()
    campaign = str(tmp_path / "own-names.win")
    checked = runner.invoke(cli, ["check", "--config", str(config), campaign])
    assert checked.exit_code == 0, checked.output
    assert "winlang.toml:7:1: warning[W702]: unknown key `foo` in [store.columns]" in (
        checked.output
    )
    ran = runner.invoke(cli, ["run", "--config", str(config), campaign, "--dry-run", "--now", NOW])
    assert ran.exit_code == 0, ran.output
    assert "internal error" not in ran.output


ENGINE_DOC = Path(__file__).resolve().parents[1] / "docs" / "engine.md"


def _store_names_section() -> str:
    text = ENGINE_DOC.read_text(encoding="utf-8")
    return text.split("### Your store's names\n", 1)[1].split("\n#", 1)[0]


def test_the_docs_table_lists_every_key_with_its_default() -> None:
    rows = re.findall(r"^\| `(\w+)` \| \w+ \| .* \| `(\w+)` \|$", _store_names_section(), re.M)
    assert dict(rows) == dict(COLUMN_DEFAULTS)
    assert [key for key, _ in rows] == list(COLUMN_DEFAULTS)


def test_the_docs_example_maps_the_own_names_store(tmp_path: Path) -> None:
    (example,) = re.findall(r"```toml\n(.*?)```", _store_names_section(), re.S)
    _config, diagnostics = load(tmp_path, example)
    assert diagnostics == ()
    store = tmp_path / "store"
    write_own_names(store, "sqlite")
    path = store / "winlang.toml"
    path.write_text(example.replace("sqlite:///shop.db", f"sqlite:///{store / 'shop.db'}"))
    runner = CliRunner(env={"WINLANG_STORE_URL": None, "WINLANG_STATE_URL": None})
    result = runner.invoke(
        cli, ["run", "--config", str(path), str(store / "own-names.win"), "--dry-run", "--now", NOW]
    )
    assert result.exit_code == 0, result.output
    split = "sms 4 · sms parts 4 · skipped: no_address 2, no_consent 2, quiet_hours 1"
    assert split in result.output
