"""End to end: ``winlang run`` in a fresh process, as a marketer runs it, per store kind.

- *dry run*: ``winlang run ladder.win --dry-run`` (and ``winback.win``, the one-liner) on the
  SQLite, DuckDB and Parquet stores (engine ``auto``: SQL pushed down to SQLite and DuckDB,
  NumPy for Parquet), against a hand-written script that opens the same store and runs the
  hand-written query (decisions and audience count; for winback also with the matched
  customers' contact fields; no contact policies) in a fresh process too;
- *deliver*: a real run planning and sending ~100k e-mails to the outbox channel (one JSON
  line per message), a fresh state database each round.

Each child's peak RSS is read from ``wait4`` and recorded with its time: the memory curve.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pytest

from benchmarks import peers
from benchmarks.campaigns import NOW_TEXT
from benchmarks.data import stores

DELIVER_IDS = 131_000  # ~76% of customers have e-mail consent and an address: ~100k messages
DELIVER = f"""\
campaign "deliver-100k"
template mail email subject "Hi {{first_name|there}}"
  body "We have something for you, {{first_name|friend}}."
rule everyone: when id <= {DELIVER_IDS} then send email mail
"""


@pytest.fixture(scope="session", autouse=True)
def _bytecode(request) -> None:
    """Compile the installed packages' bytecode, as ``pip install`` does (``uv`` does not
    unless asked, and with PYTHONDONTWRITEBYTECODE set nothing caches it): otherwise every
    ``winlang`` process compiles SQLAlchemy, Lark, Click, ... from source, about a second."""
    option = request.config.getoption
    if option("benchmark_disable", False) and not option("benchmark_enable", False):
        return  # not timing: nothing to make representative
    compile_bytecode()


def compile_bytecode() -> None:
    """The bytecode of winlang and of the installed packages, written where Python reads it
    (a no-op where it is up to date)."""
    import compileall
    import sysconfig

    import winlang

    for folder in {sysconfig.get_paths()["purelib"], str(Path(winlang.__file__).parent)}:
        compileall.compile_dir(folder, quiet=2, workers=0)


@pytest.fixture(autouse=True)
def _no_open_stores(cache) -> None:
    """Close what the in-process benchmarks hold open: a child can't open a DuckDB file that
    this process has open."""
    cache.clear()


# Appended to every child's code: its peak RSS (the high-water mark of its own address
# space) written at exit. The kernel's rusage of a child started by this big process would
# count the parent's pages the child shared before its exec.
PEAK_RSS = """
import atexit as _atexit, os as _os


def _peak_rss():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(_os.environ["WINLANG_BENCH_PEAK"], "w") as out:
                    out.write(line.split()[1])


_atexit.register(_peak_rss)
"""


def winlang_command(*args: str) -> list[str]:
    code = PEAK_RSS + "import sys\nsys.argv[0] = 'winlang'\nfrom winlang.cli import main\nmain()\n"
    return [sys.executable, "-c", code, *args]


def python_command(script: str) -> list[str]:
    return [sys.executable, "-c", PEAK_RSS + script]


def run_child(command: list[str], cwd: Path) -> tuple[float, int, bytes]:
    """Run ``command`` in ``cwd``; its wall time in seconds, peak RSS in bytes and output."""
    with tempfile.TemporaryDirectory() as scratch:
        peak = Path(scratch) / "peak"
        started = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            env={**os.environ, "WINLANG_BENCH_PEAK": str(peak)},
            check=False,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace")[-2000:]
            raise AssertionError(f"{command[3:]} failed ({done.returncode}): {message}")
        rss = int(peak.read_text()) * 1024 if peak.exists() else 0
        return elapsed, rss, done.stdout


class Child:
    """Times a command in a child process, keeping the peak RSS of each run."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.command, self.cwd = command, cwd
        self.rss: list[int] = []
        self.output = b""

    def __call__(self) -> None:
        _, rss, self.output = run_child(self.command, self.cwd)
        self.rss.append(rss)


def _rounds(customers: int) -> int:
    """Timed rounds of a process (``WINLANG_BENCH_ROUNDS`` overrides: a loaded machine)."""
    given = os.environ.get("WINLANG_BENCH_ROUNDS")
    if given:
        return int(given)
    return 5 if customers <= 2_000_000 else 2


