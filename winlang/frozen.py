"""Frozen dataclasses that are quick to define: the AST, the configuration, the checker's
records and the contracts, which every command loads before it does anything.

``@frozen`` is ``@dataclass(frozen=True)``: the same fields, ``__init__``, immutability,
``fields()``, ``replace()``, ``__match_args__``, equality, hash and text. Only how the last
three are made differs: ``dataclass`` writes and compiles ``__eq__``, ``__hash__`` and
``__repr__`` as Python source for every class (Python 3.11 compiles each method on its own,
~0.07 ms each), where these are three functions shared by every class, reading the class's
field names. That is 40 % of defining a class, and defining classes was the largest part of
``winlang check``'s start-up.

>>> from dataclasses import FrozenInstanceError, replace
>>> @frozen(slots=True)
... class Point:
...     x: int
...     y: int = 0
>>> Point(1), Point(1) == Point(1, 0), hash(Point(1)) == hash((1, 0)), Point(1) == (1, 0)
(Point(x=1, y=0), True, True, False)
>>> replace(Point(1), y=2)
Point(x=1, y=2)
>>> Point(1).x = 3
Traceback (most recent call last):
...
dataclasses.FrozenInstanceError: cannot assign to field 'x'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields
from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T", bound=type)

# Methods whose body in the class itself takes precedence, as with ``dataclass``.
_SHARED = ("__eq__", "__hash__", "__repr__")


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def frozen(cls: T | None = None, /, *, slots: bool = False, kw_only: bool = False) -> Any:
    """``@dataclass(frozen=True, slots=slots, kw_only=kw_only)``, with shared ``__eq__``,
    ``__hash__`` and ``__repr__`` that behave as the generated ones do. Written ``@frozen``
    or ``@frozen(slots=True, kw_only=True)``."""

    def define(cls: T) -> T:
        if any(name in cls.__dict__ for name in _SHARED):  # written by hand: dataclass's way
            return dataclass(frozen=True, slots=slots, kw_only=kw_only)(cls)
        made = dataclass(frozen=True, slots=slots, kw_only=kw_only, repr=False, eq=False)(cls)
        declared = fields(made)
        made._record_compared = _values([f for f in declared if f.compare])
        made._record_hashed = _values([f for f in declared if _hashed(f)])
        made._record_shown = tuple(f.name for f in declared if f.repr)
        made.__eq__ = _eq
        made.__hash__ = _hash
        made.__repr__ = _repr
        return made

    return define if cls is None else define(cls)


def _hashed(one: Field) -> bool:
    """As ``dataclass``: a field counts in the hash if it says so, else if it is compared."""
    return one.compare if one.hash is None else one.hash


def _values(chosen: list[Field]) -> Callable[[Any], tuple]:
    """The tuple of an instance's values of ``chosen``, in order (as ``dataclass`` compares
    and hashes: a tuple even of one field)."""
    names = [f.name for f in chosen]
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda instance: (one(instance),)
    return lambda instance: ()


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is self.__class__:
        values = self.__class__._record_compared
        return values(self) == values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__class__._record_hashed(self))


@recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__class__._record_shown)
    return f"{self.__class__.__qualname__}({shown})"
