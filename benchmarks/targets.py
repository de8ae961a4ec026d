"""The targets table: each performance target of the issues, judged on one run's results.

    .venv/bin/pytest benchmarks --benchmark-enable --targets     # runs what the table needs
    .venv/bin/python -m benchmarks.targets benchmarks/results/results.json

A target reads the medians (or peak RSS) of benchmark records and gives its measured value, the
goal and whether it is met. ``--targets`` keeps only the benchmarks some target reads (at the
sizes the targets name: 100k, 1M and 10M customers, unless ``--sizes`` says otherwise); the
suite then writes ``targets.md`` beside ``table.md``. A target whose records were measured at
another size than the issue's only (``--sizes 1k``, say) is judged at that size and says so; one
with no record at all is "not measured". Where a target is missed, ``see`` names the part of
BENCHMARKS.md that measures what bounds it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from benchmarks.report import human_bytes, human_size, human_time, seconds

K, M = 1_000, 1_000_000
GIB = 2**30


@dataclass(frozen=True)
class Pick:
    """The benchmark records of one system in one group, and the test that writes them
    (``test``: its function name; ``params``: its parameters, customers apart)."""

    test: str
    params: Mapping[str, object]
    scenario: str
    campaign: str
    store: str
    system: str
    sizes: tuple[int, ...] = (M,)

    def records(self, records: Iterable[dict]) -> dict[int, dict]:
        """This pick's records by customer count (the system may carry a suffix: ``rule-engine
        (×10)`` is rule-engine run on a sample, scaled)."""
        found = {}
        for record in records:
            system = record.get("system", "")
            if (
                record.get("scenario") == self.scenario
                and (record.get("campaign") or "") == self.campaign
                and (record.get("store") or "") == self.store
                and (system == self.system or system.startswith(self.system + " ("))
            ):
                found[record.get("customers") or 0] = record
        return found

    def selects(self, test: str, params: Mapping[str, object], sizes: Iterable[int]) -> bool:
        """Whether the test item ``test[params]`` writes one of this pick's records in a run
        at ``sizes`` (at the pick's own sizes, or at every size when the run has none of them)."""
        if test != self.test or any(params.get(k) != v for k, v in self.params.items()):
            return False
        customers = params.get("customers")
        if customers is None:
            return True
        own = [s for s in self.sizes if s in set(sizes)]
        return customers in own if own else True


@dataclass(frozen=True)
class Verdict:
    measured: str
    met: bool | None  # None: not measured in this run
    note: str = ""  # e.g. judged at another size than the issue's


@dataclass(frozen=True)
class Target:
    """``ours`` against a goal: a ratio to ``peer`` (winlang ÷ peer at most ``limit``, or, with
    ``faster``, peer ÷ winlang at least ``limit``), or, without a peer, its median time or peak
    RSS at most ``limit`` (seconds or bytes)."""

    issue: str
    name: str
    ours: Pick
    limit: float
    peer: Pick | None = None
    faster: bool = False
    metric: str = "median"  # or "peak_rss"
    see: str = ""

    @property
    def picks(self) -> tuple[Pick, ...]:
        return (self.ours, self.peer) if self.peer else (self.ours,)

    @property
    def goal(self) -> str:
        if self.peer is not None:
            return f"≥ {self.limit:g}× faster" if self.faster else f"≤ {self.limit:g}×"
        if self.metric == "peak_rss":
            return f"≤ {self.limit / GIB:g} GiB" if self.limit >= GIB else human_bytes(self.limit)
        return f"≤ {human_time(self.limit)}"

    def judge(self, records: list[dict]) -> Verdict:
        ours = self.ours.records(records)
        peer = self.peer.records(records) if self.peer else None
        wanted = self.ours.sizes[-1] if self.ours.sizes else 0  # 0: no customer count
        run_sizes = {r.get("customers") or 0 for r in records}
        size = _size(wanted, ours, peer, wanted in run_sizes)
        if size is None:
            return Verdict("", None)
        note = "" if size == wanted else f"at {human_size(size)}, not {human_size(wanted)}"
        mine = self._value(ours[size])
        theirs = self._value(peer[size]) if peer is not None else None
        if not mine or (peer is not None and not theirs):  # e.g. no peak RSS recorded
            return Verdict("", None)
        if theirs is None:
            return Verdict(self._show(mine), mine <= self.limit, note)
        ratio = mine / theirs
        both = f"{self._show(mine)} against {self._show(theirs)}"
        if self.faster:
            return Verdict(f"{1 / ratio:,.2f}× faster ({both})", 1 / ratio >= self.limit, note)
        return Verdict(f"{ratio:.2f}× ({both})", ratio <= self.limit, note)

    def _value(self, record: dict) -> float:
        """The record's median in seconds, or its peak RSS in bytes (0: not recorded)."""
        return seconds(record) if self.metric == "median" else float(record.get(self.metric) or 0)

    def _show(self, value: float) -> str:
        return human_time(value) if self.metric == "median" else human_bytes(int(value))


def _size(
    wanted: int, ours: dict[int, dict], peer: dict[int, dict] | None, run_has_it: bool
) -> int | None:
    """The customer count to judge at: the issue's; in a run made at other sizes only (a
    quick look at 1k), the largest measured instead."""
    both = set(ours) & set(peer) if peer is not None else set(ours)
    if wanted in both:
        return wanted
    return max(both) if both and not run_has_it else None


def _dry_run(campaign: str, store: str, sizes: tuple[int, ...] = (M,)) -> Pick:
    return Pick(
        "test_dry_run",
        {"campaign": campaign, "store": store},
        "dry run",
        campaign,
        store,
        "winlang",
        sizes,
    )


def _hand_query(campaign: str, store: str) -> Pick:
    return Pick(
        "test_hand_query_process",
        {"campaign": campaign, "store": store, "contacts": False},
        "dry run",
        campaign,
        store,
        "hand-written SQL",
    )


def _start_up(command: str, system: str) -> Pick:
    return Pick(
        "test_start_up",
        {"command": command, "system": system},
        "start-up",
        "4 campaigns" if command == "check" else "",
        f"winlang {command}",
        system,
        (),
    )


def _deliver(scenario: str, system: str) -> Pick:
    test = "test_deliver_winlang" if system == "winlang" else "test_deliver_hand_written"
    return Pick(test, {"scenario": scenario}, "deliver (ledger first)", scenario, "parquet", system)


def _in_memory(campaign: str, system: str) -> Pick:
    if system == "rule-engine":
        test, params = "test_evaluate_rule_engine", {"campaign": campaign}
    else:
        test, params = "test_evaluate_in_memory", {"campaign": campaign, "system": system}
    return Pick(test, params, "evaluate in memory", campaign, "memory", system)


def _sql(campaign: str, store: str, system: str) -> Pick:
    return Pick(
        "test_evaluate_sql",
        {"campaign": campaign, "store": store, "system": system},
        "evaluate SQL",
        campaign,
        store,
        system,
    )


_CURVE = (100 * K, M, 10 * M)
_DRY = "BENCHMARKS.md, Dry runs"
_MEMORY = "BENCHMARKS.md, Memory of a whole dry run"

TARGETS: tuple[Target, ...] = (
    Target(
        "12.1",
        "dry run of *winback* (an event anti-join) at 1M, SQLite ÷ the hand-written query",
        _dry_run("winback", "sqlite"),
        1.2,
        _hand_query("winback", "sqlite"),
        see=_DRY,
    ),
    Target(
        "12.1",
        "dry run of *winback* at 1M, DuckDB ÷ the hand-written query",
        _dry_run("winback", "duckdb"),
        1.2,
        _hand_query("winback", "duckdb"),
        see=_DRY,
    ),
    Target(
        "12.1", "dry run of the ladder at 1M, DuckDB", _dry_run("ladder", "duckdb"), 1.0, see=_DRY
    ),
    Target(
        "12.1", "dry run of the ladder at 1M, Parquet", _dry_run("ladder", "parquet"), 1.0, see=_DRY
    ),
    Target(
        "12.2",
        "start-up: `winlang --version` ÷ `import lark, click, orjson`",
        _start_up("--version", "winlang"),
        2.0,
        _start_up("--version", "import lark, click, orjson"),
        see="BENCHMARKS.md, Start-up",
    ),
    Target(
        "12.2",
        "start-up: `winlang check --schema` of four files ÷ the same import",
        _start_up("check", "winlang"),
        2.0,
        _start_up("check", "import lark, click, orjson"),
        see="BENCHMARKS.md, Start-up",
    ),
    Target(
        "12.2",
        "parse and check 1,000 rules",
        Pick(
            "test_parse_and_check_1000_rules",
            {},
            "parse and check",
            "1,000 rules",
            "parse + check",
            "winlang",
            (),
        ),
        0.150,
        see="BENCHMARKS.md, Front end",
    ),
    Target(
        "12.3",
        "delivery of ~106k e-mails at 1M ÷ the hand-written ledger-first loop",
        _deliver("deliver-115k", "winlang"),
        2.0,
        _deliver("deliver-115k", "hand-written ledger-first loop"),
        see="BENCHMARKS.md, Delivery",
    ),
    Target(
        "12.3",
        "delivery memory: peak RSS for everyone with consent (~700k e-mails) ÷ for ~106k",
        Pick(
            "test_deliver_winlang",
            {"scenario": "deliver-all"},
            "deliver (ledger first)",
            "deliver-all",
            "parquet",
            "winlang",
        ),
        1.25,
        _deliver("deliver-115k", "winlang"),
        metric="peak_rss",
        see="BENCHMARKS.md, Delivery",
    ),
    Target(
        "12.4",
        "*mixed* (ten rules) on DuckDB at 1M ÷ the hand-written query",
        _sql("mixed", "duckdb", "winlang"),
        1.2,
        _sql("mixed", "duckdb", "hand-written SQL"),
        see="BENCHMARKS.md, DuckDB, *mixed*",
    ),
    Target(
        "12.5",
        "peak RSS of a whole dry run of the ladder at 10M, Parquet",
        _dry_run("ladder", "parquet", _CURVE),
        2 * GIB,
        metric="peak_rss",
        see=_MEMORY,
    ),
    Target(
        "12.5",
        "peak RSS of a whole dry run of the ladder at 10M, DuckDB",
        _dry_run("ladder", "duckdb", _CURVE),
        2 * GIB,
        metric="peak_rss",
        see=_MEMORY,
    ),
    Target(
        "round 1",
        "NumPy backend in memory, the ladder at 1M ÷ hand-written NumPy",
        _in_memory("ladder", "winlang"),
        2.0,
        _in_memory("ladder", "numpy"),
    ),
    Target(
        "round 1",
        "NumPy backend in memory, the ladder at 1M, against Polars lazy",
        _in_memory("ladder", "winlang"),
        1.0,
        _in_memory("ladder", "polars"),
        faster=True,
    ),
    Target(
        "round 1",
        "NumPy backend in memory, the ladder at 1M, against rule-engine",
        _in_memory("ladder", "winlang"),
        200.0,
        _in_memory("ladder", "rule-engine"),
        faster=True,
    ),
    Target(
        "round 1",
        "SQL backend, the ladder at 1M ÷ hand-written SQL, SQLite",
        _sql("ladder", "sqlite", "winlang"),
        1.2,
        _sql("ladder", "sqlite", "hand-written SQL"),
    ),
    Target(
        "round 1",
        "SQL backend, the ladder at 1M ÷ hand-written SQL, DuckDB",
        _sql("ladder", "duckdb", "winlang"),
        1.2,
        _sql("ladder", "duckdb", "hand-written SQL"),
    ),
)


def table(records: list[dict], targets: Iterable[Target] = TARGETS) -> str:
    """The Markdown table of the targets: measured, goal, met or missed."""
    lines = [
        "| issue | target | measured | goal | | see |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for target in targets:
        verdict = target.judge(records)
        status = {True: "met", False: "**missed**", None: "not measured"}[verdict.met]
        measured = verdict.measured + (f" ({verdict.note})" if verdict.note else "")
        see = target.see if verdict.met is False else ""
        lines.append(
            f"| {target.issue} | {target.name} | {measured} | {target.goal} | {status} | {see} |"
        )
    return "\n".join(lines) + "\n"


def selected(test: str, params: Mapping[str, object], sizes: Iterable[int]) -> bool:
    """Whether some target reads what the test item ``test[params]`` measures."""
    sizes = list(sizes)
    return any(p.selects(test, params, sizes) for t in TARGETS for p in t.picks)


def target_sizes() -> list[int]:
    """Every customer count a target names (the sizes ``--targets`` runs at)."""
    return sorted({s for t in TARGETS for p in t.picks for s in p.sizes})


def write_targets(records: list[dict], folder: Path) -> Path:
    path = folder / "targets.md"
    path.write_text(table(records), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a results.json the suite wrote")
    parser.add_argument("--out", type=Path, help="write targets.md into this folder too")
    args = parser.parse_args()
    records = orjson.loads(args.results.read_bytes())["records"]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        write_targets(records, args.out)
    print(table(records), end="")


if __name__ == "__main__":
    main()
