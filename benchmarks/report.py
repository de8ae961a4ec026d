"""The benchmark report: a Markdown table of medians and ratios, and a chart of time and memory
against the number of customers.

Written by the suite at the end of a ``--benchmark-enable`` session (see ``conftest.py``);
also runnable on a saved ``results.json``::

    .venv/bin/python -m benchmarks.report benchmarks/results/results.json   # and targets.md

The ratio of a row is its median divided by winlang's median in the same group (scenario,
campaign, store, customers): above 1, winlang is faster.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import orjson

SCENARIOS = (
    "parse and check",
    "start-up",
    "evaluate in memory",
    "evaluate SQL",
    "evaluate (process)",
    "dry run",
    "deliver to outbox",
)
KEY = ("scenario", "campaign", "store", "customers")


def seconds(record: dict) -> float:
    """The record's median, scaled to all customers for a sampled run."""
    return record["median"] * record.get("scale", 1.0)


def groups(records: Iterable[dict]) -> dict[tuple, list[dict]]:
    found: dict[tuple, list[dict]] = defaultdict(list)
    for record in records:
        found[tuple(record.get(k) for k in KEY)].append(record)
    return found


def _order(key: tuple) -> tuple:
    scenario, campaign, store, customers = key
    rank = SCENARIOS.index(scenario) if scenario in SCENARIOS else len(SCENARIOS)
    return (rank, campaign or "", store or "", customers or 0)


def _system_order(record: dict) -> tuple:
    return (record["system"] != "winlang", seconds(record))


def human_time(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.001:
        return f"{value * 1000:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def human_size(count: int | None) -> str:
    if not count:
        return ""
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count >= 1_000 and count % 1_000 == 0:
        return f"{count // 1_000}k"
    return f"{count:,}"


def human_bytes(count: int | None) -> str:
    return f"{count / 2**20:,.0f} MiB" if count else ""


def table(records: list[dict]) -> str:
    """The Markdown table, one row per (group, system), winlang first in each group."""
    lines = [
        "| scenario | campaign | store | customers | system | median | ÷ winlang | peak RSS |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, found in sorted(groups(records).items(), key=lambda item: _order(item[0])):
        scenario, campaign, store, customers = key
        ours = next((r for r in found if r["system"] == "winlang"), None)
        for record in sorted(found, key=_system_order):
            ratio = f"{seconds(record) / seconds(ours):.2f}" if ours else ""
            system = record["system"]
            if record.get("engine"):
                system += f" ({record['engine']} engine)"
            lines.append(
                f"| {scenario} | {campaign or ''} | {store or ''} | {human_size(customers)} "
                f"| {system} | {human_time(seconds(record))} | {ratio} "
                f"| {human_bytes(record.get('peak_rss'))} |"
            )
    return "\n".join(lines) + "\n"


PANELS = (
    ("evaluation (data in each system's own form)", ("evaluate in memory", "evaluate SQL")),
    ("a fresh process: winlang run, the engine alone, a script", None),
)


def chart(records: list[dict], path: Path) -> Path:
    """Median time of the evaluations (left) and of whole processes (middle), and the peak
    RSS of the processes (right), against customers, log-log; winlang solid, peers dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        if record.get("customers") and record["scenario"] != "parse and check":
            series[_label(record)].append(record)
    figure, axes = plt.subplots(1, 3, figsize=(19, 7))
    colors = plt.get_cmap("tab20").colors
    for number, (label, points) in enumerate(sorted(series.items())):
        points.sort(key=lambda r: r["customers"])
        style = dict(
            linestyle="-" if points[0]["system"] == "winlang" else "--",
            marker="o",
            color=colors[number % len(colors)],
            label=label,
        )
        evaluation = points[0]["scenario"] in PANELS[0][1]
        axis = axes[0] if evaluation else axes[1]
        axis.plot([r["customers"] for r in points], [seconds(r) for r in points], **style)
        memory = [r for r in points if r.get("peak_rss")]
        if memory:
            axes[2].plot(
                [r["customers"] for r in memory], [r["peak_rss"] / 2**20 for r in memory], **style
            )
    bounds = sorted(
        (r["customers"], (2 * r["referenced_bytes"] + r.get("baseline_rss", 0)) / 2**20)
        for r in records
        if r.get("referenced_bytes")
    )
    dry_runs = [r for r in records if r["scenario"] == "dry run" and r.get("peak_rss")]
    if dry_runs:  # issue 12's goal for a whole dry run at 10M customers
        axes[2].axhline(
            2048, linestyle=":", color="tab:red", label="target: a whole dry run within 2 GiB"
        )
    if bounds:
        axes[2].plot(
            [b[0] for b in bounds],
            [b[1] for b in bounds],
            ":",
            color="black",
            label="bound: interpreter + 2 × (referenced columns + event aggregates)",
        )
    titles = (PANELS[0][0], PANELS[1][0], "peak RSS of the processes")
    for axis, title, unit in zip(axes, titles, ("seconds", "seconds", "MiB"), strict=True):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("customers (about ten events each)")
        axis.set_ylabel(unit)
        axis.set_title(title, fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=6.5, loc="upper left")
    figure.suptitle(f"winlang benchmarks ({platform.machine()}, {_cores()} cores)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _label(record: dict) -> str:
    label = f"{record['scenario']}: {record['campaign']}"
    if record.get("store") and record["store"] != "memory":
        label += f" · {record['store']}"
    return f"{label} · {record['system']}"


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def machine() -> dict:
    import os
    import sqlite3

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": _cores(),
        "sqlite": sqlite3.sqlite_version,
        "load": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    for module in ("numpy", "pyarrow", "duckdb", "polars", "rule_engine", "sqlalchemy"):
        with contextlib.suppress(ImportError, AttributeError):
            info[module] = __import__(module).__version__
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            info["memory_gib"] = round(int(meminfo.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info


def write_report(records: list[dict], folder: Path) -> list[Path]:
    """``results.json``, ``table.md`` and ``chart.png`` in ``folder``; their paths (the suite
    adds ``targets.md``: :func:`benchmarks.targets.write_targets`)."""
    folder.mkdir(parents=True, exist_ok=True)
    results = folder / "results.json"
    results.write_bytes(
        orjson.dumps({"machine": machine(), "records": records}, option=orjson.OPT_INDENT_2)
    )
    markdown = folder / "table.md"
    markdown.write_text(table(records), encoding="utf-8")
    written = [results, markdown]
    with contextlib.suppress(ImportError):  # matplotlib is in the bench extra
        written.append(chart(records, folder / "chart.png"))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--out", type=Path, help="folder for table.md and chart.png")
    args = parser.parse_args()
    saved = orjson.loads(args.results.read_bytes())
    folder = args.out or args.results.parent
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "table.md").write_text(table(saved["records"]), encoding="utf-8")
    chart(saved["records"], folder / "chart.png")
    from benchmarks.targets import write_targets

    write_targets(saved["records"], folder)
    print(table(saved["records"]))


if __name__ == "__main__":
    main()
