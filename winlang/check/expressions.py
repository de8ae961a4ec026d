"""Name resolution and type inference for expressions.

``Typer.type_of(expr)`` gives the expression's type and reports every problem it finds through
``report``. A sub-expression that is already wrong (or has no schema to check against) has type
``unknown``, which is accepted everywhere, so one mistake gives one message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .. import ast as A
from ..config import Channel
from ..frozen import frozen
from ..suggest import did_you_mean
from ..times import parse_instant
from ..types import (
    BOOL,
    DURATION,
    NULL,
    NUMBER,
    TEXT,
    TIMESTAMP,
    UNKNOWN,
    Type,
    comparable,
    list_of,
)
from ..types import article as _article
from .functions import BUILTINS, Function


def article(t: Type) -> str:
    """``a number``, ``a true/false value``: a type as a marketer reads it in a message."""
    if t.kind == "bool":
        return "a true/false value"
    return _article(t)


Reporter = Callable[[str, str, A.Span, str | None], None]

STANDARD_EVENT_TYPES = (
    "open",
    "click",
    "purchase",
    "visit",
    "view",
    "bounce",
    "unsubscribe",
    "delivered",
    "complaint",  # a spam report
    "hard_bounce",  # a bounce that will not go away (policies/suppressions)
)
MAX_DURATION_SECONDS = 100 * 365 * 86_400


@frozen
class Symbol:
    """What a name in an expression refers to."""

    name: str
    kind: Literal["field", "derived", "segment", "let"]
    expr: A.Expr | None = None  # derived fields, segments and lets
    span: A.Span | None = None  # where it is declared in the campaign file
    type: Type | None = None  # known up front for fields and derived fields


@dataclass
class Env:
    """Everything names can refer to, for one campaign."""

    symbols: dict[str, Symbol]
    templates: Mapping[str, A.Template]
    channels: Mapping[str, Channel]
    event_columns: Mapping[str, Type] | None  # None: no schema, columns unchecked
    event_types: frozenset[str] = frozenset(STANDARD_EVENT_TYPES)
    functions: Mapping[str, Function] = field(default_factory=lambda: dict(BUILTINS))
    fields_known: bool = True  # False without a schema: unknown names are not errors


def is_iso_time(text: str) -> bool:
    """A text literal that can stand for a time: ``"2026-01-31"`` or a full ISO timestamp."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?", text):
        return False
    try:
        parse_instant(text)
    except ValueError:
        return False
    return True


