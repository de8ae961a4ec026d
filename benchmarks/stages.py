"""Where a dry run's time goes, stage by stage, in one process (imports excluded).

    .venv/bin/python -m benchmarks.stages --customers 1M --store duckdb [--campaign ladder]

Stages, as ``winlang run --dry-run`` runs them: open the project (configuration, the store's
schema), check the campaign, evaluate it carrying the columns the run reads of the matched
customers (:func:`winlang.deliver.run.run_columns`; and, for comparison, without them), the
suppressions of the matched customers (a scan of the store's events), the rest of the policy
inputs, the contact policies, the planner (message values, usable channels) and the dry run's
plan (counting messages and SMS parts). Medians of ``--repeat`` runs of every stage.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from benchmarks.campaigns import NOW
from benchmarks.data import parse_size, stores


def median_time(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=parse_size, default=1_000_000)
    parser.add_argument("--store", default="duckdb", choices=["duckdb", "sqlite", "parquet"])
    parser.add_argument("--campaign", default="ladder")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from winlang.deliver.gather import policy_inputs
    from winlang.deliver.run import preview_campaign, run_columns
    from winlang.evaluate import evaluate_campaign
    from winlang.policies.apply import apply_policies
    from winlang.policies.suppressions import suppression_pairs
    from winlang.project import check_file, open_project

    folder = stores(args.customers, (args.store,)).project(args.store)
    rows: list[tuple[str, float]] = []
    started = time.perf_counter()
    project = open_project(folder / "winlang.toml", search=False)
    source = project.store()
    source.schema()
    rows.append(("open the project (config, schema)", time.perf_counter() - started))
    took, result = median_time(
        lambda: check_file(folder / f"{args.campaign}.win", project), args.repeat
    )
    checked, config = result.checked, project.config
    rows.append(("check the campaign", took))
    carry = run_columns(checked, source, config)
    took, evaluation = median_time(
        lambda: evaluate_campaign(checked, source, NOW, carry=carry), args.repeat
    )
    rows.append((f"evaluate, carrying {len(carry)} columns ({evaluation.engine} engine)", took))
    took, _ = median_time(lambda: evaluate_campaign(checked, source, NOW), args.repeat)
    rows.append(("  (evaluate alone, for comparison)", took))
    state = project.saved_state()
    ids, name = evaluation.decisions.ids, checked.campaign.name or ""
    took, _ = median_time(
        lambda: suppression_pairs(source, state, NOW, ids, campaign=name), args.repeat
    )
    rows.append(("suppressions of the matched (the store's events)", took))
    took, inputs = median_time(
        lambda: policy_inputs(checked, evaluation, source, config, state), args.repeat
    )
    rows.append(("policy inputs (contact fields, suppressions, history)", took))
    took, _ = median_time(lambda: apply_policies(inputs), args.repeat)
    rows.append(("contact policies", took))
    took, _ = median_time(
        lambda: preview_campaign(checked, evaluation, source, config, state), args.repeat
    )
    rows.append(("the dry run's plan (inputs, policies, planner, counting)", took))

    print(
        f"{args.campaign} on {args.store}, {args.customers:,} customers, "
        f"{len(ids):,} matched; medians of {args.repeat}"
    )
    for label, seconds in rows:
        print(f"  {label:58} {seconds:7.3f} s")


if __name__ == "__main__":
    main()
