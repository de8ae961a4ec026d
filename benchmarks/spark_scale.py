"""Spark local mode against DuckDB and the NumPy engine, on this machine (docs/scale.md).

    .venv/bin/python -m benchmarks.spark_scale 1M [10M] [--master local[2]] [--runs 3]
        [--driver-memory 4g]

For each size: the benchmark stores of :mod:`benchmarks.data` (DuckDB and the Parquet folder,
written once), then each campaign of :mod:`benchmarks.campaigns` decided ``--runs`` times by
``evaluate_campaign`` — DuckDB (SQL pushed down), the NumPy engine over the Parquet folder,
and Spark (``spark:///`` over the same folder, SQL pushed down) — the best warm run printed as
a Markdown row. Spark's session start is timed once, apart: a scheduled job pays it per run,
a long-lived driver (``winlang schedule``) once.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.campaigns import CAMPAIGNS
from benchmarks.data import parse_size, stores

ENGINES = ("duckdb", "numpy", "spark")


def _config(folder: Path, url: str, master: str, driver_memory: str) -> Path:
    """A project for the Spark store: the DuckDB project's config with the URL, the master and
    the driver's memory (local mode runs everything in the driver; its default 1 GiB is too
    small for 10M customers)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (folder.parent / "project-duckdb" / "winlang.toml").read_text(encoding="utf-8")
    start = text.index("url = ")
    end = text.index("\n", start)
    text = f'{text[:start]}url = "{url}"\nmaster = "{master}"{text[end:]}'
    text = text.replace("project-duckdb", folder.name)
    text += f'\n[store.spark]\n"spark.driver.memory" = "{driver_memory}"\n'
    path = folder / "winlang.toml"
    path.write_text(text, encoding="utf-8")
    for name, campaign in CAMPAIGNS.items():
        (folder / f"{name}.win").write_text(campaign, encoding="utf-8")
    return path


def measure(size: int, master: str, runs: int, driver_memory: str) -> list[str]:
    from winlang.evaluate import evaluate_campaign, open_store, parse_now
    from winlang.project import check_file, open_project

    found = stores(size, ("duckdb", "parquet"), quiet=True)
    configs = {
        "duckdb": found.project("duckdb") / "winlang.toml",
        "numpy": found.project("parquet") / "winlang.toml",
        "spark": _config(
            found.folder / "project-spark",
            f"spark://{found.store('parquet')}",
            master,
            driver_memory,
        ),
    }
    engines = {"duckdb": "sql", "numpy": "numpy", "spark": "sql"}
    now = parse_now("2026-11-22T10:00:00Z")
    rows = []
    for name in CAMPAIGNS:
        seconds = {}
        for engine in ENGINES:
            project = open_project(configs[engine])
            checked = check_file(configs[engine].parent / f"{name}.win", project).checked
            source = open_store(project.config)
            if engine == "spark":
                started = time.perf_counter()
                source.sql_engine()
                print(f"spark session ({master}) started in {time.perf_counter() - started:.1f} s")
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                evaluate_campaign(checked, source, now, engines[engine])
                times.append(time.perf_counter() - started)
            seconds[engine] = min(times)
            print(f"{size:,} {name} {engine}: {', '.join(f'{t:.2f}' for t in times)} s")
        rows.append(
            f"| {size:,} | {name} | "
            + " | ".join(f"{seconds[e]:.2f} s" for e in ENGINES)
            + f" | {seconds['spark'] / seconds['duckdb']:.1f}× |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=parse_size)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--driver-memory", default="4g", help="spark.driver.memory")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        rows += measure(size, args.master, args.runs, args.driver_memory)
    print("\n| customers | campaign | DuckDB | NumPy | Spark local | Spark / DuckDB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
