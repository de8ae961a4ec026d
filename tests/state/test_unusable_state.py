"""A state database that can't be used is an error for every command, never an empty history:
damaged, not SQLite, locked, read-only for a run, a table dropped, from a newer winlang, not
winlang's, a time that is not a time; and a state URL no command could use is refused at
check time. Each ends in one line naming the database and the problem, exit 2 (1 for a
configuration error, like every other one)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import winlang.state
from winlang.cli import cli
from winlang.demo import generate, write_sqlite

NOW = "2026-11-22T10:00:00Z"
LATER = "2026-12-30T00:00:00Z"
ROOT = Path(__file__).parents[2]
CAMPAIGN = ROOT / "campaigns" / "ladder.win"
ENV = {"WINLANG_STATE_URL": None, "WINLANG_STORE_URL": None}


def config_text(state: str = "sqlite:///state.db", extra: str = "") -> str:
    return (
        '[store]\nurl = "sqlite:///shop.db"\n'
        f'[state]\nurl = "{state}"\n{extra}'
        '[fields]\ndays_since_purchase = "days_since(last_purchase_at)"\n'
        '[defaults]\ntimezone = "UTC"\n'
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A project after one real run: a store, a state with a ledger, outbox files."""
    folder = tmp_path_factory.mktemp("template")
    write_sqlite(
        generate(400, seed=7, now=datetime(2026, 11, 22, 10, tzinfo=UTC)), folder / "shop.db"
    )
    (folder / "winlang.toml").write_text(config_text(), encoding="utf-8")
    shutil.copyfile(CAMPAIGN, folder / "ladder.win")
    result = invoke(folder, "run", str(folder / "ladder.win"), "--now", NOW)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(template, folder)
    return folder


def invoke(folder: Path, *args: str):
    return CliRunner(env=ENV).invoke(
        cli, [*args, "--config", str(folder / "winlang.toml")], catch_exceptions=False
    )


COMMANDS = {
    "dry run": ("run", "ladder.win", "--dry-run", "--now", NOW),
    "report": ("report", "ladder.win", "--now", LATER),
    "explain": ("explain", "ladder.win", "--customer", "5", "--now", NOW),
    "run": ("run", "ladder.win", "--now", LATER),
}


def command(folder: Path, name: str):
    return invoke(folder, *COMMANDS[name][:1], str(folder / "ladder.win"), *COMMANDS[name][2:])


def execute(state: Path, sql: str) -> None:
    with sqlite3.connect(state) as connection:
        connection.execute(sql)


def truncate(state: Path) -> str:
    state.write_bytes(state.read_bytes()[:5000])
    return "is damaged (database disk image is malformed)"


def not_sqlite(state: Path) -> str:
    state.write_text("id,name\n1,Ada\n", encoding="utf-8")
    return "is not an SQLite database"


def drop_a_table(state: Path) -> str:
    execute(state, "DROP TABLE skips")
    return "has no table `skips`: it was dropped"


def from_a_newer_winlang(state: Path) -> str:
    execute(state, "UPDATE winlang_schema_version SET version_num = '9001'")
    return "was written by a newer winlang (schema revision 9001"


def not_winlangs(state: Path) -> str:
    state.unlink()
    execute(state, "CREATE TABLE customers (id INTEGER)")
    return "is not winlang's: it holds other tables (customers)"


DAMAGES = [truncate, not_sqlite, drop_a_table, from_a_newer_winlang, not_winlangs]


@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize("damage", DAMAGES, ids=lambda d: d.__name__)
def test_a_state_that_cant_be_used_stops_every_command(project, damage, name):
    state = project / "state.db"
    problem = damage(state)
    before = state.read_bytes()
    result = command(project, name)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""  # no plan, no report: nothing read as an empty history
    assert result.stderr.startswith(f"winlang: the state database {state} {problem}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert state.read_bytes() == before  # not repaired, migrated or recreated behind a back


def test_an_empty_state_file_is_a_state_not_created_yet(project):
    (project / "state.db").write_bytes(b"")
    result = command(project, "dry run")
    assert result.exit_code == 0, result.output


@pytest.fixture
def locked(project) -> Iterator[Path]:
    """Another process holds the state's exclusive lock for the whole test."""
    connection = sqlite3.connect(project / "state.db", isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    yield project
    connection.execute("ROLLBACK")
    connection.close()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_locked_state_is_an_error_after_waiting(locked, name, monkeypatch):
    monkeypatch.setattr(winlang.state, "READ_BUSY_SECONDS", 0.1)
    monkeypatch.setattr(winlang.state, "WRITE_BUSY_SECONDS", 0.1)
    result = command(locked, name)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"winlang: the state database {locked / 'state.db'} is locked by another process"
    )


def test_a_garbage_time_in_the_ledger_names_its_row(project):
    execute(project / "state.db", "UPDATE messages SET sent_at = 'yesterday' WHERE id = 3")
    result = command(project, "report")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"winlang: the state database {project / 'state.db'} has a `sent_at` that is not a "
        "time in row 3 of `messages`: 'yesterday'; correct or delete that row\n"
    )


