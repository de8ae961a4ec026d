"""Arrow columns to NumPy (and back), and customer ids to dense positions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pytest

from winlang.backends.numpy.columns import Const, micros, to_arrow, to_vec
from winlang.backends.numpy.index import DenseIndex, HashIndex, TableIndex, build_index
from winlang.contracts.errors import DataError
from winlang.plan import ir
from winlang.sources.memory import MemorySource

from .numpy_support import DAY, ago, events, values

MOMENT = datetime(2026, 11, 22, 10, 30)
US = micros(MOMENT)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_timestamps_of_any_unit_become_microseconds(unit):
    array = pa.array([MOMENT, None], pa.timestamp("us")).cast(pa.timestamp(unit))
    vec = to_vec(array, "timestamp", "t.c")
    assert vec.values[0] == US and vec.valid.tolist() == [True, False]


def test_zoned_timestamps_are_utc_instants():
    array = pa.array([MOMENT.replace(tzinfo=UTC)], pa.timestamp("us", "Europe/Bucharest"))
    assert to_vec(array, "timestamp", "t.c").values.tolist() == [US]


def test_dates_are_midnight_utc():
    for array in (pa.array([date(2026, 11, 22)]), pa.array([date(2026, 11, 22)], pa.date64())):
        assert to_vec(array, "timestamp", "t.c").values.tolist() == [micros(datetime(2026, 11, 22))]


def test_text_timestamps_are_parsed():
    array = pa.array(["2026-11-22T10:30:00Z", "2026-11-22 10:30:00.000000", "2026-11-22"])
    assert to_vec(array, "timestamp", "t.c").values.tolist() == [
        US,
        US,
        micros(datetime(2026, 11, 22)),
    ]


def test_bad_text_timestamp_names_the_value():
    array = pa.array(["2026-11-22", "soon", "2026-11-23"])
    with pytest.raises(DataError, match=r"`customers\.seen` holds 'soon'"):
        to_vec(array, "timestamp", "customers.seen")


def test_booleans_from_integers_and_with_nulls():
    vec = to_vec(pa.array([1, 0, None]), "bool", "t.c")
    assert vec.values.tolist() == [True, False, False] and vec.valid.tolist() == [True, True, False]


def test_sliced_arrays_keep_their_offset():
    array = pa.array([1.0, None, 3.0, 4.0, 5.0]).slice(2)
    assert to_vec(array, "number", "t.c").values.tolist() == [3.0, 4.0, 5.0]
    flags = pa.array([True, False, None, True, False, True, True, False, True, None]).slice(3)
    vec = to_vec(flags, "bool", "t.c")
    assert vec.values.tolist() == [True, False, True, True, False, True, False]


def test_text_as_dictionary_codes():
    vec = to_vec(pa.array(["b", None, "a", "b"], pa.large_string()), "text", "t.c")
    assert vec.values.dtype == np.int32 and len(vec.dictionary) == 2
    assert to_arrow(vec, 4).to_pylist() == ["b", None, "a", "b"]


def test_all_null_columns():
    assert to_vec(pa.nulls(2), "text", "t.c").valid.tolist() == [False, False]
    assert to_arrow(Const("text", None), 2).to_pylist() == [None, None]
    assert to_vec(pa.chunked_array([[1.0], [2.0]]), "number", "t.c").values.tolist() == [1, 2]


@pytest.mark.parametrize(
    ("kind", "value", "arrow_type"),
    [
        ("number", 1.5, pa.float64()),
        ("bool", True, pa.bool_()),
        ("timestamp", US, pa.timestamp("us")),
        ("text", "x", pa.string()),
    ],
)
def test_values_come_back_in_the_contract_types(kind, value, arrow_type):
    for constant in (Const(kind, value), Const(kind, None)):
        assert to_arrow(constant, 2).type == arrow_type


# ---- customer index --------------------------------------------------------------------------


def test_dense_ids():
    index = build_index([pa.array([5, 6]), pa.array([7])])
    assert index == DenseIndex(5, 3)
    assert index.positions(np.array([7, 5, 4, 8, 100])).tolist() == [2, 0, 3, 3, 3]


def test_unsorted_or_gappy_ids_use_a_table():
    index = build_index([pa.array([10, 3, 7])])
    assert isinstance(index, TableIndex)
    assert index.positions(pa.array([3, 7, 10, 4, None, 99])).tolist() == [1, 2, 0, 3, 3, 3]


def test_sparse_and_text_ids_use_hashing():
    sparse = build_index([pa.array([1, 10**12])])
    assert isinstance(sparse, HashIndex)
    assert sparse.positions(np.array([10**12, 5])).tolist() == [1, 2]
    text = build_index([pa.array(["b", "a"])])
    assert text.positions(pa.array(["a", "zz", None])).tolist() == [1, 2, 2]


def test_whole_float_ids_are_integers():
    assert isinstance(build_index([pa.array([1.0, 2.0])]), DenseIndex)


def test_text_ids_end_to_end():
    table = pa.table({"id": ["u2", "u1", "u3"], "x": [1.0, 2.0, 3.0]})
    found = events([{"type": "open", "occurred_at": ago(DAY)}]).set_column(
        0, "customer_id", pa.array(["u1"])
    )
    node = ir.EventAggregate("exists", ir.EventFilter("open"))
    assert values(node, table, found) == [False, True, False]


@pytest.mark.parametrize("encoded", [False, True])
def test_text_ids_with_state_and_indexed_sources(encoded):
    from winlang.backends.base import RunContext
    from winlang.backends.numpy import NumpyBackend

    from .numpy_support import NOW, FakeState

    ids = pa.array(["u2", "u1", "u3"])
    table = pa.table({"id": ids.dictionary_encode() if encoded else ids, "x": [1.0, 2.0, 3.0]})
    found = events([{"type": "open", "occurred_at": ago(DAY)}]).set_column(
        0, "customer_id", pa.array(["u1"])
    )
    nodes = [ir.EventAggregate("exists", ir.EventFilter("open")), ir.StateFlag("in_list", "vip")]
    state = FakeState({("in_list", "vip"): np.array(["u3"], object)})
    expected = [[False, True, False], [False, False, True]]
    got_ids, arrays = NumpyBackend().values(
        nodes, MemorySource(table, found), RunContext(now=NOW, state=state)
    )
    assert list(got_ids) == ["u2", "u1", "u3"]
    assert [a.to_pylist() for a in arrays] == expected
    assert values(nodes, table, found, state=state) == expected
