"""A real run's resident memory as it goes, against the messages it has sent.

    .venv/bin/python -m benchmarks.deliver_memory --customers 1M --last 150000,600000,all

For each ``--last``: the benchmark's delivery campaign (:mod:`benchmarks.test_bench_deliver`:
everyone with ``id <= LAST``, e-mailed to the outbox) in a fresh copy of the Parquet
project, run as ``winlang run`` in a child process whose ``VmRSS`` (and the outbox's size,
for the messages sent so far) is sampled every ``--every`` seconds. Prints, per run: the
messages, the child's peak RSS (``wait4``), the peak before the first message was sent
(evaluation, policies, planning), the RSS when sending starts and the most it reached while
sending, and the RSS when ~100k, ~400k and ~700k messages had been sent.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.campaigns import NOW_TEXT
from benchmarks.data import parse_size, stores
from benchmarks.test_bench_deliver import _project

MIB = 1024 * 1024
MARKS = (100_000, 400_000, 700_000)


def _rss(pid: int) -> int:
    """The child's resident memory in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def sample(folder: Path, every: float) -> tuple[int, int, list[tuple[int, int]]]:
    """Run the campaign in ``folder``; its messages, peak RSS and (outbox bytes, RSS)
    samples."""
    outbox = folder / "outbox" / "email.jsonl"
    command = [sys.executable, "-m", "winlang", "run", "deliver.win", "--now", NOW_TEXT]
    child = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL)
    samples: list[tuple[int, int]] = []
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        size = outbox.stat().st_size if outbox.exists() else 0
        samples.append((size, _rss(child.pid)))
        time.sleep(every)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"winlang run failed in {folder} ({child.returncode})")
    messages = sum(1 for _ in outbox.open("rb")) if outbox.exists() else 0
    return messages, usage.ru_maxrss * 1024, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=parse_size, default=1_000_000)
    parser.add_argument("--last", default="150000,600000,all", help="ids up to, each a run")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between samples")
    args = parser.parse_args()
    found = stores(args.customers, ("parquet",))
    lasts = [args.customers if x == "all" else int(x) for x in args.last.split(",")]
    print(
        f"{'id <=':>9} {'messages':>9} {'peak':>8} {'before sending':>15} "
        f"{'sending: first':>15} {'most':>6}  at " + ", ".join(f"{m:,}" for m in MARKS)
    )
    with tempfile.TemporaryDirectory() as scratch:
        for last in lasts:
            folder = Path(scratch) / f"deliver-{last}"
            _project(found, folder, last)
            messages, peak, samples = sample(folder, args.every)
            sending = [(size, rss) for size, rss in samples if size > 0 and rss]
            before = max((rss for size, rss in samples if size == 0), default=0)
            per = (sending[-1][0] / messages) if sending and messages else 1.0
            at = [next((rss for size, rss in sending if size / per >= m), 0) for m in MARKS]
            first, most = (sending[0][1], max(r for _, r in sending)) if sending else (0, 0)
            print(
                f"{last:>9,} {messages:>9,} {peak / MIB:>4,.0f} MiB {before / MIB:>11,.0f} MiB "
                f"{first / MIB:>11,.0f} MiB {most / MIB:>6,.0f}  "
                + ", ".join(f"{r / MIB:,.0f}" if r else "-" for r in at)
                + " MiB"
            )


if __name__ == "__main__":
    main()