# ---- read-only: a run needs to write, a dry run, report and explain only read -------------


def as_unprivileged(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``winlang ARGS`` in ``folder`` as a user whom file permissions stop: the ``nobody``
    user when the tests run as root (whom no permission stops), with a system interpreter of
    the same version when the tests' own lives where ``nobody`` can't reach."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WINLANG_")}
    python, extra = sys.executable, {}
    if os.geteuid() == 0:
        python = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
        if not Path(python).exists():
            pytest.skip(f"running as root and no {python} for the unprivileged user")
        paths = sysconfig.get_paths()
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), paths["purelib"], paths["platlib"]])
        extra = {"user": 65534, "group": 65534, "extra_groups": []}
    return subprocess.run(
        [python, "-m", "winlang", *args, "--config", str(folder / "winlang.toml")],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, **extra,
    )  # fmt: skip


@pytest.fixture
def shared_project(template: Path) -> Iterator[Path]:
    """The project in a folder another user may enter (pytest's are its owner's only)."""
    folder = Path(tempfile.mkdtemp(prefix="winlang-readonly-")) / "project"
    shutil.copytree(template, folder)
    for path in [folder.parent, folder, *folder.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    shutil.rmtree(folder.parent)


def dry_run_plan(folder: Path) -> dict:
    result = as_unprivileged(
        folder, "run", "ladder.win", "--dry-run", "--now", LATER, "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_state_is_read_by_dry_runs_and_refused_by_runs(shared_project, read_only):
    state = shared_project / "state.db"
    writable = dry_run_plan(shared_project)
    (state if read_only == "file" else shared_project).chmod(
        0o444 if read_only == "file" else 0o555
    )
    assert dry_run_plan(shared_project) == writable  # the same history, read
    report = as_unprivileged(shared_project, "report", "ladder.win", "--now", LATER)
    assert report.returncode == 0, report.stderr
    before = state.read_bytes()
    result = as_unprivileged(shared_project, "run", "ladder.win", "--now", LATER)
    assert result.returncode == 2, result.stderr
    expected = (
        f"the state database {state} is read-only"
        if read_only == "file"
        else f"the state database's folder {shared_project} is read-only"
    )
    assert result.stderr.startswith(f"winlang: {expected}, and a run writes the ledger")
    assert result.stdout == "" and state.read_bytes() == before


# ---- state URLs no command could use: refused at check time ------------------------------


@pytest.mark.parametrize(
    "state, problem",
    [
        ("not a url", "`not a url` is not a database URL"),
        ("duckdb:///state.duckdb", "the state database must be SQLite or PostgreSQL, not duckdb"),
        ("sqlite:///shop.db", "is the store's: winlang would create its tables among your"),
        ("sqlite:///./sub/../shop.db", "is the store's"),
    ],
)
def test_an_unusable_state_url_is_a_configuration_error(project, state, problem):
    (project / "winlang.toml").write_text(config_text(state), encoding="utf-8")
    (project / "sub").mkdir()
    store = (project / "shop.db").read_bytes()
    checked = invoke(project, "check", str(project / "ladder.win"))
    assert checked.exit_code == 1 and "error[E710]" in checked.stdout, checked.output
    assert problem in checked.stdout
    for name in COMMANDS:
        result = command(project, name)
        assert result.exit_code == 2 and "error[E710]" in result.stderr, result.output
    assert (project / "shop.db").read_bytes() == store  # no winlang table in the store
    assert not (project / "state.duckdb").exists()


def test_the_store_as_state_through_the_environment_is_refused_too(project):
    events = project / "events.jsonl"
    events.write_text("", encoding="utf-8")
    runner = CliRunner(env={"WINLANG_STATE_URL": f"sqlite:///{project / 'shop.db'}"})
    result = runner.invoke(cli, ["ingest", str(events), "--config", str(project / "winlang.toml")])
    assert result.exit_code == 2, result.output
    assert "is the store's" in result.stderr


def test_the_store_as_state_when_allowed_explicitly(project):
    extra = "allow_other_tables = true\n"
    (project / "winlang.toml").write_text(config_text("sqlite:///shop.db", extra), encoding="utf-8")
    assert invoke(project, "check", str(project / "ladder.win")).exit_code == 0
    result = command(project, "run")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(project / "shop.db") as connection:
        assert connection.execute("SELECT count(*) FROM messages").fetchone()[0] > 0


def test_a_postgresql_state_that_cant_be_reached_is_an_error_not_a_first_run(project):
    pytest.importorskip("psycopg")
    url = "postgresql+psycopg://winlang@127.0.0.1:9/state"  # nothing listens on port 9
    (project / "winlang.toml").write_text(config_text(url), encoding="utf-8")
    for name in ("dry run", "report", "explain"):
        result = command(project, name)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"winlang: the state database {url} can't be used: ")
