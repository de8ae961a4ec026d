"""Every IR node type on the NumPy backend, null cases included (hand-built IR, tiny stores)."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest

from winlang.contracts.errors import DataError
from winlang.plan import ir

from .numpy_support import DAY, HOUR, NOW, FakeState, ago, customers, events, values

N = "number"


def col(name: str, kind: str = N, source_kind: str = "") -> ir.Column:
    return ir.Column(name, kind, source_kind)


def lit(value, kind: str = N) -> ir.Literal:
    return ir.Literal(value, kind)


def ts(*moments) -> pa.Array:
    return pa.array(list(moments), pa.timestamp("us"))


BOOLS = pa.array([True, True, True, False, False, False, None, None, None])
OTHER = pa.array([True, False, None, True, False, None, True, False, None])
KLEENE = customers(a=BOOLS, b=OTHER)


# ---- leaves and arithmetic ------------------------------------------------------------------


def test_columns_and_literals():
    table = customers(x=[1.5, None], t=["a", None])
    assert values(col("x"), table) == [1.5, None]
    assert values(col("t", "text"), table) == ["a", None]
    assert values(lit(3), table) == [3.0, 3.0]
    assert values(lit(None, "null"), table) == [None, None]
    assert values(lit("hi", "text"), table) == ["hi", "hi"]


def test_integer_columns_become_numbers():
    assert values(col("n"), customers(n=pa.array([2, None], pa.int32()))) == [2.0, None]


def test_now_minus():
    assert values(ir.NowMinus(3600.0), customers(x=[1])) == [ago(HOUR)]


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("+", [7.0, None, None, 5.0]),
        ("-", [3.0, None, None, 5.0]),
        ("*", [10.0, None, None, 0.0]),
        ("/", [2.5, None, None, None]),
    ],
)
def test_arith(op, expected):
    table = customers(x=[5.0, None, 1.0, 5.0], y=[2.0, 1.0, None, 0.0])
    assert values(ir.Arith(op, col("x"), col("y")), table) == expected


def test_division_is_true_division_and_zero_gives_null():
    table = customers(x=[3.0, 0.0])
    assert values(ir.Arith("/", col("x"), lit(2)), table) == [1.5, 0.0]
    assert values(ir.Arith("/", col("x"), lit(0)), table) == [None, None]
    assert values(ir.Arith("/", lit(1), col("x")), table) == [1 / 3, None]


def test_negate_and_abs():
    table = customers(x=[-2.0, None])
    assert values(ir.Negate(col("x")), table) == [2.0, None]
    assert values(ir.Function("abs", (col("x"),)), table) == [2.0, None]


# ---- comparison --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("=", [False, True, None]),
        ("!=", [True, False, None]),
        ("<", [True, False, None]),
        ("<=", [True, True, None]),
        (">", [False, False, None]),
        (">=", [False, True, None]),
    ],
)
def test_compare_numbers(op, expected):
    table = customers(x=[1.0, 2.0, None])
    assert values(ir.Compare(op, col("x"), lit(2)), table) == expected


def test_compare_with_the_constant_on_the_left():
    table = customers(x=[1.0, 3.0])
    assert values(ir.Compare("<", lit(2), col("x")), table) == [False, True]


def test_compare_with_null_literal_is_null():
    assert values(ir.Compare("=", col("x"), lit(None, "null")), customers(x=[1.0])) == [None]


def test_text_compares_by_code_point():
    table = customers(t=["B", "a", "é", "z", None])
    assert values(ir.Compare("<", col("t", "text"), lit("b", "text")), table) == [
        True,
        True,
        False,
        False,
        None,
    ]
    assert values(ir.Compare(">", col("t", "text"), lit("z", "text")), table) == [
        False,
        False,
        True,
        False,
        None,
    ]


def test_text_columns_compare_with_each_other():
    table = customers(a=["x", "b", "B", None, "same"], b=["y", "a", "b", "a", "same"])
    got = values(ir.Compare("<", col("a", "text"), col("b", "text")), table)
    assert got == [True, False, True, None, False]
    got = values(ir.Compare("=", col("a", "text"), col("b", "text")), table)
    assert got == [False, False, False, None, True]


def test_text_equality_through_a_dictionary_column():
    tiers = pa.array(["gold", None, "silver", "gold"]).dictionary_encode()
    table = customers(tier=tiers)
    assert values(ir.Compare("=", col("tier", "text"), lit("gold", "text")), table) == [
        True,
        None,
        False,
        True,
    ]


def test_timestamps_and_dates_compare():
    table = customers(t=ts(ago(DAY), None), d=pa.array([date(2026, 11, 22), None]))
    got = values(ir.Compare(">", col("t", "timestamp"), ir.NowMinus(2 * 86400.0)), table)
    assert got == [True, None]
    midnight = lit(datetime(2026, 11, 22), "timestamp")
    assert values(ir.Compare("=", col("d", "timestamp", "date"), midnight), table) == [True, None]


def test_bool_columns_compare():
    table = customers(b=[True, False, None])
    assert values(ir.Compare("=", col("b", "bool"), lit(True, "bool")), table) == [
        True,
        False,
        None,
    ]


# ---- Kleene logic --------------------------------------------------------------------------


def test_and_truth_table():
    got = values(ir.And((col("a", "bool"), col("b", "bool"))), KLEENE)
    assert got == [True, False, None, False, False, False, None, False, None]


def test_or_truth_table():
    got = values(ir.Or((col("a", "bool"), col("b", "bool"))), KLEENE)
    assert got == [True, True, True, True, False, None, True, None, None]


def test_not_keeps_null():
    assert values(ir.Not(col("a", "bool")), KLEENE)[::3] == [False, True, None]


def test_and_or_with_constants():
    a = col("a", "bool")
    null = lit(None, "bool")
    assert values(ir.And((a, null)), KLEENE)[::3] == [None, False, None]
    assert values(ir.Or((a, null)), KLEENE)[::3] == [True, None, None]
    assert values(ir.And((a, lit(False, "bool"))), KLEENE)[::3] == [False] * 3
    assert values(ir.Or((lit(True, "bool"), a)), KLEENE)[::3] == [True] * 3


def test_and_stops_once_every_row_is_false():
    table = customers(x=[1.0, 2.0])
    boom = ir.Function("boom", (col("x"),))  # no such function: raises if evaluated
    node = ir.And((ir.Compare(">", col("x"), lit(5)), ir.Compare(">", boom, lit(1))))
    assert values(node, table) == [False, False]
    node = ir.Or((ir.Compare("<", col("x"), lit(5)), ir.Compare(">", boom, lit(1))))
    assert values(node, table) == [True, True]
    with pytest.raises(NotImplementedError, match="no function `boom`"):
        values(ir.And((ir.Compare("<", col("x"), lit(2)), ir.Compare(">", boom, lit(1)))), table)


def test_is_null_is_never_null():
    table = customers(x=[1.0, None], t=["a", None])
    assert values(ir.IsNull(col("x")), table) == [False, True]
    assert values(ir.IsNull(col("t", "text")), table) == [False, True]
    assert values(ir.IsNull(lit(None, "null")), table) == [True, True]


# ---- sets and text ---------------------------------------------------------------------------


def test_in_set_text():
    table = customers(c=["KR", "HU", None])
    node = ir.InSet(col("c", "text"), (lit("KR", "text"), lit("RO", "text")))
    assert values(node, table) == [True, False, None]


def test_in_set_with_a_null_value_follows_sql():
    table = customers(c=["KR", "HU", None], n=[1.0, 2.0, None])
    node = ir.InSet(col("c", "text"), (lit("KR", "text"), lit(None, "null")))
    assert values(node, table) == [True, None, None]
    node = ir.InSet(col("n"), (lit(1), lit(None, "null")))
    assert values(node, table) == [True, None, None]


def test_in_set_numbers_and_timestamps():
    table = customers(n=[1.0, 2.5, None], t=ts(ago(DAY), ago(2 * DAY), None))
    assert values(ir.InSet(col("n"), (lit(2.5), lit(3))), table) == [False, True, None]
    node = ir.InSet(col("t", "timestamp"), (lit(NOW - DAY, "timestamp"),))
    assert values(node, table) == [True, False, None]


@pytest.mark.parametrize(
    ("op", "pattern", "expected"),
    [
        ("starts_with", "A", [True, False, False, None]),
        ("ends_with", "@x.com", [False, True, False, None]),
        ("contains", "_", [False, False, True, None]),
        ("contains", "%", [False, False, False, None]),
        ("contains", "", [True, True, True, None]),
    ],
)
def test_text_match_is_literal_and_case_sensitive(op, pattern, expected):
    table = customers(t=["Ana", "ana@x.com", "a_b", None])
    assert values(ir.TextMatch(op, col("t", "text"), lit(pattern, "text")), table) == expected


def test_text_match_with_a_column_pattern():
    table = customers(t=["김민준", "Ana", "Bob", None], p=["민", "B", None, "x"])
    node = ir.TextMatch("contains", col("t", "text"), col("p", "text"))
    assert values(node, table) == [True, False, None, None]


def test_text_match_null_pattern():
    node = ir.TextMatch("contains", col("t", "text"), lit(None, "null"))
    assert values(node, customers(t=["a"])) == [None]


def test_lower_and_upper_follow_python():
    names = ["ÁGNES", "ştefan", "straße", "İstanbul", "ASCII", None]
    table = customers(t=names)
    assert values(ir.Function("lower", (col("t", "text"),)), table) == [
        n.lower() if n else None for n in names
    ]
    assert values(ir.Function("upper", (col("t", "text"),)), table) == [
        n.upper() if n else None for n in names
    ]


def test_lower_of_duplicates_then_equality():
    table = customers(t=["Ana", "ANA", "ana", "Bo"])
    node = ir.Compare("=", ir.Function("lower", (col("t", "text"),)), lit("ana", "text"))
    assert values(node, table) == [True, True, True, False]


def test_length_in_code_points():
    table = customers(t=["김민준", "abc", "", None])
    assert values(ir.Function("length", (col("t", "text"),)), table) == [3.0, 3.0, 0.0, None]


def test_coalesce():
    table = customers(a=["x", None, None], b=["y", "z", None], n=[1.0, None, None])
    text = ir.Function("coalesce", (col("a", "text"), col("b", "text"), lit("-", "text")))
    assert values(text, table) == ["x", "z", "-"]
    assert values(ir.Function("coalesce", (col("n"), lit(0))), table) == [1.0, 0.0, 0.0]
    only_nulls = ir.Function("coalesce", (col("a", "text"), col("b", "text")))
    assert values(only_nulls, table) == ["x", "z", None]


def test_coalesce_timestamps():
    table = customers(a=ts(ago(DAY), None), b=ts(ago(HOUR), ago(HOUR)))
    node = ir.Function("coalesce", (col("a", "timestamp"), col("b", "timestamp")))
    assert values(node, table) == [ago(DAY), ago(HOUR)]


# ---- time -----------------------------------------------------------------------------------


def test_days_since_floors_toward_minus_infinity():
    moments = ts(ago(90 * DAY), ago(90 * DAY - HOUR), ago(-HOUR), ago(-25 * HOUR), None)
    node = ir.DaysSince(col("t", "timestamp"))
    assert values(node, customers(t=moments)) == [90.0, 89.0, -1.0, -2.0, None]


def test_days_since_of_a_date_counts_from_midnight_utc():
    table = customers(d=pa.array([date(2026, 11, 19), date(2026, 11, 22), None]))
    assert values(ir.DaysSince(col("d", "timestamp", "date")), table) == [3.0, 0.0, None]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2027, 2, 28, 12), [True, False, False, None]),  # not a leap year
        (datetime(2028, 2, 28, 12), [False, False, False, None]),  # leap year: wait a day
        (datetime(2028, 2, 29, 12), [True, False, False, None]),
        (datetime(2027, 3, 1, 12), [False, True, False, None]),
        (datetime(2026, 11, 22, 23), [False, False, True, None]),
    ],
)
def test_is_anniversary(now, expected):
    from datetime import UTC

    born = pa.array([date(2000, 2, 29), date(1990, 3, 1), date(1990, 11, 22), None])
    node = ir.IsAnniversary(col("d", "timestamp", "date"))
    assert values(node, customers(d=born), now=now.replace(tzinfo=UTC)) == expected


def test_is_anniversary_uses_the_utc_date_of_timestamps():
    moments = ts(datetime(1999, 11, 22, 23, 59), datetime(1999, 11, 21, 23, 59))
    assert values(ir.IsAnniversary(col("t", "timestamp")), customers(t=moments)) == [True, False]


# ---- event aggregates ----------------------------------------------------------------------

OPENS = events(
    [
        {"customer_id": 1, "type": "open", "channel": "email", "occurred_at": ago(10 * DAY)},
        {"customer_id": 1, "type": "open", "channel": "sms", "occurred_at": ago(40 * DAY)},
        {"customer_id": 2, "type": "open", "channel": "email", "occurred_at": ago(30 * DAY)},
        {"customer_id": 2, "type": "open", "channel": "email", "occurred_at": ago(-HOUR)},  # future
        {"customer_id": 3, "type": "click", "channel": "email", "occurred_at": ago(DAY)},
        {
            "customer_id": 3,
            "type": "open",
            "channel": "email",
            "campaign": "c",
            "template": "t",
            "occurred_at": ago(30 * DAY + HOUR),
        },
        {"customer_id": 99, "type": "open", "channel": "email", "occurred_at": ago(DAY)},  # orphan
    ]
)
FOUR = customers(x=[1, 2, 3, 4])


def agg(
    function: str, event_type: str = "open", prop: str | None = None, kind: str = N, **found
) -> ir.EventAggregate:
    return ir.EventAggregate(function, ir.EventFilter(event_type, **found), prop, kind)


def test_exists_is_never_null_and_ignores_future_events():
    assert values(agg("exists"), FOUR, OPENS) == [True, True, True, False]
    assert values(agg("exists", channel="sms"), FOUR, OPENS) == [True, False, False, False]
    assert values(agg("exists", "click"), FOUR, OPENS) == [False, False, True, False]


def test_window_includes_its_edge():
    window = 30 * 86400.0
    got = values(agg("exists", channel="email", window=window), FOUR, OPENS)
    assert got == [True, True, False, False]


def test_campaign_and_template_must_match():
    got = values(agg("exists", campaign="c", template="t"), FOUR, OPENS)
    assert got == [False, False, True, False]
    assert values(agg("exists", campaign="c", template="x"), FOUR, OPENS) == [False] * 4


def test_count_is_zero_for_none():
    assert values(agg("count"), FOUR, OPENS) == [2.0, 1.0, 1.0, 0.0]


PURCHASES = events(
    [
        {
            "customer_id": 1,
            "type": "purchase",
            "amount": 10.0,
            "occurred_at": ago(DAY),
            "product_name": "Hat",
        },
        {
            "customer_id": 1,
            "type": "purchase",
            "amount": None,
            "occurred_at": ago(2 * DAY),
            "product_name": "Shoes",
        },
        {"customer_id": 1, "type": "purchase", "amount": 5.5, "occurred_at": ago(400 * DAY)},
        {"customer_id": 2, "type": "purchase", "amount": None, "occurred_at": ago(DAY)},
        {
            "customer_id": 3,
            "type": "purchase",
            "amount": 1.0,
            "occurred_at": ago(3 * DAY),
            "product_name": "Bag",
        },
        {
            "customer_id": 3,
            "type": "purchase",
            "amount": 2.0,
            "occurred_at": ago(3 * DAY),
            "product_name": "Cap",
        },
        {
            "customer_id": 3,
            "type": "purchase",
            "amount": 9.0,
            "occurred_at": ago(3 * DAY),
            "product_name": None,
        },
    ]
)


def test_sum_skips_null_amounts_and_is_zero_for_none():
    assert values(agg("sum", "purchase", "amount"), FOUR, PURCHASES) == [15.5, 0.0, 12.0, 0.0]
    year = 365 * 86400.0
    assert values(agg("sum", "purchase", "amount", window=year), FOUR, PURCHASES) == [
        10.0,
        0.0,
        12.0,
        0.0,
    ]


def test_last_is_null_for_none():
    assert values(agg("last", "purchase"), FOUR, PURCHASES) == [
        ago(DAY),
        ago(DAY),
        ago(3 * DAY),
        None,
    ]


def test_last_value_takes_the_latest_event_and_the_greatest_value_on_ties():
    got = values(agg("last_value", "purchase", "product_name", "text"), FOUR, PURCHASES)
    assert got == ["Hat", None, "Cap", None]
    got = values(agg("last_value", "purchase", "amount"), FOUR, PURCHASES)
    assert got == [10.0, None, 9.0, None]


def test_last_value_across_event_batches():
    # Three event batches (MemorySource hands out a table's chunks): the winners must be
    # picked across them, and dictionaries of different batches need not agree.
    chunks = [PURCHASES.slice(i, 1) for i in range(PURCHASES.num_rows)]
    split = pa.concat_tables(chunks)
    assert split.column("type").num_chunks == PURCHASES.num_rows
    got = values(agg("last_value", "purchase", "product_name", "text"), FOUR, split)
    assert got == ["Hat", None, "Cap", None]
    assert values(agg("count", "purchase"), FOUR, split) == [3.0, 1.0, 3.0, 0.0]


def test_last_value_of_timestamps_and_bools():
    rows = events(
        [
            {"customer_id": 1, "type": "view", "occurred_at": ago(DAY)},
            {"customer_id": 1, "type": "view", "occurred_at": ago(DAY)},
        ]
    )
    rows = rows.append_column("seen", ts(ago(5 * DAY), ago(4 * DAY)))
    rows = rows.append_column("flag", pa.array([False, True]))
    got = values(agg("last_value", "view", "seen", "timestamp"), FOUR, rows)
    assert got == [ago(4 * DAY), None, None, None]
    assert values(agg("last_value", "view", "flag", "bool"), FOUR, rows) == [True, None, None, None]


def test_events_of_unknown_customers_are_ignored():
    lone = events(
        [
            {"customer_id": 7, "type": "open", "occurred_at": ago(DAY)},
            {"customer_id": None, "type": "open", "occurred_at": ago(DAY)},
        ]
    )
    assert values(agg("count"), FOUR, lone) == [0.0] * 4


# ---- state -----------------------------------------------------------------------------------


def test_state_flags_are_membership_and_never_null():
    state = FakeState({("received", "coupon"): [2, 4, 42]})
    node = ir.StateFlag("received", "coupon")
    assert values(node, FOUR, state=state) == [False, True, False, True]
    assert values(ir.StateFlag("in_list", "vip"), FOUR, state=state) == [False] * 4
    assert state.asked[0] == (node, "")


# ---- data errors -----------------------------------------------------------------------------


def test_missing_column_is_a_data_error():
    unprojected = ir.Plan(campaign="", audience=ir.TRUE, rules=())  # scan=None: read all
    with pytest.raises(DataError, match="no column `nope`"):
        values(col("nope"), FOUR, plan=unprojected)


def test_unparseable_value_names_the_column_and_the_value():
    table = customers(t=["2026-01-01 10:00:00", "yesterday"])
    with pytest.raises(DataError, match=r"customers\.t.*'yesterday'"):
        values(ir.DaysSince(col("t", "timestamp")), table)
