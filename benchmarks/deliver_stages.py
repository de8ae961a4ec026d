"""Where a real run's delivery CPU goes, stage by stage: the thread CPU time of each.

    .venv/bin/python -m benchmarks.deliver_stages --customers 1M

Runs ``winlang run`` of the delivery benchmark's campaign (:mod:`benchmarks.test_bench_deliver`:
e-mail to every customer with ``id <= 150,000``) in this process, in a scratch copy of the
size's Parquet project with a fresh state and outbox, and times the stages of delivery by
wrapping them: planning (:meth:`Planner.plan`: rendering and firings), writing the plan
(:meth:`Ledger.record_plan`: ledger rows, their JSON payloads, the inserts), claiming
(:meth:`Ledger.claim`: the claim statement and reading each payload back into messages),
recording results (:meth:`Sender._record`: settling each result and :meth:`Ledger.apply`)
and the outbox channel's threads. CPU time of the calling thread, so the sending threads'
work is counted where it runs; a loaded machine inflates every number alike.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from benchmarks.campaigns import NOW_TEXT
from benchmarks.data import parse_size, stores
from benchmarks.profile import DELIVER_LAST, scratch_project


class Stages:
    """Thread CPU seconds and calls per stage; a stage's own nested calls count once."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth = threading.local()

    def wrap(self, owner: type, name: str, label: str) -> None:
        original: Callable = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            depths = self._depth.__dict__.setdefault("depths", defaultdict(int))
            depth = depths[label]
            depths[label] = depth + 1
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                depths[label] = depth
                if depth == 0:
                    self.seconds[label] += time.thread_time() - started
                    self.calls[label] += 1

        setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=parse_size, default=1_000_000)
    args = parser.parse_args()

    import winlang.deliver.run as run
    from benchmarks.test_bench_deliver import CAMPAIGN
    from winlang.channels.outbox import OutboxChannel
    from winlang.cli import cli
    from winlang.deliver.ledger import Ledger
    from winlang.deliver.prepare import Planner
    from winlang.deliver.send import Sender

    stages = Stages()
    stages.wrap(Planner, "plan", "plan: render the messages, build the firings")
    stages.wrap(Ledger, "record_plan", "plan: ledger rows, JSON payloads, insert")
    stages.wrap(Ledger, "claim", "send: claim, read the payloads back")
    stages.wrap(Sender, "_record", "send: settle the results, record them")
    stages.wrap(OutboxChannel, "send", "send: the outbox channel (its threads)")
    stages.wrap(run, "deliver_campaign", "all of delivery (after evaluation)")
    scratch, here = Path(tempfile.mkdtemp(prefix="winlang-deliver-stages-")), Path.cwd()
    try:
        project = scratch_project(stores(args.customers, ("parquet",)), "parquet", scratch / "p")
        (project / "deliver.win").write_text(CAMPAIGN.format(last=DELIVER_LAST), "utf-8")
        os.chdir(project)
        started = time.process_time()
        argv = ["run", "deliver.win", "--now", NOW_TEXT, "--format", "json"]
        try:
            with open(os.devnull, "w") as nowhere, contextlib.redirect_stdout(nowhere):
                cli.main(argv, standalone_mode=False)  # its JSON summary not shown
        except SystemExit as done:  # `run` exits with its own code
            if done.code:
                raise
        total = time.process_time() - started
    finally:
        os.chdir(here)
        shutil.rmtree(scratch, ignore_errors=True)
    for label, seconds in sorted(stages.seconds.items()):
        print(f"{seconds:7.2f} s CPU  {stages.calls[label]:5d} calls  {label}")
    print(f"{total:7.2f} s CPU  the whole command in this process (imports before excluded)")


if __name__ == "__main__":
    main()
