"""The benchmark suite runs: ``pytest benchmarks`` at 1,000 customers with timing off, in a
scratch folder, every peer checked against winlang's decisions on the way; then the report
(table and chart) from made-up results.

Skipped when the ``bench`` extra (rule-engine, Polars, matplotlib) is not installed. The
slowest benchmarks (winlang's own dry runs, a few seconds each for the interpreter to start,
and the separate parse and check timings) are left to the real runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MISSING = [
    name
    for name in ("rule_engine", "polars", "matplotlib", "duckdb", "pytest_benchmark")
    if __import__("importlib.util").util.find_spec(name) is None
]
pytestmark = pytest.mark.skipif(
    bool(MISSING),
    reason=f"the bench extra is not installed (missing {', '.join(MISSING)}): "
    "pip install -e '.[bench]'",
)


def test_the_benchmark_suite_runs_at_a_tiny_size(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "benchmarks",
            "--sizes",
            "1k",
            "--benchmark-disable",
            "--results",
            str(tmp_path / "results"),
            "-k",
            "not test_dry_run and not 1000_rules",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env={**os.environ, "WINLANG_BENCH_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " failed" not in done.stdout


def test_the_report_has_a_table_and_a_chart(tmp_path: Path) -> None:
    from benchmarks.report import write_report

    records = [
        {
            "scenario": "evaluate in memory",
            "campaign": "ladder",
            "store": "memory",
            "system": system,
            "customers": customers,
            "median": seconds * customers / 1000,
            "peak_rss": None,
        }
        for customers in (1_000, 10_000)
        for system, seconds in (("winlang", 0.001), ("numpy", 0.002))
    ] + [
        {
            "scenario": "dry run",
            "campaign": "ladder",
            "store": "parquet",
            "system": "winlang",
            "engine": "numpy",
            "customers": 1_000,
            "median": 0.5,
            "peak_rss": 150 * 2**20,
        }
    ]
    written = write_report(records, tmp_path)
    table = (tmp_path / "table.md").read_text(encoding="utf-8")
    assert "| evaluate in memory | ladder | memory | 10k | numpy | 20.0 ms | 2.00 |  |" in table
    assert "winlang (numpy engine)" in table and "150 MiB" in table
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert len(written) == 3
