"""Near-name suggestions for "did you mean ...?" hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name most like ``word``, if one is close enough to be a likely typo.

    >>> closest("days_since_purchas", ["days_since_purchase", "orders"])
    'days_since_purchase'
    >>> closest("xyz", ["orders"]) is None
    True
    """
    candidates = list(known)
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.72)
    if matches:
        return matches[0]
    # a word written with spaces or in another order: `purchase_days_since`
    parts = set(word.split("_"))
    if len(parts) > 1:
        for name in candidates:
            if set(name.split("_")) == parts:
                return name
    return None


def did_you_mean(word: str, known: Iterable[str]) -> str | None:
    match = closest(word, known)
    return f"did you mean `{match}`?" if match else None
