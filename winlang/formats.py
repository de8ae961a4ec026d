"""Format specs of placeholders: ``{x:percent}``, ``{v:currency:KRW}``, ``{t:date:long}``.

A spec is the text between the placeholder's name and its fallback: a format and its
arguments, separated by ``:``. This module says what a spec means and what is wrong with one;
the placeholder syntax itself is read by :func:`winlang.check.templates.scan`, and values are
formatted (with Babel, in the campaign's locale) by :mod:`winlang.deliver.render`.
"""

from __future__ import annotations

from functools import lru_cache

from .frozen import frozen
from .types import DATE, NUMBER, TIMESTAMP, Type, article

STYLES = ("short", "medium", "long", "full")
NUMBER_FORMATS = ("number", "percent", "currency")
TIME_FORMATS = ("date", "time", "datetime")
FORMATS = NUMBER_FORMATS + TIME_FORMATS
DEFAULT_LOCALE = "en"


@frozen(slots=True)
class FormatSpec:
    """A spec understood: ``format`` one of :data:`FORMATS`; ``currency`` an ISO 4217 code
    (for ``currency``); ``style`` one of :data:`STYLES` (for dates and times)."""

    format: str
    currency: str | None = None
    style: str = "medium"


class SpecError(ValueError):
    """A spec that can't be used; the message says why, the hint how to write it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def is_format(spec: str) -> bool:
    """Whether ``spec`` starts with a known format (``{color:red}`` in CSS does not).

    >>> is_format("currency:KRW"), is_format("red")
    (True, False)
    """
    return spec.split(":", 1)[0] in FORMATS


@lru_cache(maxsize=256)
def parse_spec(spec: str) -> FormatSpec:
    """``spec`` as a :class:`FormatSpec`; raises :class:`SpecError`.

    >>> parse_spec("currency:krw"), parse_spec("date:long").style
    (FormatSpec(format='currency', currency='KRW', style='medium'), 'long')
    >>> parse_spec("currency:XYZ")
    Traceback (most recent call last):
    winlang.formats.SpecError: `XYZ` is not a currency code
    """
    name, *args = spec.split(":")
    if name not in FORMATS:
        raise SpecError(f"`{name}` is not a format", f"formats: {', '.join(FORMATS)}")
    if name == "currency":
        if len(args) != 1:
            raise SpecError(
                "`currency` needs one currency code", "write `{value:currency:EUR}` (ISO 4217)"
            )
        code = args[0].upper()
        if code not in _currencies():
            raise SpecError(
                f"`{args[0]}` is not a currency code", "use an ISO 4217 code: KRW, EUR, RON, USD"
            )
        return FormatSpec(name, currency=code)
    if name in NUMBER_FORMATS:
        if args:
            raise SpecError(f"`{name}` takes nothing after it", f"write `{{value:{name}}}`")
        return FormatSpec(name)
    if len(args) > 1 or (args and args[0] not in STYLES):
        raise SpecError(
            f"`{':'.join(args)}` is not a style of `{name}`",
            f"styles: {', '.join(STYLES)} (`{{value:{name}:long}}`); the default is medium",
        )
    return FormatSpec(name, style=args[0] if args else "medium")


def type_problem(spec: FormatSpec, value_type: Type) -> str | None:
    """Why a value of ``value_type`` can't take ``spec`` (None when it can).

    >>> type_problem(FormatSpec("percent"), TIMESTAMP)
    '`percent` formats a number, and this is a timestamp'
    >>> type_problem(FormatSpec("time"), DATE)
    '`time` formats a timestamp, and this is a date'
    """
    if spec.format in NUMBER_FORMATS:
        wanted: tuple[Type, ...] = (NUMBER,)
    elif spec.format == "date":
        wanted = (DATE, TIMESTAMP)
    else:
        wanted = (TIMESTAMP,)
    if value_type in wanted:
        return None
    return f"`{spec.format}` formats {article(wanted[-1])}, and this is {article(value_type)}"


def locale_problem(name: str) -> str | None:
    """Why ``name`` is not a locale Babel (CLDR) knows (None when it is).

    >>> locale_problem("ko_KR"), locale_problem("xx_YY")
    (None, '`xx_YY` is not a known locale')
    """
    if name == DEFAULT_LOCALE:  # every project checks it: no need to load Babel for it
        return None
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return f"`{name}` is not a known locale"
    return None


def campaign_locale(campaign, default: str = DEFAULT_LOCALE) -> str:
    """The campaign's ``locale`` setting, else ``default`` (``[defaults] locale``)."""
    found = campaign.setting("locale")
    return str(found.value) if found is not None else default


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())
