"""The contact policies of a dry run, timed alone: ``police`` and ``make_planner``.

    .venv/bin/python -m benchmarks.police PROJECT_FOLDER [CAMPAIGN ...] [--repeat 5]

In one process, after opening the project and evaluating each campaign once (carrying the
columns a run reads, as ``winlang run`` does): the medians of ``--repeat`` calls of
:func:`winlang.deliver.run.police` (the policies' inputs — contact fields, suppressions,
history — and the policies) and of :func:`winlang.deliver.run.make_planner` (the planner's
inputs), wall and CPU time (the process's user + system, DuckDB's threads included). The
project folder is any with a ``winlang.toml`` (the benchmark data's ``project-duckdb`` and
so on, copied with ``[state] url`` pointing at a file of your own); campaigns default to
``ladder`` and ``winback``. To compare with another version of winlang, run the same
command with ``PYTHONPATH`` pointing at that version's source tree.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.campaigns import NOW


def medians(run: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last call's result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("campaigns", nargs="*", default=["ladder", "winback"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import winlang
    from winlang.project import open_project

    project = open_project(args.project / "winlang.toml", search=False)
    print(f"winlang from {Path(winlang.__file__).parent}; medians of {args.repeat}")
    for name in args.campaigns:
        print(measure(project, args.project / f"{name}.win", args.repeat))


def measure(project, path: Path, repeat: int) -> str:
    """One campaign's line: matched customers, police and make_planner."""
    from winlang.deliver.run import make_planner, police, run_columns, tracking_for
    from winlang.evaluate import evaluate_campaign
    from winlang.project import check_file

    source, config, state = project.store(), project.config, project.saved_state()
    checked = check_file(path, project).checked
    evaluation = evaluate_campaign(checked, source, NOW, carry=run_columns(checked, source, config))
    tracking = tracking_for(checked, config, real=False)
    wall, cpu, policed = medians(lambda: police(checked, evaluation, source, config, state), repeat)
    plan_wall, plan_cpu, _ = medians(
        lambda: make_planner(policed, source=source, config=config, state=state, tracking=tracking),
        repeat,
    )
    return (
        f"  {path.stem:10} {source.name:8} {len(evaluation.decisions.ids):>9,} matched  "
        f"police {wall:6.3f} s ({cpu:.3f} s CPU)  "
        f"make_planner {plan_wall:6.3f} s ({plan_cpu:.3f} s CPU)"
    )


if __name__ == "__main__":
    main()
