"""The benchmark suite's options, sizes, shared data and the report written at the end.

    .venv/bin/pytest benchmarks --benchmark-enable                       # 100k and 1M
    .venv/bin/pytest benchmarks --benchmark-enable --sizes 100k,1M,10M   # and 10M (slow)
    .venv/bin/pytest benchmarks --benchmark-enable --targets             # what targets.md reads

Every benchmark records what it measured in ``benchmark.extra_info`` (scenario, campaign,
store, system, customers and, for runs in a child process, its peak RSS); at the end of the
session :mod:`benchmarks.report` turns them into ``benchmarks/results/`` (``results.json``,
``table.md``, ``chart.png``, and ``targets.md``: :mod:`benchmarks.targets`). Without
``--benchmark-enable`` (the project's default) each benchmark runs once as a plain test and no
report is written.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.data import parse_size

DEFAULT_SIZES = "100k,1M"
SLOW_SIZE = 10_000_000  # sizes from here on are marked slow


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("winlang benchmarks")
    group.addoption(
        "--sizes",
        default=None,
        help=f"customer counts to run at, e.g. 100k,1M,10M (default {DEFAULT_SIZES}; with "
        "--targets, the sizes the targets name)",
    )
    group.addoption(
        "--targets",
        action="store_true",
        help="run only the benchmarks the targets table reads (benchmarks/targets.py)",
    )
    group.addoption(
        "--rule-engine-max",
        default="100k",
        help="largest size rule-engine runs on in full; above it, on a 100k sample, scaled",
    )
    group.addoption(
        "--results",
        default=str(Path(__file__).parent / "results"),
        help="where the report goes (results.json, table.md, chart.png)",
    )


def sizes(config: pytest.Config) -> list[int]:
    given = config.getoption("--sizes")
    if given is None and config.getoption("--targets"):
        from benchmarks.targets import target_sizes

        return target_sizes()
    return [parse_size(s) for s in (given or DEFAULT_SIZES).split(",") if s.strip()]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "customers" in metafunc.fixturenames:
        metafunc.parametrize(
            "customers",
            [
                pytest.param(n, id=_label(n), marks=[pytest.mark.slow] if n >= SLOW_SIZE else [])
                for n in sizes(metafunc.config)
            ],
            scope="function",
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--targets``, only what the targets read; smallest size first, so one size's data
    is loaded once and freed before the next."""
    if config.getoption("--targets"):
        from benchmarks.targets import selected

        run_sizes = sizes(config)
        kept, dropped = [], []
        for item in items:
            spec = getattr(item, "callspec", None)
            params = spec.params if spec is not None else {}
            name = getattr(item, "originalname", item.name)
            (kept if selected(name, params, run_sizes) else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def size(item: pytest.Item) -> int:
        spec = getattr(item, "callspec", None)
        return spec.params.get("customers", 0) if spec is not None else 0

    items.sort(key=size)  # stable: file order within a size


def _label(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


class OneSize:
    """Values built for one size at a time: asking for another size drops the last one's
    (a million customers' tables in four systems' forms take gigabytes)."""

    def __init__(self) -> None:
        self._size: int | None = None
        self._values: dict[str, object] = {}
        self._closers: list[Callable[[], None]] = []

    def get(self, customers: int, key: str, build: Callable[[], object]) -> object:
        if customers != self._size:
            self.clear()
            self._size = customers
        if key not in self._values:
            self._values[key] = build()
        return self._values[key]

    def on_clear(self, close: Callable[[], None]) -> None:
        """Call ``close`` when the values are dropped (open database files, for one: a
        DuckDB file open here can't be opened by a child process)."""
        self._closers.append(close)

    def clear(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()
        self._values.clear()
        self._size = None
        gc.collect()


@pytest.fixture(scope="session")
def cache() -> OneSize:
    return OneSize()


def pytest_sessionfinish(session: pytest.Session) -> None:
    bench = getattr(session.config, "_benchmarksession", None)
    if bench is None or bench.disabled or not bench.benchmarks:
        return
    from benchmarks.report import write_report

    records = []
    for metadata in bench.benchmarks:
        stats = getattr(metadata, "stats", None)
        if stats is None or not metadata.extra_info.get("scenario"):
            continue
        records.append(
            {
                **metadata.extra_info,
                "median": stats.median,
                "min": stats.min,
                "rounds": stats.rounds,
            }
        )
    if records:
        folder = Path(session.config.getoption("--results"))
        written = write_report(records, folder)
        from benchmarks.targets import write_targets

        written.append(write_targets(records, folder))
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"benchmark report: {', '.join(str(p) for p in written)}")
