"""Golden SQL: the statement each dialect gets for a few representative campaigns.

Parameters print by name (``:now_minus_2592000_day``, ``:param_3``), never as values: every
literal and every moment is bound. A change to the generated SQL shows up here as a diff to
review; regenerate with
``WINLANG_UPDATE_GOLDEN=1 .venv/bin/pytest tests/backends/test_sql_golden.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from winlang.backends.sql.dialects import dialect_named
from winlang.backends.sql.statement import decide_statement, display_dialect
from winlang.contracts.source import Layout
from winlang.plan import ir

from .sql_support import LADDER, SCHEMA, compile_plan

GOLDEN = Path(__file__).parents[1] / "golden" / "sql"
UPDATE = os.environ.get("WINLANG_UPDATE_GOLDEN") == "1"

MIX = """campaign "mix"
  audience consent_sms and phone is not null

template hi sms "Hi {first_name}"

rule name_and_time: when lower(first_name) starts with "a" and email ends with "%_x"
                    and days_since(last_purchase_at) between 7 and 30
                    then send sms hi
rule spend:  when count(purchase within 1 year) >= 2 and sum(purchase.amount within 1 year) > 100
             and last(view).product_name contains "Shoe"
             then send sms hi
rule gift:   when birthday is today and not opened email within 30 days and
             lifetime_value / 2 > 10
             then send sms hi
"""

SPLIT_REPEAT = """campaign "split-repeat"
  audience consent_sms

template hello_a sms "Hello {first_name}"
template hello_b sms "Hi {first_name}"
template greeting sms "Happy birthday {first_name}"

rule hello: when days_since(last_purchase_at) >= 60 and not received hello_a then split
              50% send sms hello_a
              50% send sms hello_b
rule birthday: when birthday is today then send sms greeting repeat every 1 year
"""

# name: (campaign text, optimizer passes skipped, state flags true for someone)
CAMPAIGNS = {
    "ladder": (LADDER, (), {}),
    "ladder_unfused": (LADDER, ("fuse_event_aggregates",), {}),
    "mix": (MIX, (), {}),
    "split_repeat": (SPLIT_REPEAT, (), {("fired", "birthday"): [7]}),
}
DIALECTS = ["sqlite", "duckdb", "postgresql"]


def statement_sql(name: str, dialect: str) -> str:
    text, skip, facts = CAMPAIGNS[name]
    plan = compile_plan(text, SCHEMA, skip)
    flags = {
        node: np.asarray(facts.get((node.state, node.key), []), dtype=np.int64)
        for node in ir.walk(*plan.roots())
        if isinstance(node, ir.StateFlag)
    }
    statement = decide_statement(plan, Layout(), dialect_named(dialect), flags)
    return statement.sql(display_dialect(dialect)).rstrip() + "\n"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(CAMPAIGNS))
def test_golden_sql(name, dialect):
    if dialect == "duckdb":
        pytest.importorskip("duckdb_engine")
    path = GOLDEN / dialect / f"{name}.sql"
    got = statement_sql(name, dialect)
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote missing golden file {path}; review it and run again")
    assert got == path.read_text(encoding="utf-8"), (
        f"{path} differs; review and regenerate with WINLANG_UPDATE_GOLDEN=1"
    )


def test_golden_sql_binds_every_value():
    sql = statement_sql("mix", "postgresql")
    for value in ("'a'", "'%_x'", "'Shoe'", "'purchase'", "'view'", "'email'", "100", "'hi'"):
        assert value not in sql
