"""Hypothesis strategies: random, well-typed campaign conditions as text, and a null-heavy store.

Expressions use the conformance schema's fields. Values sit on the edges that backends get
wrong: nulls everywhere, times exactly a window away from now, zero divisors, non-ASCII text,
`%` and `_` in text, events after now.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa
from hypothesis import strategies as st

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)

NUMBER_FIELDS = ("lifetime_value", "orders")
TEXT_FIELDS = ("tier", "country", "first_name", "email")
TIME_FIELDS = ("last_purchase_at", "last_visit_at", "signup_at", "birthday")
TEXTS = ("gold", "silver", "", "Ana", "ÁGNES", "ágnes", "김민준", "a_b", "a%b", "KR", "ro", "B")
DURATIONS = ("1 hour", "12 hours", "1 day", "7 days", "2 weeks", "1 month", "3 months", "1 year")
EVENT_TYPES = ("open", "click", "purchase", "visit", "view")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


numbers = st.sampled_from(["0", "1", "2", "3", "7", "10", "20.5", "100", "90", "-1", "0.5"])
texts = st.sampled_from(TEXTS).map(_quote)
durations = st.sampled_from(DURATIONS)


def number_expr(depth: int = 2) -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(NUMBER_FIELDS),
        numbers,
        st.sampled_from(TIME_FIELDS).map(lambda f: f"days_since({f})"),
        st.sampled_from(TEXT_FIELDS).map(lambda f: f"length({f})"),
        st.sampled_from(EVENT_TYPES).map(lambda t: f"count({t})"),
        st.tuples(st.sampled_from(EVENT_TYPES), durations).map(
            lambda p: f"count({p[0]} within {p[1]})"
        ),
        durations.map(lambda d: f"sum(purchase.amount within {d})"),
    )
    if depth == 0:
        return leaves
    inner = number_expr(depth - 1)
    return st.one_of(
        leaves,
        st.tuples(inner, st.sampled_from("+-*/"), inner).map(lambda p: f"({p[0]} {p[1]} {p[2]})"),
        inner.map(lambda e: f"abs({e})"),
        st.tuples(inner, inner).map(lambda p: f"coalesce({p[0]}, {p[1]})"),
    )


def text_expr() -> st.SearchStrategy[str]:
    field = st.sampled_from(TEXT_FIELDS)
    return st.one_of(
        field,
        field.map(lambda f: f"lower({f})"),
        field.map(lambda f: f"upper({f})"),
        st.sampled_from(EVENT_TYPES[4:]).map(lambda t: f"last({t}).product_name"),
    )


# `within D` keeps events with now - D <= time <= now; `more than D ago` asks for one before
event_windows = st.one_of(
    st.just(""),
    durations.map(lambda d: f" within {d}"),
    durations.map(lambda d: f" more than {d} ago"),
)


def predicate() -> st.SearchStrategy[str]:
    comparison = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    time = st.sampled_from(TIME_FIELDS)
    return st.one_of(
        st.tuples(number_expr(), comparison, number_expr()).map(" ".join),
        st.tuples(text_expr(), comparison, texts).map(" ".join),
        st.tuples(
            text_expr(), st.sampled_from(["starts with", "ends with", "contains"]), texts
        ).map(" ".join),
        st.tuples(
            text_expr(), st.sampled_from(["in", "not in"]), st.lists(texts, min_size=1, max_size=3)
        ).map(lambda p: f"{p[0]} {p[1]} ({', '.join(p[2])})"),
        st.tuples(
            number_expr(1), st.sampled_from(["between", "not between"]), numbers, numbers
        ).map(lambda p: f"{p[0]} {p[1]} {p[2]} and {p[3]}"),
        st.tuples(
            st.sampled_from(NUMBER_FIELDS + TEXT_FIELDS + TIME_FIELDS + ("consent_sms",)),
            st.sampled_from(["is null", "is not null"]),
        ).map(" ".join),
        st.tuples(time, durations).map(lambda p: f"{p[0]} within {p[1]}"),
        st.tuples(time, st.sampled_from(["before", "after"]), durations).map(
            lambda p: f"{p[0]} {p[1]} {p[2]} ago"
        ),
        time.map(lambda f: f"{f} is today"),
        st.sampled_from(["consent_sms", "consent_sms = true"]),
        st.tuples(
            st.sampled_from(["opened", "clicked"]),
            st.sampled_from(["email", "sms", "any", "survey", "coupon"]),
            event_windows,
        ).map(lambda p: f"{p[0]} {p[1]}{p[2]}"),
        st.tuples(
            st.sampled_from(["purchased", "visited", "viewed"]),
            event_windows,
        ).map("".join),
        st.tuples(
            time, comparison, st.sampled_from(['"2026-11-15"', '"2026-08-24T10:00:00Z"'])
        ).map(" ".join),
        st.sampled_from(["days_since(last(purchase)) > 30", "last(purchase) is null"]),
    )


def condition(depth: int = 2) -> st.SearchStrategy[str]:
    if depth == 0:
        return predicate()
    inner = condition(depth - 1)
    return st.one_of(
        predicate(),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda p: f"({p[0]} {p[1]} {p[2]})"
        ),
        inner.map(lambda e: f"not {e}"),
    )


# ---- the store ----------------------------------------------------------------------------


def _edges() -> list[datetime | None]:
    """Times a backend can get wrong: exactly a window away, a second either side, future."""
    naive = NOW.replace(tzinfo=None)
    spans = [
        timedelta(hours=1),
        timedelta(hours=12),
        timedelta(days=1),
        timedelta(days=7),
        timedelta(days=14),
        timedelta(days=30),
        timedelta(days=90),
        timedelta(days=365),
    ]
    found: list[datetime | None] = [None, naive, naive + timedelta(hours=1)]
    for span in spans:
        found += [
            naive - span,
            naive - span - timedelta(seconds=1),
            naive - span + timedelta(seconds=1),
        ]
    return found


def store(customers: int = 400, seed: int = 3) -> tuple[pa.Table, pa.Table]:
    """A seeded store: about a third of every column null, values drawn from edge cases."""
    rng = np.random.default_rng(seed)
    times = _edges()

    def pick(values: list, nulls: float = 0.3) -> list:
        chosen = [values[i] for i in rng.integers(0, len(values), customers)]
        return [None if rng.random() < nulls else v for v in chosen]

    dates = [None, date(2000, 11, 22), date(2000, 2, 29), date(2026, 11, 21), date(1990, 11, 22)]
    customer_table = pa.table(
        {
            "id": pa.array(np.arange(1, customers + 1, dtype=np.float64)),
            "first_name": pa.array(pick(list(TEXTS)), pa.string()),
            "email": pa.array(pick(["a_b@x.com", "a%b@x.com", "ana@example.com", ""]), pa.string()),
            "phone": pa.array(pick(["+40700000000"]), pa.string()),
            "tier": pa.array(pick(["gold", "silver", "bronze", "GOLD"]), pa.string()),
            "country": pa.array(pick(["KR", "RO", "US", "ro"]), pa.string()),
            "lifetime_value": pa.array(pick([0.0, 0.5, 10.0, 20.5, 100.0, 500.0]), pa.float64()),
            "orders": pa.array(pick([0.0, 1.0, 2.0, 3.0, 7.0]), pa.float64()),
            "consent_sms": pa.array(pick([True, False]), pa.bool_()),
            "last_purchase_at": pa.array(pick(times), pa.timestamp("us")),
            "last_visit_at": pa.array(pick(times), pa.timestamp("us")),
            "signup_at": pa.array(pick(times), pa.timestamp("us")),
            "birthday": pa.array(pick(dates), pa.date32()),
        }
    )
    count = customers * 4
    event_times = [t for t in times if t is not None]
    columns = {
        "customer_id": rng.integers(1, customers + 1, count).astype(np.float64),
        "type": [EVENT_TYPES[i] for i in rng.integers(0, len(EVENT_TYPES), count)],
        "channel": [[None, "email", "sms", "push"][i] for i in rng.integers(0, 4, count)],
        "campaign": [[None, "conformance", "other"][i] for i in rng.integers(0, 3, count)],
        "template": [[None, "survey", "coupon"][i] for i in rng.integers(0, 3, count)],
        "occurred_at": [event_times[i] for i in rng.integers(0, len(event_times), count)],
        "amount": [[None, 1.0, 2.5, 100.0, 0.25][i] for i in rng.integers(0, 5, count)],
        "product_name": [[None, "Hat", "Shoes", "모자"][i] for i in rng.integers(0, 4, count)],
    }
    event_table = pa.table(
        {
            "customer_id": pa.array(columns["customer_id"]),
            "type": pa.array(columns["type"], pa.string()),
            "channel": pa.array(columns["channel"], pa.string()),
            "campaign": pa.array(columns["campaign"], pa.string()),
            "template": pa.array(columns["template"], pa.string()),
            "occurred_at": pa.array(columns["occurred_at"], pa.timestamp("us")),
            "amount": pa.array(columns["amount"], pa.float64()),
            "product_name": pa.array(columns["product_name"], pa.string()),
        }
    )
    return customer_table, event_table
