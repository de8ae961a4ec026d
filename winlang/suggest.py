"""Near-name suggestions for "did you mean ...?" hints."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name most like ``word``, if one is close enough to be a likely typo.

    >>> closest("days_since_purchas", ["days_since_purchase", "orders"])
    'days_since_purchase'
    >>> closest("xyz", ["orders"]) is None
    True
    """
    import difflib  # only for a name that is wrong: a clean check never loads it

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


def one_slip(a: str, b: str) -> bool:
    """One letter wrong, missing, extra, or two neighbours swapped.

    >>> one_slip("sned", "send"), one_slip("sms", "sns"), one_slip("sms", "email")
    (True, True, False)
    """
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
        return len(diff) == 1 or (swapped and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def did_you_mean(word: str, known: Iterable[str]) -> str | None:
    match = closest(word, known)
    return f"did you mean `{match}`?" if match else None
