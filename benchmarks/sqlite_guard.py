"""What SQLite's type guard costs: the SQL engine's decision with and without it.

    .venv/bin/python -m benchmarks.data 1000000 --kinds sqlite
    .venv/bin/python -m benchmarks.sqlite_guard --customers 1000000 [--repeat 5]

SQLite keeps any value in any column, so the SQL engine checks the storage class of every
number, bool and text value it reads (``SqliteDialect.stored``). This times
``evaluate_campaign`` on the benchmark store's SQLite project for each of its campaigns,
guarded and unguarded in turn (the guard replaced by the typed databases' no-op), and prints
the median and best of ``--repeat`` runs of each.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime

from benchmarks.data import root
from winlang.backends.sql.dialects import SqlDialect, SqliteDialect
from winlang.evaluate import evaluate_campaign, open_store
from winlang.project import check_file, open_project

NOW = datetime(2026, 3, 1, 10, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = root() / str(args.customers) / "project-sqlite"
    project = open_project(folder / "winlang.toml")
    guarded = SqliteDialect.stored
    for campaign in sorted(folder.glob("*.win")):
        checked = check_file(campaign, project).checked
        times: dict[str, list[float]] = {"guarded": [], "unguarded": []}
        try:
            for _ in range(args.repeat):
                for label, stored in (("guarded", guarded), ("unguarded", SqlDialect.stored)):
                    SqliteDialect.stored = stored  # type: ignore[method-assign]
                    source = open_store(project.config)
                    start = time.perf_counter()
                    evaluate_campaign(checked, source, NOW, "sql")
                    times[label].append(time.perf_counter() - start)
        finally:
            SqliteDialect.stored = guarded  # type: ignore[method-assign]
        for label, found in times.items():
            print(
                f"{campaign.name:12} {label:9} median {statistics.median(found):6.2f} s"
                f"  best {min(found):6.2f} s"
            )


if __name__ == "__main__":
    main()
