"""Start-up: the command line imports only what a command uses.

``winlang --version``, ``import winlang.cli`` and an offline ``winlang check`` (a schema
file, no store) must leave SQLAlchemy, PyArrow, NumPy and DuckDB unimported: they cost most
of a second, and CI checks campaigns on every push. Each case runs in a fresh interpreter
and reports ``sys.modules`` as it exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("sqlalchemy", "pyarrow", "numpy", "duckdb")

# Runs the command line in-process, then prints which heavy modules got imported.
DRIVER = """
import json, sys
heavy = {heavy!r}
try:
    {body}
except SystemExit as end:
    code = end.code or 0
else:
    code = 0
print("IMPORTED", json.dumps([sorted(m for m in heavy if m in sys.modules), code]))
"""


def imported(body: str, cwd: Path, watched: tuple[str, ...] = HEAVY) -> tuple[list[str], int]:
    """``body`` run in a fresh interpreter in ``cwd``: the modules of ``watched`` it imported,
    and its exit code."""
    script = DRIVER.format(heavy=watched, body=body)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("IMPORTED "))
    names, code = json.loads(line.removeprefix("IMPORTED "))
    return names, code


def cli(*args: str) -> str:
    return f"sys.argv = ['winlang', *{list(args)!r}]\n    from winlang.cli import main\n    main()"


@pytest.fixture
def project(tmp_path):
    """A project whose store does not exist: checked against a schema file only."""
    (tmp_path / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///nowhere/shop.db"\nschema = "schema.json"\n\n'
        '[channels.sms]\nplugin = "outbox"\naddress = "phone"\nconsent = "consent_sms"\n'
        'path = "outbox/sms.jsonl"\n\n'
        '[fields]\ndays_since_purchase = "days_since(last_purchase_at)"\n'
    )
    (tmp_path / "schema.json").write_text((REPO / "campaigns" / "schema.json").read_text())
    (tmp_path / "winback.win").write_text((REPO / "campaigns" / "one-liner.win").read_text())
    return tmp_path


def test_importing_the_command_line_loads_no_heavy_module(tmp_path):
    assert imported("import winlang.cli", tmp_path) == ([], 0)


def test_version_loads_no_heavy_module(tmp_path):
    assert imported(cli("--version"), tmp_path) == ([], 0)


def test_offline_check_loads_no_heavy_module(project):
    found, code = imported(cli("check", "--schema", "schema.json", "winback.win"), project)
    assert (found, code) == ([], 0)


# What a clean check of a project without installed plugins does not need: the plugin scan
# of every installed distribution (importlib.metadata, which loads email and csv), hints
# for mistakes (difflib), time zones nobody set, importlib.resources to find the grammar, and
# the table of typical syntax mistakes.
UNUSED_BY_CHECK = (
    "importlib.metadata",
    "email",
    "csv",
    "difflib",
    "zoneinfo",
    "importlib.resources",
    "winlang.parse.errors",  # the messages for syntax errors
)


def test_offline_check_loads_only_what_it_uses(project):
    from winlang.plugins import ENTRY_POINT_GROUP, _may_declare

    unused = UNUSED_BY_CHECK
    if _may_declare(ENTRY_POINT_GROUP):  # a winlang plugin is installed here: it is read
        unused = tuple(m for m in unused if m not in ("importlib.metadata", "email", "csv"))
    body = cli("check", "--schema", "schema.json", "winback.win")
    assert loaded(body, project, unused) == []
    assert loaded(body, project, ("pluggy", "lark")) == ["lark", "pluggy"]  # it can fail


def test_offline_check_loads_babel_only_for_a_locale_written(project):
    """Babel (CLDR data) checks locales; the default ``en`` needs no check."""
    body = cli("check", "--schema", "schema.json", "winback.win")
    assert _babel_loaded(body, project) is False
    (project / "winlang.toml").write_text(
        (project / "winlang.toml").read_text() + '\n[defaults]\nlocale = "ko_KR"\n'
    )
    assert _babel_loaded(body, project) is True


def _babel_loaded(body: str, cwd: Path) -> bool:
    script = f"import sys\ntry:\n    {body}\nexcept SystemExit:\n    pass\n"
    script += "print('BABEL', 'babel' in sys.modules)\n"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1] == "BABEL True"


def test_the_driver_sees_a_heavy_import(tmp_path):
    """The check above can fail: a command that reads a store does load them."""
    found, _ = imported("import winlang.cli\n    import winlang.sources.files", tmp_path)
    assert "pyarrow" in found


# ---- a dry run: what it does not use, it does not import ------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A small SQLite project (``winlang demo``)."""
    folder = tmp_path_factory.mktemp("dry-run")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "winlang",
            "demo",
            "--customers",
            "300",
            "--dir",
            "demo",
            "--dry-run",
        ],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return folder / "demo"


def loaded(body: str, demo: Path, watched: tuple[str, ...]) -> list[str]:
    """``body`` run in a fresh interpreter in ``demo``, which must succeed: the modules of
    ``watched`` it imported."""
    names, code = imported(body, demo, watched)
    assert code == 0, names
    return names


def test_a_dry_run_from_sqlite_imports_neither_duckdb_nor_alembic(demo):
    """The DuckDB dialect and the state's migrations are for other stores and for real runs,
    the NumPy backend's evaluator for stores that are files."""
    run = cli("run", "ladder.win", "--dry-run", "--now", "2026-11-22T10:00:00Z")
    evaluator = "winlang.backends.numpy.evaluate"
    found = loaded(run, demo, ("duckdb", "alembic", "sqlalchemy.orm", evaluator, "pyarrow"))
    assert found == ["pyarrow"]  # the run did import what it uses: the check can fail


# ---- the tables that load modules by name --------------------------------------------------


def test_every_lazy_command_is_the_command_of_its_name():
    import click

    from winlang.cli import COMMANDS, cli

    context = click.Context(cli)
    for name in COMMANDS:
        assert cli.get_command(context, name).name == name
    assert cli.list_commands(context) == sorted(COMMANDS)


def test_file_schemes_are_the_formats_the_file_source_reads():
    from winlang.sources import builtin, files

    assert builtin.FILE_SCHEMES == files.FORMATS


def test_every_builtin_channel_module_names_a_channel_class():
    import importlib

    from winlang.channels.builtin import FACTORIES

    for target in FACTORIES.values():
        module, attribute = target.split(":")
        found = getattr(importlib.import_module(f"winlang.channels.{module}"), attribute)
        assert callable(found.from_settings)
