"""Where a dry run's memory goes, stage by stage, in one process.

    .venv/bin/python -m benchmarks.memory --customers 10M --store parquet [--campaign ladder]
    .venv/bin/python -m benchmarks.memory --project /tmp/my-project [--trace 15]

The stages of ``winlang run --dry-run``, in order and each once: open the project, check the
campaign, evaluate it carrying the columns the run reads of its matched customers, gather the
policies' inputs (contact fields, suppressions, history), apply the policies, build the
planner, and count the dry run's plan. After each stage: the process's resident memory
(``VmRSS``), the stage's own peak (``VmHWM``, reset before the stage through
``/proc/self/clear_refs`` where Linux allows it), and what PyArrow's pool holds. What a stage
returns is kept until the end, as the command keeps it. ``--trace N`` also prints the ``N``
largest Python allocations alive at the end and, per stage, how far the memory Python and
NumPy allocate rose above its level at the stage's start (tracemalloc: several times slower;
PyArrow's memory is not traced).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.campaigns import NOW
from benchmarks.data import parse_size, stores

MIB = 1024 * 1024


def _status(field: str) -> int:
    """A ``/proc/self/status`` field in bytes (0 where there is no such file)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Start a new high-water mark (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def measure(label: str, run: Callable[[], object], rows: list[tuple]) -> object:
    """Run one stage and record its time, resident memory after it and its own peak."""
    import tracemalloc

    import pyarrow as pa

    gc.collect()
    reset = _reset_peak()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    result = run()
    took = time.perf_counter() - started
    gc.collect()
    traced = tracemalloc.get_traced_memory()[1] - before  # 0 unless tracing
    peak = _status("VmHWM") if reset else 0
    rows.append((label, took, _status("VmRSS"), peak, pa.total_allocated_bytes(), traced))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=parse_size, default=1_000_000)
    parser.add_argument("--store", default="parquet", choices=["duckdb", "sqlite", "parquet"])
    parser.add_argument("--project", type=Path, help="a project folder (instead of the sizes')")
    parser.add_argument("--campaign", default="ladder")
    parser.add_argument("--trace", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.trace:
        import tracemalloc

        tracemalloc.start()

    from winlang.deliver.gather import policy_inputs
    from winlang.deliver.run import Policed, make_planner, preview_campaign, run_columns
    from winlang.evaluate import evaluate_campaign
    from winlang.plan.delivery import delivery_plan
    from winlang.policies.apply import apply_policies
    from winlang.project import check_file, open_project

    folder = args.project or stores(args.customers, (args.store,)).project(args.store)
    rows: list[tuple] = []
    project = measure(
        "open the project", lambda: open_project(folder / "winlang.toml", search=False), rows
    )
    source = project.store()
    measure("read the store's schema", source.schema, rows)
    checked = measure(
        "check the campaign", lambda: check_file(folder / f"{args.campaign}.win", project), rows
    ).checked
    config = project.config
    carry = run_columns(checked, source, config)
    evaluation = measure(
        f"evaluate, carrying {len(carry)} columns",
        lambda: evaluate_campaign(checked, source, NOW, carry=carry),
        rows,
    )
    state = project.saved_state()
    inputs = measure(
        "policy inputs (contact fields, suppressions, history)",
        lambda: policy_inputs(checked, evaluation, source, config, state),
        rows,
    )
    outcome = measure("contact policies", lambda: apply_policies(inputs), rows)
    delivery = evaluation.delivery or delivery_plan(checked)
    policed = Policed(checked, evaluation, delivery, inputs, outcome)
    measure(
        "the planner (message values, usable channels)",
        lambda: make_planner(policed, source=source, config=config, state=state),
        rows,
    )
    measure(
        "the dry run's plan, from the evaluation (as `run` does)",
        lambda: preview_campaign(checked, evaluation, source, config, state),
        rows,
    )

    peak = max(row[3] for row in rows)
    print(
        f"{args.campaign} in {folder}: {len(evaluation.decisions.ids):,} matched customers; "
        f"highest stage peak {peak / MIB:,.0f} MiB"
    )
    print(
        f"  {'stage':56} {'time':>8} {'RSS after':>11} {'peak':>9} {'Arrow':>9}"
        + (f" {'traced rise':>11}" if args.trace else "")
    )
    for label, took, resident, peak, arrow, traced in rows:
        print(
            f"  {label:56} {took:7.2f}s {resident / MIB:7,.0f} MiB "
            f"{peak / MIB:5,.0f} MiB {arrow / MIB:5,.0f} MiB"
            + (f" {traced / MIB:7,.0f} MiB" if args.trace else "")
        )
    if args.trace:
        import tracemalloc

        snapshot = tracemalloc.take_snapshot()
        print(f"\nthe {args.trace} largest Python allocations alive at the end:")
        for stat in snapshot.statistics("lineno")[: args.trace]:
            print(f"  {stat.size / MIB:8.1f} MiB {stat.count:>10,}  {stat.traceback}")


if __name__ == "__main__":
    main()