def _warmup(customers: int) -> int:
    return 1 if customers <= 2_000_000 else 0  # a 10M run takes a minute: the cache is warm


def test_dry_run(benchmark, customers: int, store: str, campaign: str) -> None:
    if store == "sqlite" and customers >= 10_000_000:
        pytest.skip("no SQLite store at 10M customers: writing it takes most of an hour")
    found = stores(customers, (store,))
    command = winlang_command(
        "run", f"{campaign}.win", "--dry-run", "--now", NOW_TEXT, "--format", "json"
    )
    child = Child(command, found.project(store))
    benchmark.pedantic(
        child, rounds=_rounds(customers), iterations=1, warmup_rounds=_warmup(customers)
    )
    report = orjson.loads(child.output)
    assert report["audience"] > 0
    benchmark.extra_info.update(
        scenario="dry run",
        campaign=campaign,
        store=store,
        system="winlang",
        matched=sum(rule["matched"] for rule in report["rules"]),
        engine=report["engine"],
        customers=customers,
        peak_rss=max(child.rss),
    )


# The dry runs: the ladder (SMS, policies, four event conditions) and the winback one-liner
# (an event anti-join, ~40% of customers matched), each store.
DRY_RUNS = ("ladder", "winback")
# The hand-written peers of a dry run: the decisions alone, and (winback) the decisions with
# each matched customer's contact fields, as a script that sends would need them.
HAND = (("ladder", False), ("winback", False), ("winback", True))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.function.__name__ == "test_dry_run":
        metafunc.parametrize("campaign", DRY_RUNS)
        metafunc.parametrize("store", ["parquet", "duckdb", "sqlite"])
    if metafunc.function.__name__ == "test_hand_query_process":
        labels = [f"{c}{'-contacts' if with_contacts else ''}" for c, with_contacts in HAND]
        metafunc.parametrize("campaign, contacts", HAND, ids=labels)
        metafunc.parametrize("store", ["duckdb", "sqlite"])


_HAND = {
    "sqlite": "import sqlite3\nconnection = sqlite3.connect({path!r})\n",
    "duckdb": "import duckdb\nconnection = duckdb.connect({path!r}, read_only=True)\n",
}


def test_hand_query_process(
    benchmark, customers: int, store: str, campaign: str, contacts: bool
) -> None:
    """The hand-written query of a dry run's campaign in a fresh Python process: what a
    script doing the same selection would cost end to end (its decisions, with the matched
    customers' contact fields for ``contacts``, without any contact policy)."""
    if store == "sqlite" and customers >= 10_000_000:
        pytest.skip("no SQLite store at 10M customers: writing it takes most of an hour")
    found = stores(customers, (store,))
    if campaign == "ladder":
        decisions, audience = peers.sql_ladder(store)
    else:
        decisions, audience = peers.sql_winback(store, contacts)
    script = _HAND[store].format(path=str(found.store(store))) + (
        "cursor = connection.cursor()\n"
        f"rows = cursor.execute({decisions!r}).fetchall()\n"
        f"count = cursor.execute({audience!r}).fetchall()[0][0]\n"
        "print(count, len(rows))\n"
    )
    child = Child(python_command(script), found.folder)
    benchmark.pedantic(
        child, rounds=_rounds(customers), iterations=1, warmup_rounds=_warmup(customers)
    )
    count, matched = map(int, child.output.split())
    assert count > 0 and matched > 0
    benchmark.extra_info.update(
        scenario="dry run",
        campaign=campaign,
        store=store,
        system="hand-written SQL, with contact fields" if contacts else "hand-written SQL",
        matched=matched,
        customers=customers,
        peak_rss=max(child.rss),
    )


_EVALUATE = """
import sys
from pathlib import Path
from winlang.evaluate import evaluate_campaign, parse_now
from winlang.project import check_file, open_project
folder = Path.cwd()
project = open_project(folder / "winlang.toml", search=False)
checked = check_file(folder / "ladder.win", project).checked
with open("/proc/self/status", encoding="ascii") as status:  # before reading any data
    baseline = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
decided = evaluate_campaign(checked, project.store(), parse_now(sys.argv[1]), "numpy").decisions
print(decided.audience, len(decided.ids), baseline * 1024)
"""


