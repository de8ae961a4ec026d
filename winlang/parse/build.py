"""Lark callbacks that build the AST while the LALR parser reduces (no parse tree in between).

One method per grammar rule or alias; each receives the rule's ``meta`` (its position) and its
children, already built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from lark import Token, Transformer_NonRecursive, v_args

from .. import ast as A
from .strings import unquote

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([a-z]+?)s?$")


def token_span(token: Token) -> A.Span:
    return A.Span(
        token.start_pos, token.end_pos, token.line, token.column, token.end_line, token.end_column
    )


def meta_span(meta: Any) -> A.Span:
    return A.Span(
        meta.start_pos, meta.end_pos, meta.line, meta.column, meta.end_line, meta.end_column
    )


def ident(token: Token) -> A.Ident:
    return A.Ident(str(token), token_span(token))


MAX_DIGITS = 15  # before the decimal point: numbers are float64, exact to 15 digits


class NumberTooLarge(Exception):
    """A number literal longer than :data:`MAX_DIGITS` digits (E114), at ``span``."""

    def __init__(self, text: str, span: A.Span) -> None:
        super().__init__(text)
        self.digits = len(text.split(".")[0].lstrip("-"))
        self.span = span


def number_value(text: str, span: A.Span) -> int | float:
    """The value of a number literal; checked for length before it is converted (Python
    refuses to convert integers of more than 4,300 digits, and float64 is exact to 15)."""
    if len(text.split(".")[0].lstrip("-")) > MAX_DIGITS:
        raise NumberTooLarge(text, span)
    return float(text) if "." in text else int(text)


def duration(token: Token) -> A.Duration:
    """``"30 days"`` -> Duration(30, "day")."""
    match = _DURATION.match(str(token))
    assert match, token
    span = token_span(token)
    return A.Duration(amount=number_value(match[1], span), unit=match[2], span=span)


def _is(value: object, kind: type) -> bool:
    return isinstance(value, kind)


@dataclass(frozen=True, slots=True)
class _Older:
    """``more than D ago`` on its way into an :class:`~winlang.ast.EventPredicate`."""

    duration: A.Duration


@v_args(meta=True)
class AstBuilder(Transformer_NonRecursive):
    """Builds :class:`winlang.ast.CampaignFile` (``start``) or one expression."""

    # ---- file and items -------------------------------------------------------------

    def start(self, meta, items):
        numbered: list[A.Item] = []
        for position, item in enumerate((i for i in items if _is(i, A.Rule)), start=1):
            if not item.named:
                item = replace(item, name=A.Ident(f"rule_{position}", item.name.span))
            numbered.append(item)
        renamed = iter(numbered)
        ordered = tuple(next(renamed) if _is(i, A.Rule) else i for i in items)
        return A.CampaignFile(path="", items=ordered)

    def expression_only(self, meta, children):
        return children[0]

    def campaign(self, meta, children):
        return A.CampaignHeader(name=unquote(children[0]), span=meta_span(meta))

    def _setting(self, key: str, value: object, meta, value_span: A.Span) -> A.Setting:
        return A.Setting(key=key, value=value, span=meta_span(meta), value_span=value_span)

    def description(self, meta, children):
        return self._setting("description", unquote(children[0]), meta, token_span(children[0]))

    def audience(self, meta, children):
        return self._setting("audience", children[0], meta, children[0].span)

    def cap(self, meta, children):
        count, per = children
        value = A.Cap(count=number_value(str(count), token_span(count)), per=duration(per))
        return self._setting("cap", value, meta, token_span(count).cover(token_span(per)))

    def quiet_hours(self, meta, children):
        start, end = (self._time(t) for t in children)
        return self._setting(
            "quiet_hours", A.QuietHours(start=start, end=end), meta, start.span.cover(end.span)
        )

    @staticmethod
    def _time(token: Token) -> A.TimeOfDay:
        hour, minute = str(token).split(":")
        return A.TimeOfDay(hour=int(hour), minute=int(minute), span=token_span(token))

    def holdout(self, meta, children):
        return self._setting("holdout", float(children[0][:-1]), meta, token_span(children[0]))

    def link(self, meta, children):
        return self._setting("link", unquote(children[0]), meta, token_span(children[0]))

    def timezone(self, meta, children):
        return self._setting("timezone", unquote(children[0]), meta, token_span(children[0]))

    def locale(self, meta, children):
        return self._setting("locale", unquote(children[0]), meta, token_span(children[0]))

    def segment(self, meta, children):
        name, condition = children
        return A.Segment(name=ident(name), condition=condition, span=meta_span(meta))

    def let(self, meta, children):
        name, value = children
        return A.Let(name=ident(name), value=value, span=meta_span(meta))

    # ---- templates --------------------------------------------------------------------

    def template(self, meta, children):
        name, channel, (subject, body) = children
        return A.Template(
            name=ident(name),
            channel=ident(channel),
            body=body,
            subject=subject,
            span=meta_span(meta),
        )

    def template_text(self, meta, children):
        return (None, template_text(children[0]))

    def template_email(self, meta, children):
        subject, body = children
        return (template_text(subject), body)

    def template_body_only(self, meta, children):
        return (None, children[0])

    def body_text(self, meta, children):
        return template_text(children[0])

    def body_file(self, meta, children):
        token = children[0]
        return A.TemplateText(value="", span=token_span(token), path=unquote(token))

    # ---- rules --------------------------------------------------------------------------

    def rule(self, meta, children):
        name = next((c for c in children if _is(c, A.Ident)), None)
        condition = next(c for c in children if _is(c, A.Expr))
        actions = next(c for c in children if _is(c, tuple | A.Split))
        repeat = next((c for c in children if _is(c, A.Duration)), None)
        span = meta_span(meta)
        return A.Rule(
            name=name
            or A.Ident(
                "",
                A.Span(
                    span.start, span.start + 4, span.line, span.column, span.line, span.column + 4
                ),
            ),
            named=name is not None,
            condition=condition,
            actions=actions,
            repeat=repeat,
            span=span,
        )

    def rule_name(self, meta, children):
        return ident(children[0])

    def repeat(self, meta, children):
        return duration(children[0])

    def actions(self, meta, children):
        return tuple(children)

    def add_to_list(self, meta, children):
        return A.ListAction(op="add", list_name=unquote(children[0]), span=meta_span(meta))

    def remove_from_list(self, meta, children):
        return A.ListAction(op="remove", list_name=unquote(children[0]), span=meta_span(meta))

    def unsubscribe(self, meta, children):
        channel = children[0]
        return A.Unsubscribe(channel=ident(channel) if channel else None, span=meta_span(meta))

    def split(self, meta, children):
        return A.Split(arms=tuple(children), span=meta_span(meta))

    def split_arm(self, meta, children):
        percent, actions = children
        return A.SplitArm(percent=float(percent[:-1]), actions=actions, span=meta_span(meta))

    def send(self, meta, children):
        channel, template, *rest = children
        params = next((c for c in rest if _is(c, tuple)), ())
        fallback = next((c for c in rest if _is(c, A.Send)), None)
        return A.Send(
            channel=ident(channel),
            template=ident(template),
            params=params,
            fallback=fallback,
            span=meta_span(meta),
        )

    def with_params(self, meta, children):
        return tuple(children)

    def param(self, meta, children):
        name, value = children
        return A.Param(name=ident(name), value=value)

    # ---- expressions --------------------------------------------------------------------

    def or_(self, meta, children):
        left, right = children
        return A.Or(left=left, right=right, span=meta_span(meta))

    def and_(self, meta, children):
        left, right = children
        return A.And(left=left, right=right, span=meta_span(meta))

    def not_(self, meta, children):
        return A.Not(operand=children[0], span=meta_span(meta))

    def compare(self, meta, children):
        left, op, right = children
        symbol = "=" if op == "==" else str(op)
        return A.Compare(
            op=symbol, left=left, right=right, op_span=token_span(op), span=meta_span(meta)
        )

    def comp_op(self, meta, children):
        return children[0]

    add_op = mul_op = aggregate_fn = verb = comp_op

    def arith(self, meta, children):
        left, op, right = children
        return A.Arith(
            op=str(op), left=left, right=right, op_span=token_span(op), span=meta_span(meta)
        )

    def neg(self, meta, children):
        return A.Negate(operand=children[0], span=meta_span(meta))

    def between(self, meta, children, negated=False):
        operand, low, high = children
        return A.Between(operand=operand, low=low, high=high, negated=negated, span=meta_span(meta))

    def not_between(self, meta, children):
        return self.between(meta, children, negated=True)

    def in_(self, meta, children, negated=False):
        operand, items = children
        return A.In(operand=operand, items=items, negated=negated, span=meta_span(meta))

    def not_in(self, meta, children):
        return self.in_(meta, children, negated=True)

    def in_literal(self, meta, children):
        return tuple(children)

    def in_name(self, meta, children):
        return A.Name(name=str(children[0]), span=token_span(children[0]))

    def is_null(self, meta, children, negated=False):
        return A.IsNull(operand=children[0], negated=negated, span=meta_span(meta))

    def is_not_null(self, meta, children):
        return self.is_null(meta, children, negated=True)

    def is_today(self, meta, children):
        return A.IsToday(operand=children[0], span=meta_span(meta))

    def _text_test(self, op, meta, children):
        operand, pattern = children
        return A.TextTest(op=op, operand=operand, pattern=pattern, span=meta_span(meta))

    def starts_with(self, meta, children):
        return self._text_test("starts_with", meta, children)

    def ends_with(self, meta, children):
        return self._text_test("ends_with", meta, children)

    def contains(self, meta, children):
        return self._text_test("contains", meta, children)

    def within(self, meta, children):
        operand, window = children
        return A.Within(operand=operand, window=duration(window), span=meta_span(meta))

    def before_ago(self, meta, children, direction="before"):
        operand, window = children
        return A.Ago(
            operand=operand, direction=direction, window=duration(window), span=meta_span(meta)
        )

    def after_ago(self, meta, children):
        return self.before_ago(meta, children, direction="after")

    def event_predicate(self, meta, children):
        verb, *rest = children
        return self._event(str(verb), A.VERB_EVENT_TYPES[str(verb)], rest, meta)

    def did(self, meta, children):
        event_type, *rest = children
        return self._event("did", unquote(event_type), rest, meta)

    def _event(self, verb: str, event_type: str, rest: list, meta) -> A.EventPredicate:
        target = next((ident(c) for c in rest if _is(c, Token)), None)
        window = next((c for c in rest if _is(c, A.Duration)), None)
        older_than = next((c.duration for c in rest if _is(c, _Older)), None)
        return A.EventPredicate(
            verb=verb,
            event_type=event_type,
            target=target,
            window=window,
            older_than=older_than,
            span=meta_span(meta),
        )

    def older(self, meta, children):
        return _Older(duration(children[0]))

    def window(self, meta, children):
        return duration(children[0])

    def in_list(self, meta, children):
        return A.InList(list_name=unquote(children[0]), span=meta_span(meta))

    def number(self, meta, children):
        span = meta_span(meta)
        return A.Number(value=number_value(str(children[0]), span), span=span)

    def string(self, meta, children):
        return A.Text(value=unquote(children[0]), span=meta_span(meta))

    def true(self, meta, children):
        return A.Bool(value=True, span=meta_span(meta))

    def false(self, meta, children):
        return A.Bool(value=False, span=meta_span(meta))

    def null(self, meta, children):
        return A.Null(span=meta_span(meta))

    def duration(self, meta, children):
        return A.DurationLit(duration=duration(children[0]), span=meta_span(meta))

    def name(self, meta, children):
        return A.Name(name=str(children[0]), span=meta_span(meta))

    def call(self, meta, children):
        function, *args = children
        return A.Call(
            function=ident(function),
            args=tuple(a for a in args if a is not None),
            span=meta_span(meta),
        )

    def list_literal(self, meta, children):
        return A.ListLit(items=tuple(children), span=meta_span(meta))

    def aggregate(self, meta, children):
        function, selector = children
        return A.Aggregate(function=str(function), selector=selector, span=meta_span(meta))

    def last(self, meta, children):
        selector, prop = children
        return A.Aggregate(
            function="last",
            selector=selector,
            prop=ident(prop) if prop else None,
            span=meta_span(meta),
        )

    def event_selector(self, meta, children):
        event_type, prop, target, window = children
        type_ident = A.Ident(
            unquote(event_type) if event_type.type == "STRING" else str(event_type),
            token_span(event_type),
        )
        return A.EventSelector(
            event_type=type_ident,
            prop=ident(prop) if prop else None,
            target=ident(target) if target else None,
            window=window,
            span=meta_span(meta),
        )


def template_text(token: Token) -> A.TemplateText:
    """A template string with the source offset of every character of its value."""
    value, offsets = unquote(token, with_offsets=True)
    return A.TemplateText(value=value, span=token_span(token), offsets=offsets)