class Typer:
    def __init__(self, env: Env, report: Reporter) -> None:
        self.env = env
        self.report = report
        self.types: dict[int, Type] = {}
        self._resolving: list[str] = []

    # ---- entry points -----------------------------------------------------------------

    def condition(self, expr: A.Expr, what: str) -> Type:
        """Type ``expr`` and require true/false of it (``what``: "the audience", "a rule")."""
        found = self.type_of(expr)
        if found.kind not in ("bool", "unknown"):
            hint = _bool_hint(expr, found)
            self.report(
                "E303",
                f"{what} must be true or false, but this is {article(found)}",
                expr.span,
                hint,
            )
        return found

    def symbol_type(self, symbol: Symbol) -> Type:
        if symbol.type is not None:
            return symbol.type
        if symbol.name in self._resolving:
            cycle = " → ".join(
                [*self._resolving[self._resolving.index(symbol.name) :], symbol.name]
            )
            self.report(
                "E209",
                f"`{symbol.name}` is defined in terms of itself ({cycle})",
                symbol.span or symbol.expr.span,
                "break the cycle",
            )
            return UNKNOWN
        self._resolving.append(symbol.name)
        try:
            found = self.type_of(symbol.expr)
        finally:
            self._resolving.pop()
        symbol_typed = Symbol(symbol.name, symbol.kind, symbol.expr, symbol.span, found)
        self.env.symbols[symbol.name] = symbol_typed
        return found

    def type_of(self, expr: A.Expr) -> Type:
        key = id(expr)
        if key not in self.types:
            self.types[key] = self._infer(expr)
        return self.types[key]

    # ---- inference ----------------------------------------------------------------------

    def _infer(self, expr: A.Expr) -> Type:
        match expr:
            case A.Number():
                return NUMBER
            case A.Text():
                return TEXT
            case A.Bool():
                return BOOL
            case A.Null():
                return NULL
            case A.DurationLit(duration=d):
                self.duration(d)
                return DURATION
            case A.ListLit(items=items):
                return self._list(items, expr.span)
            case A.Name(name=name):
                return self._name(name, expr.span)
            case A.Call():
                return self._call(expr)
            case A.Negate(operand=operand):
                self._number(operand, "`-`")
                return NUMBER
            case A.Arith(op=op, left=left, right=right):
                self._number(left, f"`{op}`")
                self._number(right, f"`{op}`")
                return NUMBER
            case A.Compare():
                self._compare(expr)
                return BOOL
            case A.And(left=left, right=right) | A.Or(left=left, right=right):
                word = "and" if isinstance(expr, A.And) else "or"
                self.condition(left, f"each side of `{word}`")
                self.condition(right, f"each side of `{word}`")
                return BOOL
            case A.Not(operand=operand):
                self.condition(operand, "what follows `not`")
                return BOOL
            case A.Between():
                self._between(expr)
                return BOOL
            case A.In():
                self._in(expr)
                return BOOL
            case A.IsNull(operand=operand):
                self.type_of(operand)
                return BOOL
            case A.IsToday(operand=operand):
                self._time(operand, "`is today`")
                return BOOL
            case A.TextTest(op=op, operand=operand, pattern=pattern):
                word = op.replace("_", " ")
                self._text(operand, f"`{word}`")
                self._text(pattern, f"`{word}`")
                return BOOL
            case A.Within(operand=operand, window=window):
                self._time(operand, "`within`", window)
                self.duration(window)
                return BOOL
            case A.Ago(operand=operand, direction=direction, window=window):
                self._time(operand, f"`{direction} ... ago`")
                self.duration(window)
                return BOOL
            case A.EventPredicate():
                self._event_predicate(expr)
                return BOOL
            case A.Aggregate():
                return self._aggregate(expr)
            case A.InList():
                return BOOL
        raise AssertionError(f"no type rule for {type(expr).__name__}")

    def _name(self, name: str, span: A.Span) -> Type:
        symbol = self.env.symbols.get(name)
        if symbol is not None:
            return self.symbol_type(symbol)
        if name in self.env.templates:
            self.report(
                "E201",
                f"`{name}` is a template, not a value",
                span,
                f"to ask whether it was sent, write `received {name}`",
            )
            return UNKNOWN
        if not self.env.fields_known:
            return UNKNOWN
        if name in ("yes", "no", "on", "off", "y", "n"):
            self.report(
                "E201",
                f"unknown name `{name}`",
                span,
                "true and false are written `true` and `false`; "
                "a true/false field can also stand alone: `consent_sms`",
            )
            return UNKNOWN
        hint = did_you_mean(name, self.env.symbols) or (
            "fields are the store's customer columns and the derived fields of winlang.toml; "
            "declare others with `segment` or `let`"
        )
        self.report("E201", f"unknown name `{name}`", span, hint)
        return UNKNOWN

    def _call(self, call: A.Call) -> Type:
        name = call.function.name
        function = self.env.functions.get(name)
        arg_types = [self.type_of(a) for a in call.args]
        if function is None:
            self.report(
                "E204",
                f"unknown function `{name}`",
                call.function.span,
                did_you_mean(name, self.env.functions)
                or f"functions: {', '.join(sorted(self.env.functions))}",
            )
            return UNKNOWN
        low, high = function.arity
        if not low <= len(call.args) <= high:
            count = str(low) if low == high else f"{low} to {high}"
            self.report(
                "E308",
                f"`{name}` takes {count} argument{'s' if high > 1 else ''}",
                call.span,
                f"write {function.signature}",
            )
            return UNKNOWN
        for index, (arg, found) in enumerate(zip(call.args, arg_types, strict=True)):
            if found.kind not in ("unknown", "null") and not function.accepts(index, found):
                self.report(
                    "E308",
                    f"`{name}` can't take {article(found)}",
                    arg.span,
                    f"write {function.signature}",
                )
                return UNKNOWN
        if function.same_type:
            known = [(a, t) for a, t in zip(call.args, arg_types, strict=True) if _checkable(t)]
            odd = next(((a, t) for a, t in known if not comparable(known[0][1], t)), None)
            if odd is not None:
                self.report(
                    "E308",
                    f"`{name}` takes values of one type, but this is {article(odd[1])} "
                    f"and the first is {article(known[0][1])}",
                    odd[0].span,
                    f"write {function.signature}",
                )
                return UNKNOWN
        return function.result(arg_types)

    def _list(self, items: tuple[A.Expr, ...], span: A.Span) -> Type:
        kinds = [self.type_of(i) for i in items]
        known = [t for t in kinds if not t.is_unknown and t.kind != "null"]
        if known and any(not comparable(known[0], t) for t in known):
            odd = next(
                i
                for i, t in zip(items, kinds, strict=True)
                if not t.is_unknown and not comparable(known[0], t)
            )
            self.report(
                "E311",
                f"a list mixes {known[0]} and {self.type_of(odd)} values",
                odd.span,
                "every item of a list has the same type",
            )
            return list_of(UNKNOWN)
        return list_of(known[0] if known else UNKNOWN)

    def _number(self, expr: A.Expr, where: str) -> None:
        found = self.type_of(expr)
        if found.kind not in ("number", "unknown", "null"):
            hint = "arithmetic works on numbers only"
            if found.is_time:
                hint = f"for a time, use days_since(...) or `{_source_name(expr)} within ...`"
            self.report(
                "E302", f"{where} needs numbers, but this is {article(found)}", expr.span, hint
            )

    def _text(self, expr: A.Expr, where: str) -> None:
        found = self.type_of(expr)
        if found.kind not in ("text", "unknown", "null"):
            self.report(
                "E307", f"{where} works on text, but this is {article(found)}", expr.span, None
            )

    def _time(self, expr: A.Expr, where: str, window: A.Duration | None = None) -> None:
        found = self.type_of(expr)
        if not found.is_time and found.kind not in ("unknown", "null"):
            hint = None
            if window is not None and isinstance(expr, A.Name):
                hint = f"for events, write a verb: `purchased within {window}`"
            self.report(
                "E306",
                f"{where} needs a timestamp or a date, but this is {article(found)}",
                expr.span,
                hint,
            )

    def _compatible(self, a: A.Expr, b: A.Expr) -> tuple[Type, Type, bool]:
        """Types of both sides and whether they compare (a time with an ISO text literal does)."""
        left, right = self.type_of(a), self.type_of(b)
        if left.is_time and isinstance(b, A.Text) and is_iso_time(b.value):
            return left, right, True
        if right.is_time and isinstance(a, A.Text) and is_iso_time(a.value):
            return left, right, True
        return left, right, comparable(left, right)

    def _compare(self, expr: A.Compare) -> None:
        for side in (expr.left, expr.right):
            if isinstance(side, A.Null):
                negated = "not " if expr.op == "!=" else ""
                self.report(
                    "E309",
                    "a comparison with `null` is always unknown",
                    expr.span,
                    f"write `{_source_name(_other(expr, side))} is {negated}null`",
                )
                return
        if expr.op in ("=", "==", "!="):
            self._bare_text(expr.right, expr.left)
            self._bare_text(expr.left, expr.right)
        left, right, ok = self._compatible(expr.left, expr.right)
        if not ok:
            self.report(
                "E301",
                f"`{expr.op}` compares {article(left)} with {article(right)}",
                expr.span,
                _compare_hint(expr, left, right),
            )
            return
        ordered = expr.op in ("<", "<=", ">", ">=")
        if ordered and "bool" in (left.kind, right.kind):
            self.report(
                "E301",
                f"`{expr.op}` can't order true/false values",
                expr.op_span,
                "use `=` or `!=`",
            )
        if "list" in (left.kind, right.kind):
            self.report("E301", "a list can't be compared; use `in`", expr.span, None)

    def _bare_text(self, word: A.Expr, other: A.Expr) -> None:
        """``country = kr``: an unknown bare word compared with text is a text without its
        quotes (unless it is a slip of a known name); one finding, typed unknown after it."""
        known = self.env.symbols.keys() | self.env.templates.keys()
        if (
            not isinstance(word, A.Name)
            or id(word) in self.types
            or word.name in known
            or not self.env.fields_known
            or did_you_mean(word.name, self.env.symbols)
            or self.type_of(other).kind != "text"
        ):
            return
        self.report(
            "E201",
            f"unknown name `{word.name}`",
            word.span,
            f'a text value is written in double quotes: "{word.name}"',
        )
        self.types[id(word)] = UNKNOWN

    def _between(self, expr: A.Between) -> None:
        operand = self.type_of(expr.operand)
        for bound in (expr.low, expr.high):
            _, found, ok = self._compatible(expr.operand, bound)
            if found.kind == "null" or not ok:
                self.report(
                    "E304",
                    f"`between` compares {article(operand)} with a bound that is {article(found)}",
                    bound.span,
                    "both bounds must have the type of the value tested",
                )
        if operand.kind in ("bool", "list"):
            self.report(
                "E304", f"`between` can't order {article(operand)}", expr.operand.span, None
            )

    def _in(self, expr: A.In) -> None:
        operand = self.type_of(expr.operand)
        if isinstance(expr.items, A.Name):
            found = self.type_of(expr.items)
            if found.kind == "list":
                if found.item and not comparable(operand, found.item):
                    self.report(
                        "E305",
                        f"`in` looks for {article(operand)} in a list of {found.item} values",
                        expr.items.span,
                        None,
                    )
            elif not found.is_unknown:
                self.report(
                    "E305",
                    f"`in` needs a list, but `{expr.items.name}` is {article(found)}",
                    expr.items.span,
                    f'write `in ("a", "b")` or `let {expr.items.name} = ("a", "b")`',
                )
            return
        for item in expr.items:
            self._bare_text(item, expr.operand)
            _, found, ok = self._compatible(expr.operand, item)
            if found.kind == "null":
                self.report(
                    "E305",
                    "`null` in a list never matches",
                    item.span,
                    "test for missing values with `is null`",
                )
            elif not ok:
                self.report(
                    "E305",
                    f"`in` looks for {article(operand)}, but this item is {article(found)}",
                    item.span,
                    None,
                )

    # ---- events -----------------------------------------------------------------------

    def duration(self, duration: A.Duration) -> None:
        if duration.seconds <= 0:
            self.report(
                "E606",
                f"`{duration}` is not a positive duration",
                duration.span,
                "durations must be longer than zero",
            )
        elif duration.seconds > MAX_DURATION_SECONDS:
            self.report(
                "E606", f"`{duration}` is longer than 100 years", duration.span, "is a unit wrong?"
            )

    def target_kind(self, target: A.Ident, verb: str) -> str:
        """``template``, ``channel`` or ``any`` for a verb's object; reports unknown ones."""
        name = target.name
        if name == "any":
            return "any"
        if name in self.env.templates:
            return "template"
        if name in self.env.channels:
            return "channel"
        known = [*self.env.templates, *self.env.channels]
        self.report(
            "E207",
            f"`{name}` after `{verb}` is neither a template of this campaign nor a channel",
            target.span,
            did_you_mean(name, known)
            or f"templates: {', '.join(self.env.templates)}; "
            f"channels: {', '.join(self.env.channels)}; or `any`",
        )
        return "unknown"

    def _event_predicate(self, expr: A.EventPredicate) -> None:
        if expr.target is not None:
            self.target_kind(expr.target, expr.verb)
        if expr.window is not None:
            self.duration(expr.window)
        if expr.older_than is not None:
            self.duration(expr.older_than)

    def _aggregate(self, expr: A.Aggregate) -> Type:
        selector = expr.selector
        event_type = selector.event_type
        is_written_as_name = event_type.span.end - event_type.span.start == len(event_type.name)
        if is_written_as_name and event_type.name not in self.env.event_types:
            verbs = {v: t for v, t in A.VERB_EVENT_TYPES.items() if t != "received"}
            hint = (
                f"write `{verbs[event_type.name]}`"
                if event_type.name in verbs
                else did_you_mean(event_type.name, self.env.event_types)
                or f'for another event type, quote it: `"{event_type.name}"`'
            )
            self.report("E205", f"unknown event type `{event_type.name}`", event_type.span, hint)
        if selector.target is not None:
            self.target_kind(selector.target, expr.function)
        if selector.window is not None:
            self.duration(selector.window)
        prop = selector.prop if expr.function != "last" else (expr.prop or selector.prop)
        if expr.function == "count":
            if selector.prop is not None:
                self.report(
                    "E308",
                    "`count` counts events, not a column",
                    selector.prop.span,
                    f"write `count({event_type.name} ...)` or `sum(...)`",
                )
            return NUMBER
        if expr.function == "sum":
            if selector.prop is None:
                self.report(
                    "E308",
                    "`sum` needs a column to add up",
                    selector.span,
                    f"write `sum({event_type.name}.amount ...)`",
                )
                return NUMBER
            found = self._event_column(selector.prop)
            if found.kind not in ("number", "unknown"):
                self.report(
                    "E310",
                    f"`sum` adds numbers, but `{selector.prop.name}` is {article(found)}",
                    selector.prop.span,
                    None,
                )
            return NUMBER
        return self._event_column(prop) if prop is not None else TIMESTAMP

    def _event_column(self, prop: A.Ident) -> Type:
        columns = self.env.event_columns
        if columns is None:
            return UNKNOWN
        if prop.name not in columns:
            self.report(
                "E206",
                f"events have no column `{prop.name}`",
                prop.span,
                did_you_mean(prop.name, columns) or f"event columns: {', '.join(columns)}",
            )
            return UNKNOWN
        return columns[prop.name]