def referenced_bytes(folder: Path, customers: int) -> int:
    """What the ladder's evaluation has to hold at least: the columns it reads, in the form
    the Parquet source reads them (text as dictionaries), plus one per-customer array per
    event aggregate (1 byte for ``exists``, 8 for counts, sums and times)."""
    import pyarrow.parquet as pq

    from benchmarks.test_bench_engine import plan_for
    from winlang.plan import ir

    plan, _ = plan_for(folder, "ladder")
    nodes = list(ir.walk(*plan.roots()))
    names = sorted({n.name for n in nodes if isinstance(n, ir.Column)} | {"id"})
    path = stores(customers, ("parquet",)).store("parquet") / "customers.parquet"
    text = [f.name for f in pq.read_schema(path) if f.type == "string" and f.name in names]
    table = pq.read_table(path, columns=names, read_dictionary=text)
    aggregates = {n for n in nodes if isinstance(n, ir.EventAggregate)}
    per_customer = sum(1 if a.function == "exists" else 8 for a in aggregates)
    return table.nbytes + per_customer * customers


def test_evaluate_process(benchmark, customers: int) -> None:
    """The evaluation alone (open, check, decide with the NumPy engine from Parquet: no
    contact policies) in a fresh process: the engine's own time and memory curve, with the
    bound it is held to (2 × the referenced columns plus the event aggregates)."""
    found = stores(customers, ("parquet",))
    child = Child(python_command(_EVALUATE + "\n"), found.project("parquet"))
    child.command.append(NOW_TEXT)
    benchmark.pedantic(
        child, rounds=_rounds(customers), iterations=1, warmup_rounds=_warmup(customers)
    )
    audience, matched, baseline = map(int, child.output.split())
    assert audience > 0 and matched > 0
    benchmark.extra_info.update(
        scenario="evaluate (process)",
        baseline_rss=baseline,
        campaign="ladder",
        store="parquet",
        system="winlang",
        engine="numpy",
        customers=customers,
        peak_rss=max(child.rss),
        referenced_bytes=referenced_bytes(found.project("parquet"), customers),
    )


def test_deliver_to_outbox(benchmark, tmp_path: Path, customers: int) -> None:
    """A real run (no ``--dry-run``): plan, write the ledger and send ~100k messages to the
    outbox channel, on the Parquet store."""
    if customers < DELIVER_IDS:
        pytest.skip(f"needs {DELIVER_IDS:,} customers for ~100k messages")
    found = stores(customers, ("parquet",))
    project = tmp_path / "deliver"

    def fresh() -> None:  # a new state and outbox each round: nothing has fired yet
        shutil.rmtree(project, ignore_errors=True)
        shutil.copytree(found.project("parquet"), project)
        (project / "state.db").unlink(missing_ok=True)
        toml = (project / "winlang.toml").read_text(encoding="utf-8")
        state = f'url = "sqlite:///{project / "state.db"}"'
        toml = "\n".join(
            state if line.startswith("url = ") and "state.db" in line else line
            for line in toml.splitlines()
        )
        (project / "winlang.toml").write_text(toml + "\n", encoding="utf-8")
        (project / "deliver.win").write_text(DELIVER, encoding="utf-8")

    command = winlang_command("run", "deliver.win", "--now", NOW_TEXT, "--format", "json")
    child = Child(command, project)
    benchmark.pedantic(child, setup=fresh, rounds=3 if customers <= 2_000_000 else 1, iterations=1)
    report = orjson.loads(child.output)
    sent = report["rules"][0]["sent"]
    lines = sum(1 for _ in (project / "outbox" / "email.jsonl").open("rb"))
    assert sent == lines and sent > 90_000, (sent, lines)
    benchmark.extra_info.update(
        scenario="deliver to outbox",
        campaign="deliver-100k",
        store="parquet",
        system="winlang",
        customers=customers,
        messages=sent,
        peak_rss=max(child.rss),
    )
