"""Every IR node type on the SQL backend, null cases included, on SQLite, DuckDB and PostgreSQL.

Expected values are written out by hand or computed in Python from the language's definition
(floor of days, Kleene logic, code-point order, Python's Unicode case mapping).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from winlang.plan import ir

from .sql_support import (
    DATABASES,
    DAY,
    HOUR,
    NOW,
    US,
    ago,
    col,
    customers,
    make_engine,
    num,
    store,
    text,
    utc,
    values,
    when,
)


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path):
    engine = make_engine(request, request.param, tmp_path)
    yield engine
    engine.dispose()


# ---- leaves -----------------------------------------------------------------------------------


def test_columns_come_back_as_stored(engine):
    people = customers(
        n=[1.5, None, -3.0],
        t=["Ágnes", None, "김민준"],
        b=[True, None, False],
        ts=pa.array(
            [ago(DAY + US), None, datetime(1969, 12, 31, 23, 59, 59, 999999)], pa.timestamp("us")
        ),
        d=pa.array([date(2000, 2, 29), None, date(1970, 1, 1)], pa.date32()),
    )
    source = store(engine, people)
    got = values(
        source,
        [
            col("n"),
            col("t", "text"),
            col("b", "bool"),
            col("ts", "timestamp"),
            col("d", "timestamp", "date"),
        ],
    )
    assert got == [
        [1.5, None, -3.0],
        ["Ágnes", None, "김민준"],
        [True, None, False],
        [ago(DAY + US), None, datetime(1969, 12, 31, 23, 59, 59, 999999)],
        [datetime(2000, 2, 29), None, datetime(1970, 1, 1)],
    ]


def test_literals_and_the_clock(engine):
    source = store(engine, customers(x=[1]))
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901)
    got = values(
        source,
        [
            num(2.5),
            text("O'Neil %_"),
            ir.Literal(True, "bool"),
            when(utc(moment)),
            num(None),
            ir.NowMinus(86400.0),
            ir.NowMinus(0),
        ],
    )
    assert got == [[2.5], ["O'Neil %_"], [True], [moment], [None], [ago(DAY)], [ago(0 * DAY)]]


# ---- numbers ----------------------------------------------------------------------------------


def test_arithmetic_is_float_with_true_division_and_null_for_zero(engine):
    source = store(engine, customers(a=[3, 0, None, -7, 1], b=[2, 0, 5, 2, 3]))
    a, b = col("a"), col("b")
    got = values(
        source,
        [
            ir.Arith("+", a, b),
            ir.Arith("-", a, b),
            ir.Arith("*", a, b),
            ir.Arith("/", a, b),
            ir.Negate(a),
            ir.Function("abs", (a,)),
            ir.Arith("*", a, ir.Arith("+", b, num(1))),
        ],
    )
    assert got == [
        [5, 0, None, -5, 4],
        [1, 0, None, -9, -2],
        [6, 0, None, -14, 3],
        [1.5, None, None, -3.5, 1 / 3],
        [-3, 0, None, 7, -1],
        [3, 0, None, 7, 1],
        [9, 0, None, -21, 4],  # a * (b + 1): the parentheses survive
    ]


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_number_comparisons_with_null(engine, op):
    source = store(engine, customers(a=[1.0, 2.0, 3.0, None]))
    expected = [_py_compare(op, v, 2.0) for v in [1.0, 2.0, 3.0, None]]
    assert values(source, ir.Compare(op, col("a"), num(2))) == expected
    assert values(source, ir.Compare(op, col("a"), num(None))) == [None] * 4


def _py_compare(op, a, b):
    if a is None or b is None:
        return None
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_text_compares_by_code_point(engine, op):
    names = ["B", "a", "é", "z", "Ω", "김", "", None, "ab", "a b"]
    source = store(engine, customers(t=names))
    for other in ("a", "b", "é"):
        expected = [_py_compare(op, v, other) for v in names]
        assert values(source, ir.Compare(op, col("t", "text"), text(other))) == expected, other


# ---- logic ------------------------------------------------------------------------------------

TRUTH = [True, False, None]
PAIRS = [(x, y) for x in TRUTH for y in TRUTH]


def _and(x, y):
    return False if False in (x, y) else (None if None in (x, y) else True)


def _or(x, y):
    return True if True in (x, y) else (None if None in (x, y) else False)


def test_logic_is_kleene(engine):
    source = store(engine, customers(x=[p[0] for p in PAIRS], y=[p[1] for p in PAIRS]))
    x, y = col("x", "bool"), col("y", "bool")
    got = values(
        source,
        [
            ir.And((x, y)),
            ir.Or((x, y)),
            ir.Not(x),
            ir.IsNull(x),
            ir.Not(ir.IsNull(x)),
            ir.And((x, y, ir.Literal(True, "bool"))),
        ],
    )
    assert got == [
        [_and(a, b) for a, b in PAIRS],
        [_or(a, b) for a, b in PAIRS],
        [None if a is None else not a for a, _ in PAIRS],
        [a is None for a, _ in PAIRS],
        [a is not None for a, _ in PAIRS],
        [_and(a, b) for a, b in PAIRS],
    ]


def test_in_set_follows_equality_nulls(engine):
    source = store(engine, customers(t=["gold", "bronze", None]))
    tier = col("t", "text")
    plain = ir.InSet(tier, (text("gold"), text("silver")))
    with_null = ir.InSet(tier, (text("gold"), text(None)))
    got = values(source, [plain, ir.Not(plain), with_null, ir.Not(with_null)])
    assert got == [
        [True, False, None],
        [False, True, None],
        [True, None, None],
        [False, None, None],
    ]


def test_in_set_of_numbers_and_times(engine):
    moment = datetime(2026, 1, 1, 12)
    people = customers(n=[1, 2, None], ts=pa.array([moment, moment + US, None], pa.timestamp("us")))
    source = store(engine, people)
    got = values(
        source,
        [
            ir.InSet(col("n"), (num(2), num(3))),
            ir.InSet(col("ts", "timestamp"), (when(utc(moment)),)),
        ],
    )
    assert got == [[False, True, None], [True, False, None]]
    with_null = ir.InSet(col("ts", "timestamp"), (when(utc(moment)), ir.Literal(None, "timestamp")))
    assert values(source, with_null) == [True, None, None]


# ---- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "pattern", "expected"),
    [
        ("contains", "%", [False, True, False, False, None]),
        ("contains", "_", [False, False, True, False, None]),
        ("contains", "", [True, True, True, True, None]),
        ("starts_with", "A", [True, False, False, False, None]),
        ("starts_with", "a", [False, False, True, False, None]),
        ("ends_with", "@example.com", [True, False, True, False, None]),
        ("ends_with", "", [True, True, True, True, None]),
        ("ends_with", "a very long suffix indeed", [False, False, False, False, None]),
        ("contains", "민", [False, False, False, True, None]),
    ],
)
def test_text_matching_is_literal(engine, op, pattern, expected):
    emails = ["Ana@example.com", "100%", "ana_b@example.com", "김민준", None]
    source = store(engine, customers(t=emails))
    assert values(source, ir.TextMatch(op, col("t", "text"), text(pattern))) == expected


def test_text_matching_with_a_null_pattern(engine):
    source = store(engine, customers(t=["a", None]))
    assert values(source, ir.TextMatch("contains", col("t", "text"), text(None))) == [None, None]


def test_case_mapping_follows_python(engine):
    # Full Unicode case mapping: ß → SS, a final sigma lowers to ς, İ → i̇ (two code points).
    names = ["ÁGNES", "ştefan", "straße", "ΣΑΣ ΟΔΟΣ", "İstanbul", "ABC", "ǅ", None]
    source = store(engine, customers(t=names))
    name = col("t", "text")
    got = values(source, [ir.Function("lower", (name,)), ir.Function("upper", (name,))])
    assert got == [[n and n.lower() for n in names], [n and n.upper() for n in names]]


def test_length_counts_code_points(engine):
    source = store(engine, customers(t=["e\u0301", "🇷🇴", "김민준", "", None]))
    assert values(source, ir.Function("length", (col("t", "text"),))) == [2, 2, 3, 0, None]


def test_coalesce(engine):
    source = store(engine, customers(n=[None, 2.0], t=[None, "x"]))
    got = values(
        source,
        [
            ir.Function("coalesce", (col("n"), num(0))),
            ir.Function("coalesce", (col("t", "text"), text("none"))),
        ],
    )
    assert got == [[0, 2.0], ["none", "x"]]


# ---- time -------------------------------------------------------------------------------------

OFFSETS = [
    timedelta(0),
    US,
    -US,
    HOUR,
    -HOUR,
    DAY,
    DAY - US,
    DAY + US,
    90 * DAY,
    90 * DAY - US,
    90 * DAY + US,
    91 * DAY,
    -DAY,
    -DAY - US,
    3 * 365 * DAY + HOUR,
]


def _days(offset: timedelta) -> int:
    return math.floor(offset / DAY)


def test_days_since_is_the_floor_of_whole_days(engine):
    moments = [ago(o) for o in OFFSETS] + [None]
    source = store(engine, customers(ts=pa.array(moments, pa.timestamp("us"))))
    got = values(source, ir.DaysSince(col("ts", "timestamp")))
    assert got == [_days(o) for o in OFFSETS] + [None]


def test_days_since_a_date_counts_from_midnight(engine):
    days = [date(2026, 11, 19), date(2026, 11, 22), date(2026, 11, 23), date(1960, 1, 1), None]
    source = store(engine, customers(d=pa.array(days, pa.date32())))
    got = values(source, ir.DaysSince(col("d", "timestamp", "date")))
    midnight = NOW.replace(tzinfo=None)
    assert got == [
        None if d is None else math.floor((midnight - datetime(d.year, d.month, d.day)) / DAY)
        for d in days
    ]


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
@pytest.mark.parametrize("limit", [90, 90.5, 0, -1, -0.5, 1])
def test_days_since_comparisons_agree_with_the_floor(engine, op, limit):
    """Against a literal (rewritten to a time bound) and against an expression (computed)."""
    moments = [ago(o) for o in OFFSETS] + [None]
    source = store(engine, customers(ts=pa.array(moments, pa.timestamp("us"))))
    days = ir.DaysSince(col("ts", "timestamp"))
    computed_limit = ir.Arith("+", num(limit), num(0))  # not a literal: no rewrite
    got = values(
        source,
        [
            ir.Compare(op, days, num(limit)),
            ir.Compare(op, num(limit), days),
            ir.Compare(op, days, computed_limit),
        ],
    )
    expected = [_py_compare(op, _days(o), limit) for o in OFFSETS] + [None]
    flipped = [_py_compare(op, limit, _days(o)) for o in OFFSETS] + [None]
    assert got == [expected, flipped, expected]


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_time_comparisons_are_exact_to_the_microsecond(engine, op):
    bound = 30 * DAY
    offsets = [bound, bound + US, bound - US, bound + DAY, bound - DAY, bound + HOUR, 0 * DAY]
    people = customers(
        ts=pa.array([ago(o) for o in offsets] + [None], pa.timestamp("us")),
        other=pa.array([ago(bound)] * (len(offsets) + 1), pa.timestamp("us")),
    )
    source = store(engine, people)
    ts, other = col("ts", "timestamp"), col("other", "timestamp")
    got = values(
        source,
        [
            ir.Compare(op, ts, ir.NowMinus(bound.total_seconds())),
            ir.Compare(op, ts, when(utc(ago(bound)))),
            ir.Compare(op, ts, other),
        ],
    )
    # ts op (now - bound): ts = now - offset, so compare -offset with -bound
    expected = [_py_compare(op, -o, -bound) for o in offsets] + [None]
    assert got == [expected, expected, expected]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2027, 2, 28, 12), [True, True, False, None, False, False]),
        (datetime(2028, 2, 28, 12), [False, True, False, None, False, False]),
        (datetime(2028, 2, 29, 0), [True, False, False, None, False, False]),
        (datetime(2026, 11, 22, 23, 59), [False, False, False, None, True, True]),
    ],
)
def test_anniversary_with_29_february(engine, now, expected):
    days = [
        date(2000, 2, 29),
        date(1990, 2, 28),
        date(1990, 3, 1),
        None,
        date(1985, 11, 22),
        date(1985, 11, 22),
    ]
    moments = [
        None if d is None else datetime(d.year, d.month, d.day, 23, 59, 59, 999999) for d in days
    ]
    people = customers(d=pa.array(days, pa.date32()), ts=pa.array(moments, pa.timestamp("us")))
    source = store(engine, people)
    got = values(
        source,
        [ir.IsAnniversary(col("d", "timestamp", "date")), ir.IsAnniversary(col("ts", "timestamp"))],
        now=utc(now),
    )
    assert got == [expected, expected]
