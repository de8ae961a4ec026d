"""SQL push-down against hand-written SQL for the same rules, on the demo store.

    .venv/bin/python -m benchmarks.sql_pushdown --customers 1000000 --dir /tmp/sqlbench \
        [--postgres postgresql+psycopg://user@host:port/db]

Writes (once) the demo data to SQLite and DuckDB in ``--dir`` (the demo writer's indexes on
events(customer_id) and events(type) included), then times ``SqlBackend.decide`` for the 30/60/90
ladder of language.md §2 and for R3 (``days_since(last_purchase_at) > 90 and not opened email
within 30 days``) against the fastest of a few hand-written queries of the same rules (the
decisions, and the audience count in a second query). Every hand-written query is checked to
give the same decisions. Medians of ``--repeat`` warm runs.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
import sqlalchemy as sa

from benchmarks.campaigns import NOW
from benchmarks.peers import moment, sql_ladder
from winlang.backends.base import RunContext
from winlang.backends.sql import SqlBackend
from winlang.contracts.source import Layout
from winlang.diagnostics import SourceText
from winlang.plan import ir, plan_campaign
from winlang.project import check_source, open_project

ROOT = Path(__file__).resolve().parents[1]
R3 = """campaign "r3"
template t sms "x"
when days_since(last_purchase_at) > 90 and not opened email within 30 days then send sms t
"""


class Store:
    """A minimal Source: the engine and the default layout."""

    def __init__(self, url: str) -> None:
        self.name = url.split(":")[0]
        self.layout = Layout()
        self.engine = sa.create_engine(url)

    def sql_engine(self):
        return self.engine


def ladder_text() -> str:
    doc = (ROOT.parent / "shared" / "design" / "language.md").read_text(encoding="utf-8")
    return re.findall(r"```\n(.*?)```", doc, re.S)[1]


def plan_of(text: str) -> ir.Plan:
    project = open_project(None, ROOT / "campaigns" / "schema.json")
    checked = check_source(SourceText("bench.win", text), project, Path("."))
    assert checked.checked is not None, [d.message for d in checked.diagnostics]
    return plan_campaign(checked.checked)


def load_postgres(url: str, customers: int) -> str:
    """Write the demo data to PostgreSQL with COPY (once: kept if already there)."""
    import io

    import pyarrow.csv as pa_csv

    from winlang.demo import demo_tables, generate

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        present = connection.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'events'"
        ).scalar()
    if not present:
        data = generate(customers)
        metadata = sa.MetaData()
        tables = demo_tables(metadata)
        metadata.create_all(engine)
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                for table, arrow in zip(tables, (data.customers, data.events), strict=True):
                    buffer = io.BytesIO()
                    pa_csv.write_csv(arrow, buffer)
                    columns = ", ".join(f'"{n}"' for n in arrow.column_names)
                    sql = f"COPY {table.name} ({columns}) FROM STDIN (FORMAT csv, HEADER true)"
                    with cursor.copy(sql) as copy:
                        copy.write(buffer.getvalue())
                cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    engine.dispose()
    return url


def make_stores(folder: Path, customers: int) -> dict[str, str]:
    from winlang.demo import generate, write_duckdb, write_sqlite

    folder.mkdir(parents=True, exist_ok=True)
    paths = {"sqlite": folder / "shop.db", "duckdb": folder / "shop.duckdb"}
    if not all(p.exists() for p in paths.values()):
        data = generate(customers)
        write_sqlite(data, paths["sqlite"])
        write_duckdb(data, paths["duckdb"])
    return {name: f"{name}:///{path}" for name, path in paths.items()}


# ---- hand-written SQL ---------------------------------------------------------------------------


def r3_sql(dialect: str, shape: str = "rows") -> str:
    opened_email = f"""SELECT customer_id FROM events WHERE type = 'open' AND channel = 'email'
      AND occurred_at >= {moment(dialect, 30)} AND occurred_at <= {moment(dialect, 0)}
      AND customer_id IS NOT NULL"""
    lapsed = f"last_purchase_at <= {moment(dialect, 91)}"
    if shape == "rows":
        return f"SELECT id, 0 FROM customers WHERE {lapsed} AND id NOT IN ({opened_email})"
    return f"""SELECT id, CASE WHEN {lapsed} AND id NOT IN ({opened_email}) THEN 0 END AS r
      FROM customers"""


def gathered(dialect: str, decisions: str, rules: int) -> str:
    """The decisions query returning one row, as winlang does: the audience count (rows with
    ``r`` -1 are audience members no rule takes) and the ids of each rule gathered."""
    gather = {"sqlite": "json_group_array", "duckdb": "list"}.get(dialect, "array_agg")
    fence = {"sqlite": "LIMIT -1 OFFSET 0", "duckdb": ""}.get(dialect, "OFFSET 0")
    inner = decisions.replace("END AS r", "ELSE -1 END AS r").split(") AS d")[0]
    ids = ", ".join(f"{gather}(id) FILTER (WHERE r = {i})" for i in range(rules))
    return f"SELECT count(*), {ids} FROM ({inner.split('(', 1)[1]} {fence}) AS d"


def hand_variants(campaign: str, dialect: str) -> dict[str, tuple[str, str] | str]:
    if campaign == "r3":
        return {
            "NOT IN": (r3_sql(dialect), "SELECT count(*) FROM customers"),
            "NOT IN, one row": gathered(dialect, f"({r3_sql(dialect, 'case')}) AS d", 1),
        }
    fence = "LIMIT -1 OFFSET 0" if dialect == "sqlite" else "OFFSET 0"
    return {
        "CASE": sql_ladder(dialect, ""),
        "CASE, fenced": sql_ladder(dialect, fence),
        "CASE, one row": gathered(dialect, sql_ladder(dialect, "")[0], 4),
    }


# ---- timing --------------------------------------------------------------------------------


def interleaved(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple]:
    """Each run's median and best time in seconds, and its result: the runs take turns, so
    a busy moment of a shared machine hits them all alike."""
    results = {label: run() for label, run in runs.items()}  # warm the cache
    times: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            start = time.perf_counter()
            results[label] = run()
            times[label].append(time.perf_counter() - start)
    return {
        label: (statistics.median(times[label]), min(times[label]), results[label])
        for label in runs
    }


def hand_run(
    engine: sa.Engine, queries: tuple[str, str] | str, dialect: str
) -> Callable[[], tuple]:
    """Run a hand-written variant: (decisions, audience count) queries, or one query of one
    row (see :func:`gathered`); either way give (count, [(id, rule), ...])."""
    if isinstance(queries, str):

        def run_one():
            with engine.connect() as connection:
                count, *lists = connection.exec_driver_sql(queries).one()
            if dialect == "sqlite":
                lists = [orjson.loads(v) for v in lists]
            return count, [(i, rule) for rule, ids in enumerate(lists) for i in ids or ()]

        return run_one
    decisions, audience = queries

    def run():
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(decisions).fetchall()
            count = connection.exec_driver_sql(audience).scalar()
        return count, rows

    return run


def same(decided, hand) -> bool:
    count, rows = hand
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    rules = np.array([r[1] for r in rows], dtype=np.int32)
    order = np.argsort(ids)
    return (
        decided.audience == count
        and np.array_equal(decided.ids, ids[order])
        and np.array_equal(decided.rules, rules[order])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/sqlbench"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="also a PostgreSQL URL (the data is COPied in once)")
    parser.add_argument("--only-postgres", action="store_true", help="skip SQLite and DuckDB")
    args = parser.parse_args()
    urls = {} if args.only_postgres else make_stores(args.dir, args.customers)
    if args.postgres:
        urls["postgresql"] = load_postgres(args.postgres, args.customers)
    plans = {"ladder": plan_of(ladder_text()), "r3": plan_of(R3)}
    context = RunContext(now=NOW)
    print(
        f"{'store':10} {'campaign':8} {'winlang':>16} {'hand-written':>16} {'ratio':>6}"
        "  hand-written variant (times: median / best of the runs)"
    )
    for dialect, url in urls.items():
        store = Store(url)
        for name, plan in plans.items():
            runs = {
                "winlang": lambda plan=plan, store=store: SqlBackend().decide(plan, store, context)
            }
            for label, queries in hand_variants(name, dialect).items():
                runs[label] = hand_run(store.engine, queries, dialect)
            timed = interleaved(runs, args.repeat)
            ours, ours_best, decided = timed.pop("winlang")
            for label, (hand, hand_best, found) in sorted(timed.items(), key=lambda i: i[1][0]):
                assert same(decided, found), f"{dialect} {name} {label}: decisions differ"
                print(
                    f"{dialect:10} {name:8} {ours:7.3f} / {ours_best:5.3f}s "
                    f"{hand:7.3f} / {hand_best:5.3f}s {ours / hand:6.2f}  {label}"
                )
        store.engine.dispose()


if __name__ == "__main__":
    main()
