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


def imported(body: str, cwd: Path) -> tuple[list[str], int]:
    script = DRIVER.format(heavy=HEAVY, body=body)
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


def test_the_driver_sees_a_heavy_import(tmp_path):
    """The check above can fail: a command that reads a store does load them."""
    found, _ = imported("import winlang.cli\n    import winlang.sources.files", tmp_path)
    assert "pyarrow" in found


# ---- a dry run: what it does not use, it does not import ------------------------------------

# A stand-in pandas, first on the path: importing it leaves a mark (then fails, as a missing
# pandas does), so the tests see an import whether or not the real pandas is installed.
STAND_IN_PANDAS = """
import os
open(os.environ["PANDAS_MARK"], "w").close()
raise ImportError("the stand-in pandas of tests/test_startup.py")
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A small SQLite project (``winlang demo``), with the stand-in pandas beside it."""
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
    (folder / "stand-in" / "pandas").mkdir(parents=True)
    (folder / "stand-in" / "pandas" / "__init__.py").write_text(STAND_IN_PANDAS)
    return folder / "demo"


def loaded(body: str, demo: Path, watched: tuple[str, ...]) -> tuple[list[str], bool]:
    """``body`` run in a fresh interpreter in ``demo``: the modules of ``watched`` it
    imported, and whether it imported pandas."""
    mark = demo / "pandas-imported"
    mark.unlink(missing_ok=True)
    script = DRIVER.format(heavy=watched, body=body)
    path = os.pathsep.join([str(demo.parent / "stand-in"), str(REPO)])
    env = {**os.environ, "PYTHONPATH": path, "PANDAS_MARK": str(mark)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=demo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("IMPORTED "))
    names, code = json.loads(line.removeprefix("IMPORTED "))
    assert code == 0, done.stdout
    return names, mark.exists()


def test_a_dry_run_from_sqlite_imports_neither_pandas_nor_duckdb_nor_alembic(demo):
    """PyArrow looks for pandas as it builds arrays (winlang.pyarrow_pandas); the DuckDB
    dialect and the state's migrations are for other stores and for real runs."""
    run = cli("run", "ladder.win", "--dry-run", "--now", "2026-11-22T10:00:00Z")
    found, pandas = loaded(run, demo, ("duckdb", "alembic", "sqlalchemy.orm", "pyarrow"))
    assert found == ["pyarrow"]  # the run did build arrays
    assert not pandas


def test_pyarrow_looks_for_pandas_when_not_asked_by_winlang(demo):
    """The checks above can fail: PyArrow called by someone else imports pandas."""
    body = "import winlang, pyarrow\n    pyarrow.array([1, 2])"
    assert loaded(body, demo, ("pyarrow",)) == (["pyarrow"], True)


# Run in a fresh interpreter: winlang builds arrays (PyArrow's look for pandas refused), then
# other code imports pandas and hands PyArrow pandas objects.
PANDAS_AFTER_WINLANG = """
import sys
from winlang.backends.sql.backend import to_arrow
to_arrow([1.0, None], "number", None)
assert "pandas" not in sys.modules
import pandas as pd
import pyarrow as pa
assert pd.__loader__ is pd.__spec__.loader and "winlang" not in type(pd.__loader__).__module__
assert pa.array(pd.Series([1.0, None])).to_pylist() == [1.0, None]  # NaN as null: pandas'
assert pa.types.is_dictionary(pa.array(pd.Series(pd.Categorical(["a", "b"]))).type)
assert pa.table({"x": [1.0, None]}).to_pandas()["x"].isna().tolist() == [False, True]
print("PANDAS OK")
"""


def test_pandas_works_for_others_after_winlang_built_arrays(tmp_path):
    """Once winlang's arrays were built without pandas, pandas imported by other code (a
    plugin, PySpark) works with PyArrow as it would without winlang: its objects are
    recognised (a Series' NaN is null, a Categorical is a dictionary)."""
    pytest.importorskip("pandas")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", PANDAS_AFTER_WINLANG],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "PANDAS OK" in done.stdout


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
