"""Evaluate IR nodes over one batch of customers: one handler per node type.

Results are cached by ``id(node)`` for the batch: the ``share_subexpressions`` pass makes equal
subexpressions the same object, so a segment used by three rules is computed once. Logic is
Kleene's three-valued logic on (values, valid) pairs; AND and OR stop evaluating operands once
every row of the batch is decided (predicate ordering puts the cheap operands first).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from ...contracts.errors import DataError
from ...contracts.source import Layout
from ...contracts.state import StateView
from ...plan import ir
from ...sources.normalize import Among
from . import text
from .columns import (
    FALSE,
    MICROS_PER_DAY,
    TRUE,
    Const,
    Value,
    Vec,
    boolean,
    both_valid,
    broadcast,
    constant,
    to_vec,
)
from .events import AggregateValues
from .index import CustomerIndex, plain_ids


@dataclass
class Run:
    """What every batch of one evaluation shares: the clock, the aggregates, the state."""

    now: datetime
    now_us: int
    campaign: str
    layout: Layout
    state: StateView
    aggregates: Mapping[ir.EventAggregate, AggregateValues] = field(default_factory=dict)
    index: CustomerIndex | None = None
    _flags: dict[ir.StateFlag, Among | None] = field(default_factory=dict)

    def state_ids(self, flag: ir.StateFlag) -> Among | None:
        """The ids for which ``flag`` is true (None: nobody), asked of the state once per
        run and matched against each batch's ids as the store types them."""
        if flag not in self._flags:
            ids = np.asarray(self.state.customers(flag, self.campaign, self.now))
            self._flags[flag] = Among(ids) if len(ids) else None
        return self._flags[flag]


@dataclass
class Batch:
    """One batch of customers: its ids, its columns (converted once, on first use)."""

    record: pa.RecordBatch
    run: Run
    _columns: dict[tuple[str, str], Vec] = field(default_factory=dict)
    _positions: np.ndarray | None = None

    @property
    def size(self) -> int:
        return self.record.num_rows

    @property
    def id_column(self) -> pa.Array:
        return plain_ids(self.record.column(0))

    def ids(self) -> np.ndarray:
        return self.id_column.to_numpy(zero_copy_only=False)

    def positions(self) -> np.ndarray:
        """Each customer's position in the run's index (for the event aggregates)."""
        if self._positions is None:
            if self.run.index is None:
                raise AssertionError("event aggregates need the customer index")
            self._positions = self.run.index.positions(self.id_column)
        return self._positions

    def column(self, name: str, kind: str) -> Vec:
        key = (name, kind)
        if key not in self._columns:
            found = self.record.schema.get_field_index(name)
            if found < 0:
                table = self.run.layout.customers
                raise DataError(f"the `{table}` table has no column `{name}`")
            self._columns[key] = to_vec(
                self.record.column(found), kind, f"{self.run.layout.customers}.{name}"
            )
        return self._columns[key]


Handler = Callable[["Evaluator", Any], Value]
HANDLERS: dict[type[ir.Node], Handler] = {}


def handles(node_type: type[ir.Node]) -> Callable[[Handler], Handler]:
    """Register the handler of one node type."""

    def register(handler: Handler) -> Handler:
        HANDLERS[node_type] = handler
        return handler

    return register


class Evaluator:
    """Values of nodes for one batch, each computed once.

    >>> from winlang.contracts.source import Layout
    >>> from winlang.contracts.state import EmptyState
    >>> run = Run(datetime(2026, 1, 1), 0, "", Layout(), EmptyState())
    >>> ev = Evaluator(Batch(pa.record_batch({"id": [1, 2], "x": [5, None]}), run))
    >>> ev(ir.Compare(">", ir.Column("x", "number"), ir.Literal(3, "number"))).valid.tolist()
    [True, False]
    """

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.run = batch.run
        self.size = batch.size
        self._cache: dict[int, Value] = {}

    def __call__(self, node: ir.Node) -> Value:
        key = id(node)
        found = self._cache.get(key)
        if found is None:
            handler = HANDLERS.get(type(node))
            if handler is None:
                raise NotImplementedError(f"the numpy backend can't evaluate {type(node).__name__}")
            found = self._cache[key] = handler(self, node)
        return found


def _is_null(value: Value) -> bool:
    return isinstance(value, Const) and value.value is None


def _data(value: Value) -> Any:
    """The array of a Vec, the Python value of a Const (NumPy broadcasts either)."""
    return value.values if isinstance(value, Vec) else value.value


def _valid(value: Value) -> np.ndarray | None:
    return value.valid if isinstance(value, Vec) else None


# ---- leaves --------------------------------------------------------------------------------


@handles(ir.Column)
def _column(ev: Evaluator, node: ir.Column) -> Value:
    return ev.batch.column(node.name, node.column_kind)


@handles(ir.Literal)
def _literal(ev: Evaluator, node: ir.Literal) -> Value:
    return constant(node.value, node.literal_kind)


