"""The suppressions a SQL store selects in its own query are the ones the Python filter finds.

A run on SQLite, DuckDB or PostgreSQL asks the database for the suppressing (customer,
channel) pairs of its matched customers (``SqlSource.suppressing_pairs``); Parquet and CSV
folders, the ingested events and ``explain`` read the events and filter them in Python
(``suppressing_rows``). Both read the one :data:`SUPPRESSING`: here, over generated events
(types, channels, bounce types in odd spellings, times on both sides of now, ids of either
kind, columns present or not), the pairs from each database equal those of the same events
in memory, and both equal the documented rules (``tests/policies/test_suppressions.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from winlang.contracts.source import Layout
from winlang.policies.contact import ALL, SuppressionMasks
from winlang.policies.suppressions import suppression_pairs
from winlang.sources.memory import MemorySource
from winlang.sources.sql import SqlSource

pytest_plugins = ["tests.fixtures.postgres"]

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TYPES = ["unsubscribe", "complaint", "hard_bounce", "bounce", "open", "Unsubscribe", "BOUNCE"]
CHANNELS = [None, "", "  ", "\t", "email", " sms", "sms", "Email"]
# Hard in every spelling the docs allow; soft or unknown otherwise: a vertical tab and a
# no-break space are not among the characters left out, a full-width HARD is not ASCII.
BOUNCE_TYPES = [
    None,
    "",
    "hard",
    "HardBounce",
    "Permanent",
    "hard-bounce",
    "Hard Bounce",
    "hard\tbounce",
    "HARD_BOUNCE",
    "-hard-",
    "hard\x0bbounce",
    "hard\u00a0bounce",
    "\uff28\uff21\uff32\uff24",
    "soft",
    "Transient",
    "perm anent",
]
# Seconds from now: far before, within a day before (where SQLite's text compare is widened),
# exactly now, just after.
OFFSETS = [-5 * 86_400, -86_400 - 1, -3_600, -1, 0, 1, 3_600, 2 * 86_400]
# How SQLite may hold a time as text (all the same instant).
TEXT_TIMES = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"]

CUSTOMERS = 6
events_strategy = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(1, CUSTOMERS + 1)),  # 7: nobody's
        st.sampled_from(TYPES),
        st.sampled_from(CHANNELS),
        st.sampled_from(OFFSETS),
        st.sampled_from(BOUNCE_TYPES),
        st.sampled_from(TEXT_TIMES),
    ),
    max_size=25,
)
cases = st.fixed_dictionaries(
    {
        "events": events_strategy,
        "matched": st.lists(st.integers(1, CUSTOMERS), unique=True),
        "customer_ids": st.sampled_from(["number", "text"]),
        "event_ids": st.sampled_from(["number", "text"]),
        "channel": st.booleans(),
        "bounce_type": st.booleans(),
    }
)


def customer_id(number: int | None, kind: str) -> object:
    return number if number is None or kind == "number" else f"c{number}"


class Store:
    """One database, its tables made again for every example."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = sa.make_url(url).get_backend_name()
        # psycopg prepares a statement it runs often, with the parameter types of the table
        # it first saw: the tables change type from one example to the next.
        options = {"prepare_threshold": None} if self.dialect == "postgresql" else {}
        self.engine = sa.create_engine(url, connect_args=options)

    def write(self, case: dict) -> None:
        text = "VARCHAR"
        ids = {"number": "BIGINT", "text": text}
        time = {"sqlite": "DATETIME"}.get(self.dialect, "TIMESTAMP")
        columns = [
            f"customer_id {ids[case['event_ids']]}",
            f"type {text}",
            f"occurred_at {time}",
            *([f"channel {text}"] if case["channel"] else []),
            *([f"bounce_type {text}"] if case["bounce_type"] else []),
        ]
        with self.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS events")
            connection.exec_driver_sql("DROP TABLE IF EXISTS customers")
            connection.exec_driver_sql(f"CREATE TABLE customers (id {ids[case['customer_ids']]})")
            connection.exec_driver_sql(f"CREATE TABLE events ({', '.join(columns)})")
            connection.execute(
                sa.text("INSERT INTO customers VALUES (:id)"),
                [{"id": customer_id(i, case["customer_ids"])} for i in range(1, CUSTOMERS + 1)],
            )
            if case["events"]:
                names = [c.split()[0] for c in columns]
                marks = ", ".join(f":{n}" for n in names)
                rows = [self._row(event, case) for event in case["events"]]
                connection.execute(
                    sa.text(f"INSERT INTO events ({', '.join(names)}) VALUES ({marks})"),
                    [{n: row[n] for n in names} for row in rows],
                )
        # Closed once written, as a writer in another process would be: winlang opens a
        # DuckDB store read-only, which DuckDB refuses while this process has it open to write.
        self.engine.dispose()

    def _row(self, event: tuple, case: dict) -> dict:
        number, kind, channel, offset, bounce, form = event
        at = NOW.replace(tzinfo=None) + timedelta(seconds=offset)
        return {
            "customer_id": customer_id(number, case["event_ids"]),
            "type": kind,
            "channel": channel,
            "occurred_at": at.strftime(form) if self.dialect == "sqlite" else at,
            "bounce_type": bounce,
        }

    def source(self) -> SqlSource:
        return SqlSource(self.url)


