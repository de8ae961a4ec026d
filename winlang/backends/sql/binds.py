"""Bound parameters: every value in a generated statement is one, nothing is interpolated.

Values known when the plan is compiled (number, text and bool literals) are bound with their
value. Values that depend on the run's clock (``now``, ``now - 30 days``, today's month and
day) are *named* parameters whose value a :class:`Binder` computes when the statement runs, so
a compiled statement can be reused for another ``now``.

>>> binder = Binder()
>>> str(binder.run_time("now_us", Instant(), "us", sa.BigInteger()))
':now_us'
>>> binder.values(datetime(2026, 11, 22, 10, tzinfo=UTC))["now_us"]
1795341600000000
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Compiled
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeEngine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST = datetime(1, 1, 2, tzinfo=UTC)  # a day of margin so "the next day" still exists
_LAST = datetime(9999, 12, 30, tzinfo=UTC)

Recipe = Callable[[datetime], object]


@dataclass(frozen=True)
class Instant:
    """A moment: ``fixed`` (a timestamp literal) or ``now`` minus ``seconds`` (bound per run).

    >>> Instant(seconds=86400).name
    'now_minus_86400'
    """

    seconds: float = 0.0
    fixed: datetime | None = None

    @property
    def name(self) -> str:
        if self.fixed is not None:
            return "ts_" + self.fixed.strftime("%Y%m%d_%H%M%S_%f")
        if self.seconds == 0:
            return "now"
        word = "minus" if self.seconds > 0 else "plus"
        amount = f"{abs(self.seconds):.6f}".rstrip("0").rstrip(".").replace(".", "_")
        return f"now_{word}_{amount}"

    def at(self, now: datetime) -> datetime:
        """The moment as an aware UTC datetime, clamped to the years 1..9999.

        Clamping never changes a comparison with a stored value: stores hold those years only.
        """
        if self.fixed is not None:
            moment = self.fixed
        else:
            try:
                moment = now - timedelta(seconds=self.seconds)
            except OverflowError:
                moment = _FIRST if self.seconds > 0 else _LAST
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return min(max(moment, _FIRST), _LAST)


# ---- the forms an instant is bound in ------------------------------------------------------


def naive(moment: datetime) -> datetime:
    """Stores hold naive UTC timestamps."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def epoch_us(moment: datetime) -> int:
    """Whole microseconds since 1970 (exact, negative before).

    >>> epoch_us(datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    -1
    """
    return (moment.astimezone(UTC) - EPOCH) // timedelta(microseconds=1)


def iso_text(moment: datetime) -> str:
    """The text SQLAlchemy stores a SQLite DATETIME as: ``YYYY-MM-DD HH:MM:SS.ffffff``."""
    return naive(moment).strftime("%Y-%m-%d %H:%M:%S.%f")


def day_text(moment: datetime) -> str:
    return naive(moment).strftime("%Y-%m-%d")


def next_day_text(moment: datetime) -> str:
    return (naive(moment).date() + timedelta(days=1)).strftime("%Y-%m-%d")


FORMS: dict[str, Callable[[datetime], object]] = {
    "value": naive,
    "us": epoch_us,
    "text": iso_text,
    "day": day_text,
    "next_day": next_day_text,
}


def anniversary_days(now: datetime) -> tuple[str, str]:
    """Today's ``MM-DD`` and the day that also counts today: 29 February on 28 February of a
    year without one.

    >>> anniversary_days(datetime(2027, 2, 28, 12, tzinfo=UTC))
    ('02-28', '02-29')
    >>> anniversary_days(datetime(2028, 2, 28, 12, tzinfo=UTC))
    ('02-28', '02-28')
    """
    today = naive(now).date()
    month_day = today.strftime("%m-%d")
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if month_day == "02-28" and not leap:
        return month_day, "02-29"
    return month_day, month_day


# ---- the binder ---------------------------------------------------------------------------


@dataclass
class Binder:
    """Collects the run-time parameters of one statement and computes their values."""

    recipes: dict[str, Recipe] = field(default_factory=dict)

    def run_time(
        self, name: str, instant: Instant | None, form: str, type_: TypeEngine
    ) -> BindParameter:
        """A named parameter for ``form`` of ``instant`` (the same name is the same one)."""
        if instant is not None:
            convert = FORMS[form]
            self.recipes.setdefault(name, lambda now: convert(instant.at(now)))
        return sa.bindparam(name, type_=type_)

    def instant(self, instant: Instant, form: str, type_: TypeEngine) -> BindParameter:
        """``form`` of ``instant`` (``value``, ``us``, ``text``, ``day``, ``next_day``)."""
        return self.run_time(f"{instant.name}_{form}", instant, form, type_)

    def computed(self, name: str, recipe: Recipe, type_: TypeEngine) -> BindParameter:
        """A named parameter whose value ``recipe(now)`` gives."""
        self.recipes.setdefault(name, recipe)
        return sa.bindparam(name, type_=type_)

    def values(self, now: datetime) -> dict[str, object]:
        """Every run-time parameter's value at ``now`` (aware UTC)."""
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        return {name: recipe(now) for name, recipe in self.recipes.items()}


def literal(value: object, type_: TypeEngine) -> BindParameter:
    """A compile-time value as an anonymous bound parameter."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return sa.bindparam(None, value, type_=type_)


# ---- names for display ----------------------------------------------------------------------

_KINDS = ((sa.Boolean, "bool"), (sa.String, "text"), (sa.DateTime, "time"), (sa.Date, "time"))


def _kind(type_: TypeEngine) -> str:
    for cls, kind in _KINDS:
        if isinstance(type_, cls):
            return kind
    return "number" if isinstance(type_, sa.Numeric | sa.Integer | sa.Float) else "value"


def _spelled(value: object) -> str:
    """A value as part of a name: ``Shoe`` → ``Shoe``, ``2.5`` → ``2_5``, ``-1`` → ``minus_1``."""
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.isoformat()
    text = str(value).replace("-", "minus_", 1) if isinstance(value, int | float) else str(value)
    spelled = re.sub(r"\W+", "_", text, flags=re.ASCII).strip("_")[:30]
    return spelled or "empty"


def readable_names(compiled: Compiled) -> dict[str, str]:
    """The anonymous parameters of a compiled statement (``param_9``: numbered in compile
    order, so one more value renumbers all the others) → names saying what they hold
    (``text_purchase``, ``number_100``). Values that spell alike get ``_2``, ``_3``... in the
    order the statement first uses them; named parameters (``now_value``) keep their names."""
    anonymous = {
        name: (_kind(bind.type), bind.value)
        for bind, name in compiled.bind_names.items()
        if bind.key.startswith("%(")  # SQLAlchemy's anonymous key: "%(<id> param)s"
    }
    order = compiled.positiontup or [
        a or b for a, b in re.findall(r"%\((\w+)\)s|(?<!:):`?(\w+)", compiled.string)
    ]
    taken: dict[str, tuple[str, object]] = {}
    names: dict[str, str] = {}
    for name in dict.fromkeys(n for n in order if n in anonymous):
        kind, value = anonymous[name]
        base = f"{kind}_{_spelled(value)}"
        chosen, n = base, 1
        while chosen in taken and taken[chosen] != (kind, value):
            n += 1
            chosen = f"{base}_{n}"
        taken[chosen] = (kind, value)
        names[name] = chosen
    return names