@handles(ir.NowMinus)
def _now_minus(ev: Evaluator, node: ir.NowMinus) -> Value:
    return Const("timestamp", ev.run.now_us - round(node.seconds * 1_000_000))


# ---- arithmetic and comparison -----------------------------------------------------------

_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}
_PYTHON_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


@handles(ir.Arith)
def _arith(ev: Evaluator, node: ir.Arith) -> Value:
    left, right = ev(node.left), ev(node.right)
    if _is_null(left) or _is_null(right):
        return Const("number", None)
    divides = node.op == "/"
    if isinstance(left, Const) and isinstance(right, Const):
        if divides and right.value == 0:
            return Const("number", None)
        return Const("number", float(_PYTHON_ARITH[node.op](left.value, right.value)))
    if divides and isinstance(right, Const) and right.value == 0:
        return Const("number", None)
    valid = both_valid(_valid(left), _valid(right))
    with np.errstate(all="ignore"):  # x / 0 is masked as null just below
        values = _ARITH[node.op](_data(left), _data(right))
    if divides and isinstance(right, Vec):
        valid = both_valid(valid, right.values != 0)
    return Vec("number", np.asarray(values, np.float64), valid)


@handles(ir.Negate)
def _negate(ev: Evaluator, node: ir.Negate) -> Value:
    value = ev(node.operand)
    if isinstance(value, Const):
        return Const("number", None if value.value is None else -value.value)
    return Vec("number", -value.values, value.valid)


@handles(ir.Compare)
def _compare(ev: Evaluator, node: ir.Compare) -> Value:
    left, right, op = ev(node.left), ev(node.right), node.op
    if _is_null(left) or _is_null(right):
        return Const("bool", None)
    if isinstance(left, Const) and isinstance(right, Const):
        return Const("bool", ir.COMPARISONS[op](left.value, right.value))
    if isinstance(left, Const):  # keep the column on the left
        left, right, op = right, left, ir.FLIPPED[op]
    if left.kind == "text":
        if isinstance(right, Const):
            return text.compare_const(op, left, right.value)
        return text.compare_vecs(op, left, right)
    values = text.NUMPY_COMPARE[op](left.values, _data(right))
    return boolean(values, both_valid(left.valid, _valid(right)))


# ---- Kleene logic ----------------------------------------------------------------------------


def _kleene(ev: Evaluator, operands: tuple[ir.Node, ...], absorbing: bool) -> Value:
    """AND (absorbing False) or OR (absorbing True) of ``operands``.

    Rows where some operand has the absorbing value take it; rows where every operand has the
    other value take that; the rest are null. Stops once every row has the absorbing value.
    """
    hit: np.ndarray | None = None  # some operand is the absorbing value
    neutral: np.ndarray | None = None  # every operand so far is the other (non-null) value
    saw_null = False
    for operand in operands:
        value = ev(operand)
        if isinstance(value, Const):
            if value.value is absorbing:
                return Const("bool", absorbing)
            saw_null = saw_null or value.value is None
            continue
        true, valid = value.values, value.valid
        false = ~true if valid is None else ~true & valid
        is_hit, is_neutral = (true, false) if absorbing else (false, true)
        hit = is_hit if hit is None else hit | is_hit
        neutral = is_neutral if neutral is None else neutral & is_neutral
        if hit.all():
            return Const("bool", absorbing)
    if hit is None:
        return Const("bool", None if saw_null else not absorbing)
    if saw_null:
        neutral = np.zeros_like(hit)
    return boolean(hit if absorbing else neutral, hit | neutral)


@handles(ir.And)
def _and(ev: Evaluator, node: ir.And) -> Value:
    return _kleene(ev, node.operands, absorbing=False)


@handles(ir.Or)
def _or(ev: Evaluator, node: ir.Or) -> Value:
    return _kleene(ev, node.operands, absorbing=True)


@handles(ir.Not)
def _not(ev: Evaluator, node: ir.Not) -> Value:
    value = ev(node.operand)
    if isinstance(value, Const):
        return Const("bool", None if value.value is None else not value.value)
    flipped = ~value.values
    return Vec("bool", flipped if value.valid is None else flipped & value.valid, value.valid)


@handles(ir.IsNull)
def _is_null_node(ev: Evaluator, node: ir.IsNull) -> Value:
    value = ev(node.operand)
    if isinstance(value, Const):
        return Const("bool", value.value is None)
    if value.valid is None:
        return FALSE
    return Vec("bool", ~value.valid)


@handles(ir.InSet)
def _in_set(ev: Evaluator, node: ir.InSet) -> Value:
    value = ev(node.operand)
    items = [ev(item).value for item in node.values]
    present = [item for item in items if item is not None]
    if _is_null(value):
        return Const("bool", None)
    if isinstance(value, Const):
        found = value.value in present
        return Const("bool", True if found else (None if len(present) < len(items) else False))
    if value.kind == "text":
        found = text.is_in(value, [str(item) for item in present])
    else:
        found = np.isin(value.values, np.array(present, value.values.dtype))
    valid = value.valid
    if len(present) < len(items):  # x in (1, null): no match is unknown, as in SQL
        valid = found if valid is None else found & valid
    return boolean(found, valid)


