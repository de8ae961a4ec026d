"""``@frozen`` behaves as ``@dataclass(frozen=True)``: the same equality, hash, text, fields,
immutability and pickling, for the same class written both ways."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, dataclass, field, fields, is_dataclass, replace

import pytest

from winlang.frozen import frozen


@frozen(slots=True, kw_only=True)
class Pickled:
    name: str
    size: int = 0


def test_a_record_pickles():
    record = Pickled(name="a", size=2)
    assert pickle.loads(pickle.dumps(record)) == record


def both(options: dict, body: dict, bases: tuple = ()) -> tuple[type, type]:
    """The class of ``body`` as ``dataclass(frozen=True, **options)`` and as ``frozen``."""
    standard = dataclass(frozen=True, **options)(type("Record", bases[:1], dict(body)))
    shared = frozen(**options)(type("Record", bases[1:], dict(body)))
    return standard, shared


CASES = [
    ({}, {}, ()),
    ({"slots": True}, {"__annotations__": {"a": "int"}}, (1,)),
    ({"slots": True, "kw_only": True}, {"__annotations__": {"a": "int", "b": "str"}}, ()),
    ({}, {"__annotations__": {"a": "int", "b": "object"}, "b": None}, (2,)),
    (
        {},
        {
            "__annotations__": {"a": "int", "hidden": "int", "loose": "int", "keyed": "int"},
            "hidden": field(default=0, repr=False),
            "loose": field(default=0, compare=False),
            "keyed": field(default=0, compare=False, hash=True),
        },
        (3,),
    ),
]


@pytest.mark.parametrize(("options", "body", "args"), CASES)
def test_the_same_as_a_frozen_dataclass(options, body, args):
    standard, shared = both(options, body)
    kwargs = {"a": 1, "b": "x"} if options.get("kw_only") else {}
    a, b = standard(*args, **kwargs), shared(*args, **kwargs)
    assert repr(a) == repr(b)
    assert hash(a) == hash(b)
    assert b == shared(*args, **kwargs) and b != a  # another class is never equal
    assert [f.name for f in fields(a)] == [f.name for f in fields(b)]
    assert is_dataclass(b) and b.__match_args__ == a.__match_args__
    if fields(b):
        name = fields(b)[0].name
        with pytest.raises(FrozenInstanceError):
            setattr(b, name, 5)
        assert replace(b, **{name: 7}) != b


def test_fields_left_out_of_comparison_and_hash_are_left_out():
    _, shared = both(*CASES[4][:2])
    assert shared(1, loose=5) == shared(1, loose=6)
    assert shared(1, hidden=5) != shared(1, hidden=6)
    assert hash(shared(1, keyed=5)) != hash(shared(1, keyed=6))
    assert "hidden" not in repr(shared(1))


def test_a_subclass_compares_its_own_fields():
    @frozen(slots=True, kw_only=True)
    class Base:
        span: int

    @frozen(slots=True, kw_only=True)
    class Child(Base):
        value: int

    assert Child(span=1, value=2) != Child(span=1, value=3)
    assert Child(span=1, value=2) != Base(span=1)
    assert repr(Child(span=1, value=2)) == f"{Child.__qualname__}(span=1, value=2)"


def test_methods_written_in_the_class_are_kept():
    @frozen
    class Loud:
        word: str

        def __repr__(self) -> str:
            return self.word.upper()

    assert repr(Loud("hi")) == "HI" and Loud("a") == Loud("a")


def test_a_record_holding_itself_is_shown_without_recursion():
    @frozen
    class Box:
        items: list

    box = Box([])
    box.items.append(box)
    assert repr(box) == f"{Box.__qualname__}(items=[...])"