def in_memory(case: dict) -> MemorySource:
    """The same customers and events as an in-memory store (read and filtered in Python)."""
    events = case["events"]
    kind = case["event_ids"]
    table = {
        "customer_id": pa.array(
            [customer_id(e[0], kind) for e in events],
            pa.int64() if kind == "number" else pa.string(),
        ),
        "type": pa.array([e[1] for e in events], pa.string()),
        "occurred_at": pa.array(
            [NOW.replace(tzinfo=None) + timedelta(seconds=e[3]) for e in events],
            pa.timestamp("us"),
        ),
    }
    if case["channel"]:
        table["channel"] = pa.array([e[2] for e in events], pa.string())
    if case["bounce_type"]:
        table["bounce_type"] = pa.array([e[4] for e in events], pa.string())
    ids = [customer_id(i, case["customer_ids"]) for i in range(1, CUSTOMERS + 1)]
    return MemorySource(pa.table({"id": ids}), pa.table(table), Layout())


def documented(case: dict) -> set[tuple[str, str]]:
    """The pairs the rules of docs/policies.md give, one event at a time, for every customer
    id in the events ("spaces" in a bounce type: the blanks of RE2's `\\s`)."""
    found = set()
    for number, kind, channel, offset, bounce, _form in case["events"]:
        bounce = bounce if case["bounce_type"] else None
        plain = "".join(c for c in (bounce or "").lower() if c not in " \t\n\f\r_-")
        hard = kind == "bounce" and plain in ("hard", "hardbounce", "permanent")
        suppresses = kind in ("unsubscribe", "complaint", "hard_bounce") or hard
        if suppresses and offset <= 0 and number is not None:
            channel = (channel if case["channel"] else None) or ""
            found.add((str(customer_id(number, case["event_ids"])), channel.strip() or ALL))
    return found


def matched_ids(case: dict) -> np.ndarray:
    ids = [customer_id(i, case["customer_ids"]) for i in sorted(case["matched"])]
    return np.array(ids, dtype=np.int64 if case["customer_ids"] == "number" else object)


def check(store: Store, case: dict) -> None:
    store.write(case)
    sql, memory = store.source(), in_memory(case)
    expected = documented(case)
    assert suppression_pairs(sql, None, NOW) == expected
    assert suppression_pairs(memory, None, NOW) == expected
    ids = matched_ids(case)
    texts = {str(i) for i in ids.tolist()}
    pushed = suppression_pairs(sql, None, NOW, ids)
    filtered = suppression_pairs(memory, None, NOW, ids)
    assert isinstance(pushed, SuppressionMasks) and isinstance(filtered, SuppressionMasks)
    assert set(pushed) == set(filtered) == {p for p in expected if p[0] in texts}
    for channel in ("email", "sms", "Email", "push", ALL):
        on = pushed.on(channel, len(ids))
        assert on.tolist() == filtered.on(channel, len(ids)).tolist()
        assert on.tolist() == [
            (str(i), channel) in expected or (str(i), ALL) in expected for i in ids.tolist()
        ]
    sql.sql_engine().dispose()


EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory) -> Store:
    return Store(f"sqlite:///{tmp_path_factory.mktemp('suppressions') / 'shop.db'}")


@pytest.fixture(scope="module")
def duckdb_store(tmp_path_factory) -> Store:
    pytest.importorskip("duckdb_engine")
    return Store(f"duckdb:///{tmp_path_factory.mktemp('suppressions') / 'shop.duckdb'}")


@pytest.fixture(scope="module")
def postgres_store(postgres_url) -> Store:
    store = Store(postgres_url)
    yield store
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS events")
        connection.exec_driver_sql("DROP TABLE IF EXISTS customers")
    store.engine.dispose()


@EXAMPLES
@given(cases)
def test_sqlite_selects_what_the_filter_finds(sqlite_store, case):
    check(sqlite_store, case)


@EXAMPLES
@given(cases)
def test_duckdb_selects_what_the_filter_finds(duckdb_store, case):
    check(duckdb_store, case)


@EXAMPLES
@given(cases)
def test_postgres_selects_what_the_filter_finds(postgres_store, case):
    check(postgres_store, case)


def test_every_spelling_of_a_bounce_type(sqlite_store, duckdb_store):
    """Each bounce type of the list on its own, whatever the examples drew."""
    for store in (sqlite_store, duckdb_store):
        for bounce in BOUNCE_TYPES:
            case = {
                "events": [(1, "bounce", "email", -60, bounce, TEXT_TIMES[0])],
                "matched": [1],
                "customer_ids": "number",
                "event_ids": "number",
                "channel": True,
                "bounce_type": True,
            }
            check(store, case)


def test_an_event_without_a_customer_suppresses_nobody_else_either():
    # A null id among integer ids once made every id of the batch a float ("2.0"), which
    # matched no customer: customer 2's unsubscribe was lost.
    case = {
        "events": [
            (None, "unsubscribe", "sms", -60, None, TEXT_TIMES[0]),
            (2, "unsubscribe", "sms", -60, None, TEXT_TIMES[0]),
        ],
        "matched": [1, 2],
        "customer_ids": "number",
        "event_ids": "number",
        "channel": True,
        "bounce_type": False,
    }
    memory = in_memory(case)
    assert suppression_pairs(memory, None, NOW) == {("2", "sms")}
    masks = suppression_pairs(memory, None, NOW, matched_ids(case))
    assert masks.on("sms", 2).tolist() == [False, True]
