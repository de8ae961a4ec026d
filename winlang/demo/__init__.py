"""Sample stores for ``winlang demo``, the tests and the benchmarks.

>>> from winlang.demo import generate, write_sqlite
>>> data = generate(1_000)
>>> write_sqlite(data, "shop.db")  # doctest: +SKIP
"""

from winlang.demo.generate import CUSTOMERS_SCHEMA, EVENTS_SCHEMA, DemoData, generate
from winlang.demo.write import (
    WRITERS,
    demo_tables,
    write_csv,
    write_duckdb,
    write_parquet,
    write_sqlite,
)

__all__ = [
    "CUSTOMERS_SCHEMA",
    "EVENTS_SCHEMA",
    "WRITERS",
    "DemoData",
    "demo_tables",
    "generate",
    "write_csv",
    "write_duckdb",
    "write_parquet",
    "write_sqlite",
]
