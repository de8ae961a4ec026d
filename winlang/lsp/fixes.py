"""Quick fixes: a finding whose hint says ``did you mean `X`?`` is fixed by writing X."""

from __future__ import annotations

import re

_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")


def replacement(hint: str | None) -> str | None:
    """The text a hint suggests, if it suggests one.

    >>> replacement("did you mean `first_name`?")
    'first_name'
    >>> replacement("pick another name") is None
    True
    """
    found = _DID_YOU_MEAN.search(hint or "")
    return found[1] if found else None