def _checkable(t: Type) -> bool:
    return t.kind not in ("unknown", "null")


def _other(expr: A.Compare, side: A.Expr) -> A.Expr:
    return expr.right if side is expr.left else expr.left


def _source_name(expr: A.Expr) -> str:
    return expr.name if isinstance(expr, A.Name) else "value"


def _bool_hint(expr: A.Expr, found: Type) -> str | None:
    name = _source_name(expr)
    if found.kind == "number":
        return f"compare it, for example `{name} > 0`"
    if found.kind == "text":
        return f'compare it, for example `{name} = "..."`'
    if found.is_time:
        return f"for example `{name} within 30 days` or `days_since({name}) > 30`"
    return None


def _compare_hint(expr: A.Compare, left: Type, right: Type) -> str | None:
    kinds = {left.kind, right.kind}
    if (left.is_time and right.kind == "number") or (right.is_time and left.kind == "number"):
        time_side = expr.left if left.is_time else expr.right
        return f"for a number of days, write `days_since({_source_name(time_side)})`"
    if "duration" in kinds and (left.is_time or right.is_time):
        return "for a time window, write `t within 30 days` or `t before 30 days ago`"
    if kinds == {"text", "number"}:
        number_side = expr.left if left.kind == "number" else expr.right
        if isinstance(number_side, A.Number):
            return f'to compare as text, quote the number: "{number_side.value}"'
        text_side = expr.left if left.kind == "text" else expr.right
        if isinstance(text_side, A.Text):
            return f"to compare as a number, remove the quotes: {text_side.value}"
    if kinds == {"bool", "text"}:
        bool_side = expr.left if left.kind == "bool" else expr.right
        name = _source_name(bool_side)
        return f"a true/false value: write `{name}` for true or `not {name}` for false"
    if "text" in kinds and (left.is_time or right.is_time):
        text_side = expr.right if left.is_time else expr.left
        if isinstance(text_side, A.Text) and re.match(r"\d{4}-\d{1,2}-\d{1,2}", text_side.value):
            return f'"{text_side.value}" is not a valid date; write one as "2026-01-31"'
        return 'write a date as "2026-01-31", or use `within 30 days` / `before 30 days ago`'
    return None
