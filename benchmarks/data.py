"""The benchmarks' data: one seeded data set per size, written as SQLite, DuckDB and Parquet.

    .venv/bin/python -m benchmarks.data 100000 1000000 [--kinds sqlite,duckdb,parquet]

``winlang.demo.generate(customers, seed=7)`` makes the customers and about ten events each;
the same tables are written to ``<root>/<customers>/shop.db``, ``shop.duckdb`` and
``parquet/`` (root: ``$WINLANG_BENCH_DIR``, default ``/tmp/winlang-bench``), with one project
folder per store kind (``project-sqlite/winlang.toml`` and so on) holding the campaigns, so
``winlang run`` can be timed on each. A store is written once and reused: a ``.done`` file
beside it records the seed and the generator's row counts.

Writing takes a while the first time: at 1M customers (10M events) SQLite ~60-90 s, DuckDB
~10-15 s, Parquet ~3 s; 10M is ten times that, and SQLite at 10M is left out unless asked for.
"""

from __future__ import annotations

import argparse
import gc
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from benchmarks.campaigns import EXTRA_EVENT_TYPES, FILES

SEED = 7
KINDS = ("sqlite", "duckdb", "parquet")
_STORE_FILES = {"sqlite": "shop.db", "duckdb": "shop.duckdb", "parquet": "parquet"}


def root() -> Path:
    import os

    return Path(os.environ.get("WINLANG_BENCH_DIR", "/tmp/winlang-bench"))


@dataclass(frozen=True)
class Stores:
    """Where one size's stores and project folders are."""

    folder: Path
    customers: int

    def store(self, kind: str) -> Path:
        return self.folder / _STORE_FILES[kind]

    def url(self, kind: str) -> str:
        return f"{kind}:///{self.store(kind)}"

    def project(self, kind: str) -> Path:
        """The folder with ``winlang.toml`` and the campaigns for this store kind."""
        return self.folder / f"project-{kind}"

    def campaign(self, kind: str, name: str) -> Path:
        return self.project(kind) / f"{name}.win"

    def has(self, kind: str) -> bool:
        return (self.folder / f".done-{kind}").exists()


def stores(customers: int, kinds: tuple[str, ...] = KINDS, quiet: bool = False) -> Stores:
    """The stores of ``customers`` customers, written now if missing."""
    found = Stores(root() / str(customers), customers)
    missing = [k for k in kinds if not found.has(k)]
    if missing:
        _write(found, missing, quiet)
    for kind in kinds:
        _project(found, kind)
    return found


def _write(found: Stores, kinds: list[str], quiet: bool) -> None:
    from winlang.demo import generate
    from winlang.demo.write import WRITERS

    found.folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = generate(found.customers, seed=SEED)
    say = (lambda *a: None) if quiet else print
    say(f"generated {found.customers:,} customers in {time.perf_counter() - started:.1f} s")
    counts = {"customers": data.customers.num_rows, "events": data.events.num_rows}
    for kind in kinds:
        started = time.perf_counter()
        WRITERS[kind](data, found.store(kind))
        say(f"  wrote {kind} in {time.perf_counter() - started:.1f} s")
        (found.folder / f".done-{kind}").write_bytes(orjson.dumps({"seed": SEED, **counts}))
    del data
    gc.collect()


def _project(found: Stores, kind: str) -> None:
    folder = found.project(kind)
    folder.mkdir(parents=True, exist_ok=True)
    config = (
        f'[store]\nurl = "{found.url(kind)}"\n\n'
        f'[state]\nurl = "sqlite:///{folder / "state.db"}"\n\n'
        "[fields]\n"
        'days_since_purchase = "days_since(last_purchase_at)"\n\n'
        f"[events]\ntypes = {_toml_list(EXTRA_EVENT_TYPES)}\n\n"
        "[defaults]\n"
        'timezone = "UTC"\n'
    )
    _write_if_changed(folder / "winlang.toml", config)
    for name, text in FILES.items():
        _write_if_changed(folder / f"{name}.win", text)


def _toml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def parse_size(text: str) -> int:
    """``100k``, ``1M``, ``10M`` or a plain number.

    >>> parse_size("100k"), parse_size("1M"), parse_size("2500")
    (100000, 1000000, 2500)
    """
    text = text.strip()
    scale = {"k": 1_000, "K": 1_000, "m": 1_000_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale != 1 else text) * scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=parse_size)
    parser.add_argument("--kinds", default=",".join(KINDS))
    args = parser.parse_args()
    for size in args.sizes:
        found = stores(size, tuple(args.kinds.split(",")))
        print(found.folder)


if __name__ == "__main__":
    main()
