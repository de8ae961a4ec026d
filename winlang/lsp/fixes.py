"""Quick fixes: a finding whose hint suggests a text (``did you mean `X`?``, or ``write `X` ``
for a name in the wrong case) is fixed by writing it in place of what the finding quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")
_WRITE = re.compile(r"write `([^`]+)`")
_QUOTED = re.compile(r"`([^`]+)`")


@dataclass(frozen=True, slots=True)
class Fix:
    start: int  # offsets within the finding's text
    end: int
    new_text: str


def replacement(hint: str | None) -> str | None:
    """The text a hint suggests, if it suggests one.

    >>> replacement("did you mean `first_name`?")
    'first_name'
    >>> replacement("pick another name") is None
    True
    """
    found = _DID_YOU_MEAN.search(hint or "")
    return found[1] if found else None


def fix(text: str, message: str, hint: str | None) -> Fix | None:
    """The edit that ``hint`` suggests for a finding over ``text``: the whole text, or only the
    part of it the message quotes (the name inside a placeholder's braces).

    >>> fix("contry", "unknown name `contry`", "did you mean `country`?")
    Fix(start=0, end=6, new_text='country')
    >>> fix("{first_nme|there}", "`{first_nme}` is not a field", "did you mean `first_name`?")
    Fix(start=1, end=10, new_text='first_name')
    >>> fix("Orders", "names are written in lower case", "write `orders`")
    Fix(start=0, end=6, new_text='orders')
    >>> fix("else", "`else` is followed by another send", "write `else send sms ...`") is None
    True
    """
    suggested = replacement(hint)
    if suggested is None:
        written = _WRITE.fullmatch(hint or "")
        if written and written[1].lower() == text.lower() and written[1] != text:
            return Fix(0, len(text), written[1])
        return None
    quoted = _QUOTED.search(message)
    original = quoted[1].strip("{}") if quoted else ""
    if original and original != text and text.count(original) == 1:
        start = text.index(original)
        return Fix(start, start + len(original), suggested)
    return Fix(0, len(text), suggested)
