"""The end-to-end test store and the winlang.toml files that point at it.

One generated data set is written three ways (SQLite, DuckDB, a Parquet folder, which Spark
reads too), each with a
winlang.toml that copies the repository's ``[fields]``, ``[events]``, channels and limits but
points ``[store] url`` at the test store and has no ``schema``, so the checker reflects the
store itself. ``parquet+schema`` is the same Parquet folder checked against
``campaigns/schema.json`` instead.
"""

from __future__ import annotations

import json
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.reference import Customer, customers_at
from winlang.demo import DemoData, generate, write_duckdb, write_parquet, write_sqlite
from winlang.evaluate import evaluate_campaign, open_store, parse_now
from winlang.project import check_file, open_project

REPO = Path(__file__).resolve().parents[2]
CAMPAIGNS_DIR = REPO / "campaigns"
# The console script installed beside the Python running the tests (the project venv).
VENV_WINLANG = Path(sys.executable).with_name("winlang")

CUSTOMERS = 3_000
SEED = 67  # with 3,000 customers every rule that can match on an empty ledger matches someone
NOW = "2026-11-22T10:00:00Z"  # the moment the data is generated for

# Store name → (URL with {folder}, whether the config names a schema file).
STORES = {
    "sqlite": ("sqlite:///{folder}/shop.db", False),
    "duckdb": ("duckdb:///{folder}/shop.duckdb", False),
    "parquet": ("parquet://{folder}/parquet", False),
    "parquet+schema": ("parquet://{folder}/parquet", True),
    "spark": ("spark://{folder}/parquet", False),  # the Parquet folder on a Spark session
}


@dataclass
class Store:
    """The session's test store: its data and one config file per way it is written."""

    folder: Path
    data: DemoData
    configs: dict[str, Path]
    _rows: list[dict] = field(default_factory=list)
    _events: list[dict] = field(default_factory=list)
    _seen: dict[str, list[Customer]] = field(default_factory=dict)

    def customers(self, now: str) -> list[Customer]:
        """The reference's view of every customer at ``now`` (ISO text, as on the CLI)."""
        if not self._rows:
            self._rows = self.data.customers.to_pylist()
            self._events = self.data.events.to_pylist()
        if now not in self._seen:
            self._seen[now] = customers_at(self._rows, self._events, parse_now(now))
        return self._seen[now]


def make_store(folder: Path) -> Store:
    """Generate the data, write every store format and its config into ``folder``."""
    data = generate(CUSTOMERS, seed=SEED, now=parse_now(NOW))
    write_sqlite(data, folder / "shop.db")
    write_duckdb(data, folder / "shop.duckdb")
    write_parquet(data, folder / "parquet")
    schema = Path(shutil.copy(CAMPAIGNS_DIR / "schema.json", folder / "schema.json"))
    configs = {}
    for name, (url, with_schema) in STORES.items():
        configs[name] = folder / f"{name}.toml"
        text = project_config(url.format(folder=folder), folder, schema if with_schema else None)
        configs[name].write_text(text, encoding="utf-8")
    return Store(folder, data, configs)


def project_config(url: str, folder: Path, schema: Path | None = None) -> str:
    """The repository's winlang.toml with ``[store]`` and ``[state]`` pointing into ``folder``."""
    document = tomllib.loads((REPO / "winlang.toml").read_text(encoding="utf-8"))
    document["store"] = {"url": url} | ({"schema": str(schema)} if schema else {})
    document["state"] = {"url": f"sqlite:///{folder}/winlang-state.db"}
    return toml_text(document)


def toml_text(document: dict[str, Any], prefix: tuple[str, ...] = ()) -> str:
    """A small TOML writer for nested tables of texts, numbers, booleans and lists of those.

    >>> print(toml_text({"a": {"b": "x", "c": {"d": [1, 2]}}}), end="")
    <BLANKLINE>
    [a]
    b = "x"
    <BLANKLINE>
    [a.c]
    d = [1, 2]
    """
    lines = [f"[{'.'.join(prefix)}]"] if prefix else []
    tables = {key: value for key, value in document.items() if isinstance(value, dict)}
    for key, value in document.items():
        if key not in tables:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    text = "\n".join(lines) + "\n" if lines else ""
    for key, value in tables.items():
        text += "\n" + toml_text(value, (*prefix, key))
    return text


def run_decisions(config: Path, campaign: Path, now: str, engine: str) -> dict[int, str]:
    """Each matched customer's rule, from :func:`winlang.evaluate.evaluate_campaign` directly."""
    project = open_project(config)
    checked = check_file(campaign, project).checked
    assert checked is not None, f"{campaign} does not check against {config}"
    evaluation = evaluate_campaign(checked, open_store(project.config), parse_now(now), engine)
    names = [rule.name for rule in evaluation.plan.rules]
    decisions = evaluation.decisions
    return {int(i): names[int(r)] for i, r in zip(decisions.ids, decisions.rules, strict=True)}


def matches(report: dict) -> list[dict]:
    """Each rule's name and match count: what the reference computes (the contact policies
    that split matches into sent, held out and skipped have tests of their own)."""
    return [{"name": rule["name"], "matched": rule["matched"]} for rule in report["rules"]]
