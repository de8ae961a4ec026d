"""The value types of the language and the rules for combining them."""

from __future__ import annotations

from .frozen import frozen


@frozen(slots=True)
class Type:
    """A value type: ``number``, ``text``, ``bool``, ``timestamp``, ``date``, ``duration``,
    ``list`` (with an item type), ``null`` (the literal) or ``unknown`` (not checkable)."""

    kind: str
    item: Type | None = None

    def __str__(self) -> str:
        return f"list of {self.item}" if self.kind == "list" and self.item else self.kind

    @property
    def is_time(self) -> bool:
        return self.kind in ("timestamp", "date")

    @property
    def is_unknown(self) -> bool:
        return self.kind == "unknown"


NUMBER = Type("number")
TEXT = Type("text")
BOOL = Type("bool")
TIMESTAMP = Type("timestamp")
DATE = Type("date")
DURATION = Type("duration")
NULL = Type("null")
UNKNOWN = Type("unknown")
SCALARS = {t.kind: t for t in (NUMBER, TEXT, BOOL, TIMESTAMP, DATE)}


def list_of(item: Type) -> Type:
    return Type("list", item)


def family(t: Type) -> str:
    """Types that compare with each other share a family: a date compares with a timestamp."""
    return "time" if t.is_time else t.kind


def comparable(a: Type, b: Type) -> bool:
    return a.is_unknown or b.is_unknown or family(a) == family(b)


def article(t: Type) -> str:
    """``a number``, ``an unknown value``: for messages."""
    text = str(t)
    return ("an " if text[0] in "aeiou" else "a ") + text