# ---- text ------------------------------------------------------------------------------------


@handles(ir.TextMatch)
def _text_match(ev: Evaluator, node: ir.TextMatch) -> Value:
    value, pattern = ev(node.operand), ev(node.pattern)
    if _is_null(value) or _is_null(pattern):
        return Const("bool", None)
    if isinstance(value, Const) and isinstance(pattern, Const):
        return Const("bool", text.PYTHON_MATCH[node.op](value.value, pattern.value))
    if isinstance(pattern, Const):
        return text.match_const(node.op, value, pattern.value)
    return text.match_vecs(node.op, broadcast(value, ev.size), pattern)


FunctionImpl = Callable[[Evaluator, list[Value]], Value]
FUNCTIONS: dict[str, FunctionImpl] = {}


def function(name: str) -> Callable[[FunctionImpl], FunctionImpl]:
    """Register a function's vectorized implementation (plugins may add more)."""

    def register(impl: FunctionImpl) -> FunctionImpl:
        FUNCTIONS[name] = impl
        return impl

    return register


@handles(ir.Function)
def _function(ev: Evaluator, node: ir.Function) -> Value:
    impl = FUNCTIONS.get(node.name)
    if impl is None:
        raise NotImplementedError(f"the numpy backend has no function `{node.name}`")
    return impl(ev, [ev(arg) for arg in node.args])


def _recase(upper: bool) -> FunctionImpl:
    def impl(ev: Evaluator, args: list[Value]) -> Value:
        (value,) = args
        if isinstance(value, Const):
            if value.value is None:
                return Const("text", None)
            return Const("text", value.value.upper() if upper else value.value.lower())
        return text.recase(value, upper)

    return impl


function("lower")(_recase(upper=False))
function("upper")(_recase(upper=True))


@function("length")
def _length(ev: Evaluator, args: list[Value]) -> Value:
    (value,) = args
    if isinstance(value, Const):
        return Const("number", None if value.value is None else float(len(value.value)))
    return text.length(value)


@function("abs")
def _abs(ev: Evaluator, args: list[Value]) -> Value:
    (value,) = args
    if isinstance(value, Const):
        return Const("number", None if value.value is None else abs(value.value))
    return Vec("number", np.abs(value.values), value.valid)


@function("coalesce")
def _coalesce(ev: Evaluator, args: list[Value]) -> Value:
    present = [a for a in args if not _is_null(a)]
    if not present:
        return Const(next((a.kind for a in args if a.kind != "null"), "null"), None)
    result = present[0]
    for fallback in present[1:]:
        if isinstance(result, Const) or result.valid is None:
            break  # nothing left to fill
        result = _fill(result, fallback)
    return result


def _fill(value: Vec, fallback: Value) -> Vec:
    """``value`` where valid, ``fallback`` elsewhere."""
    if value.kind == "text":
        return text.coalesce(value, fallback)
    other = broadcast(fallback, len(value))
    values = np.where(value.valid, value.values, other.values)
    valid = None if other.valid is None else value.valid | other.valid
    return Vec(value.kind, values, valid)


# ---- time ------------------------------------------------------------------------------------


@handles(ir.DaysSince)
def _days_since(ev: Evaluator, node: ir.DaysSince) -> Value:
    value = ev(node.operand)
    if isinstance(value, Const):
        if value.value is None:
            return Const("number", None)
        return Const("number", float((ev.run.now_us - value.value) // MICROS_PER_DAY))
    # Integer floor division floors toward minus infinity: an hour ahead is day -1.
    days = np.floor_divide(ev.run.now_us - value.values, MICROS_PER_DAY)
    return Vec("number", days.astype(np.float64), value.valid)


@handles(ir.IsAnniversary)
def _is_anniversary(ev: Evaluator, node: ir.IsAnniversary) -> Value:
    value = broadcast(ev(node.operand), ev.size)
    today = ev.run.now
    days = np.floor_divide(value.values, MICROS_PER_DAY).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    month_day = month * 100 + day
    hit = month_day == today.month * 100 + today.day
    if (today.month, today.day) == (2, 28) and not _is_leap(today.year):
        hit |= month_day == 229  # a 29 February date counts on 28 February in other years
    return boolean(hit, value.valid)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


# ---- events and state ------------------------------------------------------------------------


@handles(ir.EventAggregate)
def _event_aggregate(ev: Evaluator, node: ir.EventAggregate) -> Value:
    return ev.run.aggregates[node].gather(ev.batch.positions())


@handles(ir.StateFlag)
def _state_flag(ev: Evaluator, node: ir.StateFlag) -> Value:
    ids = ev.run.state_ids(node)
    if ids is None:
        return FALSE
    found = ids.mask(ev.batch.id_column)
    return Vec("bool", found.fill_null(False).to_numpy(zero_copy_only=False))


__all__ = ["FALSE", "FUNCTIONS", "HANDLERS", "TRUE", "Batch", "Evaluator", "Run", "function"]
