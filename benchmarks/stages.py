"""Where a dry run's time goes, stage by stage, in one process (imports excluded).

    .venv/bin/python -m benchmarks.stages --customers 1M --store duckdb [--campaign ladder]

Stages: open the project (configuration, the store's schema), check the campaign, evaluate
it, gather the contact fields of the matched customers as ``winlang run`` does today, the
same through ``NumpyBackend.values(..., ids=matched)`` (only the matched customers, as Arrow
columns: what gathering could cost), then the contact policies on each. Medians of
``--repeat`` runs of every stage.
"""

from __future__ import annotations

import argparse
import dataclasses
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

    from winlang.backends.base import RunContext
    from winlang.backends.numpy import NumpyBackend
    from winlang.deliver.gather import ZONE_FIELD, channels_used, policy_inputs
    from winlang.evaluate import evaluate_campaign
    from winlang.plan import ir
    from winlang.policies.apply import apply_policies
    from winlang.policies.contact import ChannelContact
    from winlang.project import check_file, open_project

    folder = stores(args.customers, (args.store,)).project(args.store)
    rows: list[tuple[str, float]] = []
    started = time.perf_counter()
    project = open_project(folder / "winlang.toml", search=False)
    rows.append(("open the project (config, schema)", time.perf_counter() - started))
    took, result = median_time(
        lambda: check_file(folder / f"{args.campaign}.win", project), args.repeat
    )
    checked = result.checked
    rows.append(("check the campaign", took))
    source = project.store()
    took, evaluation = median_time(lambda: evaluate_campaign(checked, source, NOW), args.repeat)
    rows.append((f"evaluate ({evaluation.engine} engine)", took))
    state = project.saved_state()
    took, inputs = median_time(
        lambda: policy_inputs(checked, evaluation, source, project.config, state),
        args.repeat,
    )
    rows.append(("gather contact fields, as `winlang run` does", took))

    schema = source.schema().customers
    names = [c for c in channels_used(checked.campaign) if c in project.config.channels]
    columns = []
    for name in names:
        channel = project.config.channels[name]
        columns += [channel.address, channel.consent]
    if ZONE_FIELD in schema:
        columns.append(ZONE_FIELD)
    nodes = [ir.Column(c, schema[c].kind, schema[c].kind) for c in columns]
    context = RunContext(now=NOW)
    took, (_, arrays) = median_time(
        lambda: NumpyBackend().values(nodes, source, context, ids=evaluation.decisions.ids),
        args.repeat,
    )
    rows.append(("gather with values(ids=matched), Arrow columns", took))
    arrow_inputs = dataclasses.replace(
        inputs,
        contacts={
            name: ChannelContact(arrays[2 * i], arrays[2 * i + 1]) for i, name in enumerate(names)
        },
        zones=arrays[-1] if ZONE_FIELD in schema else None,
    )
    took, outcome = median_time(lambda: apply_policies(inputs), args.repeat)
    rows.append(("contact policies (object arrays from today's gather)", took))
    took, arrow_outcome = median_time(lambda: apply_policies(arrow_inputs), args.repeat)
    rows.append(("contact policies (Arrow columns)", took))
    assert outcome.summary() == arrow_outcome.summary()

    matched = len(evaluation.decisions.ids)
    print(
        f"{args.campaign} on {args.store}, {args.customers:,} customers, "
        f"{matched:,} matched; medians of {args.repeat}"
    )
    for label, seconds in rows:
        print(f"  {label:55} {seconds:7.3f} s")


if __name__ == "__main__":
    main()
