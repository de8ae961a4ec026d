"""Golden SQL: the statement each dialect gets for a few representative campaigns.

The statements are stored indented (``winlang.backends.sql.pretty``: only whitespace
changes) with parameters named by what they hold (``:now_minus_2592000_day``,
``:text_purchase``, ``:number_100``), never their values: every literal and every moment is
bound, and a new value in a campaign adds its own name without renaming the others. A change
to the generated SQL shows up here as a diff to review; regenerate with
``WINLANG_UPDATE_GOLDEN=1 .venv/bin/pytest tests/backends/test_sql_golden.py``. The statement
the engine actually runs on each database, shown the same way, is the golden one.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from winlang.backends.base import RunContext
from winlang.backends.sql import SqlBackend
from winlang.backends.sql.binds import readable_names
from winlang.backends.sql.dialects import dialect_named
from winlang.backends.sql.pretty import rename_binds, shown, shown_executed, tokens
from winlang.backends.sql.statement import decide_statement, display_dialect
from winlang.contracts.errors import PushdownError
from winlang.contracts.source import Layout
from winlang.plan import ir

from .sql_support import (
    DATABASES,
    LADDER,
    NOW,
    SCHEMA,
    FakeState,
    ago,
    compile_plan,
    customers,
    events,
    make_engine,
    store,
)

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
    # the same without case mapping, which Trino refuses
    "mix_uncased": (MIX.replace("lower(first_name)", "first_name"), (), {}),
    "split_repeat": (SPLIT_REPEAT, (), {("fired", "birthday"): [7]}),
}
# databricks: Spark SQL as the Spark stores run it, compiled by databricks-sqlalchemy (the
# spark extra); its run on Spark is tested by the conformance and end-to-end suites.
# trino: compiled by the trino client's SQLAlchemy dialect (the spark extra), not executed in
# CI; it refuses case mapping, so "mix" is "mix_uncased" there (test_trino_refuses_case_mapping).
DIALECTS = ["sqlite", "duckdb", "postgresql", "databricks", "trino"]
DRIVERS = {
    "duckdb": "duckdb_engine",
    "databricks": "databricks.sqlalchemy",
    "trino": "trino.sqlalchemy",
}

# Campaigns a dialect refuses to compile (never a wrong statement): Trino's lower/upper map
# one code point at a time, where the language's are Python's full Unicode mapping.
REFUSED = {"trino": {"mix"}}


def golden_select(name: str, dialect: str, text: str | None = None) -> sa.Select:
    campaign, skip, facts = CAMPAIGNS[name]
    plan = compile_plan(text or campaign, SCHEMA, skip)
    flags = {
        node: np.asarray(facts.get((node.state, node.key), []), dtype=np.int64)
        for node in ir.walk(*plan.roots())
        if isinstance(node, ir.StateFlag)
    }
    return decide_statement(plan, Layout(), dialect_named(dialect), flags).select


def statement_sql(name: str, dialect: str) -> str:
    return shown(golden_select(name, dialect), display_dialect(dialect))


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(CAMPAIGNS))
def test_golden_sql(name, dialect):
    if dialect in DRIVERS:
        pytest.importorskip(DRIVERS[dialect])
    if name in REFUSED.get(dialect, ()):
        with pytest.raises(PushdownError, match="can't"):
            statement_sql(name, dialect)
        assert not (GOLDEN / dialect / f"{name}.sql").exists()
        return
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
    sql = re.sub(r":\w+", ":_", statement_sql("mix", "postgresql"))  # bind names aside
    for value in ("'a'", "'%_x'", "'Shoe'", "'purchase'", "'view'", "'email'", "100", "'hi'"):
        assert value not in sql


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(CAMPAIGNS))
def test_the_pretty_statement_is_the_compiled_one_token_for_token(name, dialect):
    if dialect in DRIVERS:
        pytest.importorskip(DRIVERS[dialect])
    if name in REFUSED.get(dialect, ()):
        pytest.skip(f"{dialect} refuses {name} (test_golden_sql checks the refusal)")
    compiled = golden_select(name, dialect).compile(dialect=display_dialect(dialect))
    names = readable_names(compiled)
    assert tokens(statement_sql(name, dialect)) == tokens(rename_binds(compiled.string, names))


def test_a_new_value_leaves_the_other_names_alone():
    extra = MIX.replace('ends with "%_x"', 'ends with "%_x" and country = "KR"')
    before = statement_sql("mix", "postgresql")
    after = shown(golden_select("mix", "postgresql", extra), display_dialect("postgresql"))
    names = set(re.findall(r"(?<!:):(\w+)", before))
    assert set(re.findall(r"(?<!:):(\w+)", after)) == names | {"text_KR"}


def _store(engine: sa.Engine):
    people = customers(
        first_name=["Ana"],
        country=["KR"],
        lifetime_value=[30.0],
        last_purchase_at=[ago(timedelta(days=10))],
        birthday=[date(2000, 11, 22)],
        consent_sms=[True],
        phone=["+1"],
        consent_push=[False],
        push_token=[None],
        consent_email=[True],
        email=["a@x"],
    )
    found = events([{"customer_id": 1, "type": "purchase", "occurred_at": ago(timedelta(days=3))}])
    return store(engine, people, found)


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path):
    engine = make_engine(request, request.param, tmp_path)
    yield engine
    engine.dispose()


def test_the_golden_statement_is_the_one_that_runs(engine, monkeypatch):
    source = _store(engine)
    dialect = engine.dialect.name
    ran: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if " AS audience" in statement or " AS n" in statement:  # one row, or streamed
            ran.append(shown_executed(statement, context.compiled))

    sa.event.listen(engine, "before_cursor_execute", remember)
    streams = dialect_named(dialect).decision_batches

    def streamed(connection, select, params, rows):  # run by the driver, not a cursor
        compiled = select.compile(dialect=connection.dialect)
        ran.append(shown_executed(compiled.string, compiled))
        return streams(connection, select, params, rows)

    monkeypatch.setattr(type(dialect_named(dialect)), "decision_batches", staticmethod(streamed))
    try:
        for name in sorted(CAMPAIGNS):
            text, skip, facts = CAMPAIGNS[name]
            plan = compile_plan(text, SCHEMA, skip)
            SqlBackend().decide(plan, source, RunContext(now=NOW, state=FakeState(facts)))
            assert ran.pop() == (GOLDEN / dialect / f"{name}.sql").read_text(encoding="utf-8")
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
