"""How winlang opens a DuckDB store: read-only, with the memory limit, spill folder and
threads of ``[store.duckdb]`` or the documented defaults (docs/engine.md, "How winlang opens
a DuckDB store"); two processes read one store at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.sources.support import write_stores
from winlang.config import load_config
from winlang.demo import generate
from winlang.evaluate import open_store
from winlang.sources import open_source
from winlang.sources.duckdb_settings import MIB, default_temp_directory, memory_limit

DOC = (Path(__file__).parents[2] / "docs" / "engine.md").read_text(encoding="utf-8")
SECTION = DOC.split("### How winlang opens a DuckDB store\n", 1)[1].split("\n#", 1)[0]
DRY_RUN = ("--now", "2026-11-22T10:00:00Z", "--format", "json")
CAMPAIGN = 'campaign "big spenders"\nrule big: when lifetime_value > 100 then add to list "big"\n'


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("duckdb-settings")
    write_stores(generate(200, seed=7), folder)
    return folder / "shop.duckdb"


def _settings(source) -> dict[str, object]:
    """The connection's own view of the settings winlang chose (the store closed after:
    DuckDB refuses a second configuration of one file within a process)."""
    engine = source.sql_engine()
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
                "current_setting('threads'), current_setting('access_mode')"
            ).one()
    finally:
        engine.dispose()
    return dict(zip(("memory_limit", "temp_directory", "threads", "access_mode"), row, strict=True))


def _shown(limit: str) -> str:
    """A memory limit as DuckDB shows it (``1.0 GiB``)."""
    with duckdb.connect(config={"memory_limit": limit}) as db:
        return db.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def _config(folder: Path, text: str):
    (folder / "winlang.toml").write_text(text, encoding="utf-8")
    return load_config(folder / "winlang.toml")


def test_by_default_the_store_is_read_only_with_a_limit_and_a_spill_folder_of_its_own(store):
    found = _settings(open_source(f"duckdb:///{store}"))
    assert found["access_mode"] == "read_only"
    assert found["memory_limit"] == _shown(memory_limit())
    assert found["temp_directory"] == str(default_temp_directory())
    assert str(os.getpid()) in found["temp_directory"]
    assert (
        int(found["threads"])
        == duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    )  # DuckDB's own default


def test_the_default_limit_is_a_quarter_of_the_memory_at_most_1_gib():
    assert memory_limit(available=1024 * MIB) == "256MiB"
    assert memory_limit(available=3 * 1024 * MIB) == "768MiB"
    assert memory_limit(available=64 * 1024 * MIB) == "1024MiB"
    assert memory_limit(available=100 * MIB) == "128MiB"  # DuckDB's least workable
    assert memory_limit("40%", available=10 * 1024 * MIB) == "4096MiB"
    assert memory_limit("3GB") == "3GB"


def test_the_documented_settings_reach_the_connection(store, tmp_path):
    (example,) = re.findall(r"```toml\n(.*?)```", SECTION, re.S)
    config, diagnostics = _config(tmp_path, example.replace("shop.duckdb", str(store)))
    assert diagnostics == ()
    found = _settings(open_store(config))
    assert found["memory_limit"] == _shown("4GB")
    assert found["temp_directory"] == str(tmp_path / "spill")  # beside winlang.toml
    assert found["threads"] == 2
    assert found["access_mode"] == "read_only"


def test_a_percentage_is_of_the_machines_memory(store, tmp_path):
    config, diagnostics = _config(
        tmp_path, f'[store]\nurl = "duckdb:///{store}"\n[store.duckdb]\nmemory_limit = "10%"\n'
    )
    assert diagnostics == ()
    assert _settings(open_store(config))["memory_limit"] == _shown(memory_limit("10%"))


def test_settings_in_the_url_win(store, tmp_path):
    config, _ = _config(
        tmp_path,
        f'[store]\nurl = "duckdb:///{store}?memory_limit=300MB&access_mode=read_write"\n'
        '[store.duckdb]\nmemory_limit = "4GB"\n',
    )
    found = _settings(open_store(config))
    assert found["memory_limit"] == _shown("300MB")
    assert found["access_mode"] == "read_write"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('memory_limit = "lots"', 'must be a size such as "2GB", "512MiB" or "40%"'),
        ('memory_limit = "150%"', 'must be a size such as "2GB", "512MiB" or "40%"'),
        ("threads = 0", "`threads` must be a whole number of at least 1"),
        ('spill = "/tmp"', "unknown key `spill` in [store.duckdb]"),
    ],
)
def test_a_wrong_setting_is_a_diagnostic_on_its_line(line, message, tmp_path):
    _, diagnostics = _config(
        tmp_path, f'[store]\nurl = "duckdb:///shop.duckdb"\n\n[store.duckdb]\n{line}\n'
    )
    (found,) = diagnostics
    assert message in found.message
    assert found.line == 5


_HOLDER = """
import sys
from winlang.sources import open_source
source = open_source(sys.argv[1])
print(sum(b.num_rows for b in source.customer_batches(["tier"], 64)), flush=True)
sys.stdin.readline()  # the store stays open (pooled) until the test says so
"""


def test_two_processes_read_one_store_at_once(store, tmp_path):
    """A process holding the store open (a scheduler, a benchmark) doesn't lock a dry run
    out: both open the file read-only."""
    (tmp_path / "winlang.toml").write_text(
        f'[store]\nurl = "duckdb:///{store}"\n[state]\nurl = "sqlite:///{tmp_path}/state.db"\n'
    )
    (tmp_path / "big.win").write_text(CAMPAIGN)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, f"duckdb:///{store}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "200"  # it holds the store open now
        run = subprocess.run(
            [sys.executable, "-m", "winlang", "run", "big.win", "--dry-run", *DRY_RUN],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "WINLANG_STORE_URL": "", "WINLANG_STATE_URL": ""},
        )
        assert run.returncode == 0, run.stderr
        assert '"campaign": "big spenders"' in run.stdout
    finally:
        holder.communicate("done\n")
    assert holder.returncode == 0
