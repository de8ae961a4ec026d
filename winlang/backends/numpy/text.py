"""Text operations on dictionaries: each runs once per distinct value, then rows gather the
result by code (a few distinct countries, not a million strings).

Arrow compares UTF-8 bytes, which orders by code point, and matches substrings literally;
``lower``/``upper`` follow Python's ``str.lower``/``str.upper`` (full Unicode case mapping, where
``"ß".upper()`` is ``"SS"``), so non-ASCII entries go through Python.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import Const, Vec, boolean, both_valid, broadcast, lookup

ARROW_COMPARE = {
    "=": pc.equal,
    "!=": pc.not_equal,
    "<": pc.less,
    "<=": pc.less_equal,
    ">": pc.greater,
    ">=": pc.greater_equal,
}
NUMPY_COMPARE = {
    "=": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}

ARROW_MATCH = {
    "starts_with": pc.starts_with,
    "ends_with": pc.ends_with,
    "contains": pc.match_substring,
}
PYTHON_MATCH: dict[str, Callable[[str, str], bool]] = {
    "starts_with": str.startswith,
    "ends_with": str.endswith,
    "contains": str.__contains__,
}


def as_numpy(result: pa.Array) -> np.ndarray:
    """A per-entry Arrow result as NumPy (null entries become False / 0)."""
    if pa.types.is_boolean(result.type):
        result = result.fill_null(False)
    elif result.null_count:
        result = result.fill_null(0)
    return result.to_numpy(zero_copy_only=False)


def gather(vec: Vec, table: np.ndarray) -> Vec:
    """A per-dictionary-entry bool table applied to the rows."""
    return boolean(lookup(table, vec.values), vec.valid)


def compare_const(op: str, vec: Vec, value: str) -> Vec:
    """``vec <op> value`` for a text column and a text constant."""
    return gather(vec, as_numpy(ARROW_COMPARE[op](vec.dictionary, pa.scalar(value, pa.string()))))


def compare_vecs(op: str, left: Vec, right: Vec) -> Vec:
    """``left <op> right`` for two text columns: both dictionaries get ranks in one shared
    code-point order, and the ranks compare as numbers."""
    combined = pa.concat_arrays(
        [left.dictionary.cast(pa.string()), right.dictionary.cast(pa.string())]
    )
    ranks = as_numpy(pc.rank(combined, sort_keys="ascending", tiebreaker="dense"))
    left_ranks = lookup(ranks[: len(left.dictionary)], left.values)
    right_ranks = lookup(ranks[len(left.dictionary) :], right.values)
    return boolean(NUMPY_COMPARE[op](left_ranks, right_ranks), both_valid(left.valid, right.valid))


def match_const(op: str, vec: Vec, pattern: str) -> Vec:
    """``starts_with``/``ends_with``/``contains`` with a literal pattern."""
    return gather(vec, as_numpy(ARROW_MATCH[op](vec.dictionary, pattern=pattern)))


def match_vecs(op: str, vec: Vec, pattern: Vec) -> Vec:
    """A text test whose pattern is another column: Python once per distinct pair of codes."""
    if len(vec.dictionary) == 0 or len(pattern.dictionary) == 0:
        return broadcast(Const("bool", None), len(vec))
    width = len(pattern.dictionary)
    pairs = vec.values.astype(np.int64) * width + pattern.values
    unique, inverse = np.unique(pairs, return_inverse=True)
    texts, patterns, test = (
        vec.dictionary.to_pylist(),
        pattern.dictionary.to_pylist(),
        PYTHON_MATCH[op],
    )
    table = np.array(
        [_test(test, texts[pair // width], patterns[pair % width]) for pair in unique.tolist()],
        bool,
    )
    return boolean(table[inverse.reshape(-1)], both_valid(vec.valid, pattern.valid))


def _test(test: Callable[[str, str], bool], text: str | None, pattern: str | None) -> bool:
    return text is not None and pattern is not None and test(text, pattern)


def is_in(vec: Vec, values: list[str]) -> np.ndarray:
    """Rows whose text is one of ``values`` (null rows: False)."""
    table = as_numpy(pc.is_in(vec.dictionary, value_set=pa.array(values, pa.string())))
    return lookup(table, vec.values)


def recase(vec: Vec, upper: bool) -> Vec:
    """``lower``/``upper`` of a text column: a new dictionary, the same codes."""
    arrow, python = (pc.utf8_upper, str.upper) if upper else (pc.utf8_lower, str.lower)
    dictionary = vec.dictionary.cast(pa.string())
    result = arrow(dictionary)
    # Arrow's simple case mapping equals Python's for ASCII only ("ß".upper() is "SS").
    other = as_numpy(pc.invert(pc.string_is_ascii(dictionary)))
    if other.any():
        rows = np.flatnonzero(other)
        fixed = [python(text) for text in dictionary.take(pa.array(rows)).to_pylist()]
        result = pc.replace_with_mask(result, pa.array(other), pa.array(fixed, pa.string()))
    return Vec("text", vec.values, vec.valid, result)


def length(vec: Vec) -> Vec:
    """Length in code points."""
    table = as_numpy(pc.utf8_length(vec.dictionary.cast(pa.string()))).astype(np.float64)
    return Vec("number", lookup(table, vec.values), vec.valid)


def coalesce(first: Vec, other: Vec | Const) -> Vec:
    """``first`` where valid, else ``other``: the dictionaries are concatenated."""
    if first.valid is None:
        return first
    other = broadcast(other, len(first))
    offset = len(first.dictionary)
    dictionary = pa.concat_arrays(
        [first.dictionary.cast(pa.string()), other.dictionary.cast(pa.string())]
    )
    codes = np.where(first.valid, first.values, other.values + offset).astype(np.int32)
    valid = either_valid(first.valid, other.valid)
    if valid is not None:
        codes[~valid] = 0  # keep null slots pointing into the dictionary
    return Vec("text", codes, valid, dictionary)


def either_valid(a: np.ndarray, b: np.ndarray | None) -> np.ndarray | None:
    """Rows valid in either mask."""
    return None if b is None else (a | b)
