"""`winlang demo --dir P` never destroys what it did not make.

It writes into a new or empty folder, or one an earlier demo made (listed with hashes in
`.winlang-demo.json`); anything else is refused with exit status 2 and the files named, dry
run or not. `--force` replaces only the demo's own files, even changed ones, and leaves the
others alone; a ledger of real runs is never replaced, not even with `--force`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from winlang.cli import cli
from winlang.demo.folder import MANIFEST, read_manifest

NOW = "2026-11-22T10:00:00Z"
MINE = 'campaign "mine"\ntemplate t sms "Hi"\nrule hi: when orders > 1 then send sms t\n'


def demo(folder: Path, *extra: str) -> Result:
    args = ["demo", "--customers", "200", "--dir", str(folder), "--now", NOW, *extra]
    result = CliRunner().invoke(cli, args)
    assert "Traceback" not in result.output
    return result


def run(folder: Path, campaign: str, now: str = NOW) -> Result:
    config = ["--config", str(folder / "winlang.toml")]
    result = CliRunner().invoke(cli, ["run", str(folder / campaign), "--now", now, *config])
    assert result.exit_code == 0, result.output
    return result


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def runs_in(folder: Path) -> list[str]:
    """The campaigns of the runs in the folder's ledger (none when there is no ledger)."""
    path = folder / "winlang-state.db"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [campaign for (campaign,) in db.execute("SELECT campaign FROM runs ORDER BY id")]


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A folder an earlier demo made, as it left it."""
    folder = tmp_path / "demo"
    assert demo(folder).exit_code == 0
    return folder


# ---- the demo's own folder ----------------------------------------------------------------------


def test_the_demo_lists_what_it_wrote_with_hashes_and_its_run(made: Path) -> None:
    manifest = read_manifest(made)
    assert manifest is not None and set(manifest.files) == {"shop.db", "winlang.toml", "ladder.win"}
    assert all(len(digest) == 64 for digest in manifest.files.values())
    assert len(manifest.runs) == 1 and runs_in(made) == ["sms-reengagement-ladder"]
    assert json.loads((made / MANIFEST).read_text())["made_by"] == "winlang demo"


@pytest.mark.parametrize("extra", [(), ("--dry-run",)], ids=["run", "dry-run"])
def test_a_rerun_in_its_own_folder_starts_a_new_story(made: Path, extra: tuple[str, ...]) -> None:
    run(made, "ladder.win", now="2026-11-23T10:00:00Z")  # the demo's own `Next:` step
    again = demo(made, *extra)
    assert again.exit_code == 0, again.output
    assert runs_in(made) == ([] if extra else ["sms-reengagement-ladder"])
    assert not (made / "winlang-state.db").exists() or not extra


# ---- a folder with files the demo did not make --------------------------------------------------


def test_a_project_of_the_user_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """A folder with a store, config, campaign and ledger but no manifest is the user's (here:
    a demo copied by hand to start a project from, and run)."""
    folder = tmp_path / "shop"
    assert demo(folder).exit_code == 0
    (folder / MANIFEST).unlink()
    (folder / "mine.win").write_text(MINE, encoding="utf-8")
    run(folder, "mine.win")
    before = snapshot(folder)
    for extra in ((), ("--dry-run",)):
        refused = demo(folder, *extra)
        assert refused.exit_code == 2
        assert refused.stdout == ""
        assert f"{folder}/ holds files winlang demo did not make (there is no {MANIFEST})" in (
            refused.stderr
        )
        for name in ("ladder.win", "mine.win", "shop.db", "winlang-state.db", "winlang.toml"):
            assert name in refused.stderr
        assert "--force" in refused.stderr
    forced = demo(folder, "--force")
    assert forced.exit_code == 2
    assert "--force replaces only what winlang demo made, and it did not make" in forced.stderr
    assert "mine.win" not in forced.stderr  # not in the way: it would have been left alone
    assert snapshot(folder) == before


def test_files_it_did_not_make_are_left_alone_by_force(made: Path) -> None:
    (made / "notes.txt").write_text("my notes", encoding="utf-8")
    (made / "outbox" / "mine.jsonl").write_text("{}\n", encoding="utf-8")
    refused = demo(made, "--dry-run")
    assert refused.exit_code == 2
    assert "holds files winlang demo did not make: notes.txt, outbox/mine.jsonl." in (
        refused.stderr
    )
    forced = demo(made, "--force")
    assert forced.exit_code == 0, forced.output
    assert "left alone in" in forced.stderr and "notes.txt, outbox/mine.jsonl" in forced.stderr
    assert (made / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (made / "outbox" / "mine.jsonl").read_text(encoding="utf-8") == "{}\n"


def test_an_empty_folder_is_fine(tmp_path: Path) -> None:
    assert demo(tmp_path).exit_code == 0
    assert (tmp_path / MANIFEST).is_file()


# ---- the demo's files, changed since ------------------------------------------------------------


@pytest.mark.parametrize("name", ["ladder.win", "winlang.toml", "shop.db"])
def test_a_changed_demo_file_needs_force_to_be_replaced(made: Path, name: str) -> None:
    original = (made / name).read_bytes()
    with (made / name).open("ab") as file:
        file.write(b"\n# my change\n" if name != "shop.db" else b"\0")
    changed = (made / name).read_bytes()
    refused = demo(made)
    assert refused.exit_code == 2
    assert f"files winlang demo made that were changed since: {name}." in refused.stderr
    assert (made / name).read_bytes() == changed
    forced = demo(made, "--force")
    assert forced.exit_code == 0, forced.output
    if name != "shop.db":  # the store is made again: same data, not always the same bytes
        assert (made / name).read_bytes() == original


# ---- the ledger ---------------------------------------------------------------------------------


def test_a_ledger_with_runs_of_another_campaign_is_never_replaced(made: Path) -> None:
    (made / "mine.win").write_text(MINE, encoding="utf-8")
    run(made, "mine.win")
    (made / "mine.win").unlink()
    before = snapshot(made)
    for extra in ((), ("--force",), ("--dry-run", "--force")):
        refused = demo(made, *extra)
        assert refused.exit_code == 2
        assert f"{made / 'winlang-state.db'} holds runs of `mine`, not of the demo" in (
            refused.stderr
        )
        assert "never replaces a ledger of real runs" in refused.stderr
    assert snapshot(made) == before


def test_runs_made_through_a_changed_config_are_real(made: Path) -> None:
    with (made / "winlang.toml").open("a", encoding="utf-8") as file:
        file.write('\n[channels.sms]\nplugin = "outbox"\npath = "elsewhere/sms.jsonl"\n')
    run(made, "ladder.win", now="2026-11-23T10:00:00Z")
    before = snapshot(made)
    refused = demo(made, "--force")
    assert refused.exit_code == 2
    assert "holds a run winlang demo did not make, and winlang.toml is no longer" in (
        refused.stderr
    )
    assert snapshot(made) == before


def test_a_changed_config_without_other_runs_is_replaced_by_force(made: Path) -> None:
    with (made / "winlang.toml").open("a", encoding="utf-8") as file:
        file.write("\n# tried something\n")
    assert demo(made, "--force").exit_code == 0
    assert "# tried something" not in (made / "winlang.toml").read_text(encoding="utf-8")


def test_a_file_in_the_ledgers_place_that_is_no_ledger_is_kept(made: Path) -> None:
    (made / "winlang-state.db").write_bytes(b"not a database")
    refused = demo(made, "--force")
    assert refused.exit_code == 2
    assert "is not an SQLite database" in refused.stderr
    assert (made / "winlang-state.db").read_bytes() == b"not a database"


def test_a_folder_where_the_demo_writes_a_file_is_in_the_way_even_with_force(made: Path) -> None:
    (made / "shop.db").unlink()
    (made / "shop.db").mkdir()
    (made / "shop.db" / "mine.txt").write_text("mine", encoding="utf-8")
    forced = demo(made, "--force")
    assert forced.exit_code == 2
    assert "it did not make shop.db/ in" in forced.stderr
    assert (made / "shop.db" / "mine.txt").read_text(encoding="utf-8") == "mine"
