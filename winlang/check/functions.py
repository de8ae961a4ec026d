"""Built-in expression functions and their signatures (plugins add more through a hook)."""

from __future__ import annotations

from collections.abc import Callable

from ..frozen import frozen
from ..types import NUMBER, TEXT, Type


@frozen
class Function:
    """``accepts(i, t)`` says whether argument ``i`` may have type ``t``; ``result`` maps the
    argument types to the result type."""

    name: str
    arity: tuple[int, int]  # fewest and most arguments
    signature: str  # for messages: "days_since(time)"
    accepts: Callable[[int, Type], bool]
    result: Callable[[list[Type]], Type]
    same_type: bool = False  # every argument must have one type (coalesce)


def _fixed(kind: Type) -> Callable[[list[Type]], Type]:
    return lambda _args: kind


def _first_known(args: list[Type]) -> Type:
    return next((t for t in args if t.kind not in ("unknown", "null")), args[0])


BUILTINS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "days_since",
            (1, 1),
            "days_since(timestamp or date)",
            lambda _i, t: t.is_time,
            _fixed(NUMBER),
        ),
        Function("lower", (1, 1), "lower(text)", lambda _i, t: t.kind == "text", _fixed(TEXT)),
        Function("upper", (1, 1), "upper(text)", lambda _i, t: t.kind == "text", _fixed(TEXT)),
        Function("length", (1, 1), "length(text)", lambda _i, t: t.kind == "text", _fixed(NUMBER)),
        Function("abs", (1, 1), "abs(number)", lambda _i, t: t.kind == "number", _fixed(NUMBER)),
        Function(
            "coalesce",
            (2, 16),
            "coalesce(value, fallback, ...)",
            lambda _i, t: t.kind not in ("list", "duration"),
            _first_known,
            same_type=True,
        ),
    )
}
