"""One generated data set written as every kind of store the sources read."""

from __future__ import annotations

from pathlib import Path

from winlang.demo import DemoData
from winlang.demo.write import write_csv, write_duckdb, write_parquet, write_sqlite


def write_stores(data: DemoData, folder: Path) -> dict[str, str]:
    """``data`` as SQLite, DuckDB, Parquet and CSV stores in ``folder``: their URLs by kind."""
    write_sqlite(data, folder / "shop.db")
    write_duckdb(data, folder / "shop.duckdb")
    write_parquet(data, folder / "pq")
    write_csv(data, folder / "csv")
    return {
        "sqlite": f"sqlite:///{folder / 'shop.db'}",
        "duckdb": f"duckdb:///{folder / 'shop.duckdb'}",
        "parquet": f"parquet://{folder / 'pq'}",
        "csv": f"csv://{folder / 'csv'}",
    }
