"""Lark callbacks that build the AST while the LALR parser reduces (no parse tree in between).

One method per grammar rule or alias. The parser keeps every token (``keep_all_tokens``), so
each method receives all of its rule's children, keywords and brackets included, already built,
and computes its node's span from the first and the last of them: the span Lark's
``propagate_positions`` used to give, without Lark tracking positions for every reduction.

A node's span runs from the start of its first child to the end of its last one; a child in
brackets counts with its brackets (``(a or b) and c`` starts at the ``(``), though the
bracketed expression's own span leaves them out. :class:`_Spanned` carries such a wider extent
from a child to its parent, and the parent unwraps it.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import replace

from lark import Token

from .. import ast as A
from ..frozen import frozen
from .strings import unquote

_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([a-z]+?)s?$")


def token_span(token: Token) -> A.Span:
    return A.Span(
        token.start_pos, token.end_pos, token.line, token.column, token.end_line, token.end_column
    )


def _between(first: object, last: object) -> A.Span:
    """From the start of ``first`` to the end of ``last``: tokens, nodes or :class:`_Spanned`."""
    if type(first) is Token:
        start, line, column = first.start_pos, first.line, first.column
    else:
        head = first.span  # type: ignore[attr-defined]
        start, line, column = head.start, head.line, head.column
    if type(last) is Token:
        return A.Span(start, last.end_pos, line, column, last.end_line, last.end_column)
    tail = last.span  # type: ignore[attr-defined]
    return A.Span(start, tail.end, line, column, tail.end_line, tail.end_column)


def _last(children: list) -> object:
    """The last child that is there (``[...]`` leaves ``None`` for what was not written)."""
    return next(c for c in reversed(children) if c is not None)


@frozen(slots=True)
class _Spanned:
    """A built value and the extent of the text it came from, on its way to its parent: an
    expression in brackets, a rule's ``rule name:``, a ``with`` parameter or list, the items of
    ``in (...)``, ``more than D ago``."""

    value: object
    span: A.Span


def _expr(child: object) -> A.Expr:
    """The expression itself, without the brackets it may have been written in."""
    return child.value if type(child) is _Spanned else child  # type: ignore[return-value]


def ident(token: Token) -> A.Ident:
    return A.Ident(str(token), token_span(token))


MAX_DIGITS = 15  # before the decimal point: numbers are float64, exact to 15 digits


class NumberTooLarge(Exception):
    """A number literal longer than :data:`MAX_DIGITS` digits (E114), at ``span``."""

    def __init__(self, text: str, span: A.Span) -> None:
        super().__init__(text)
        self.digits = len(text.split(".")[0].lstrip("-"))
        self.span = span


# The numbers too long met by the parse under way, in source order. Callbacks note them rather
# than raise: a syntax error anywhere in the file is reported first (as when the AST was built
# after the whole parse), and a parse for error recovery must not stop at one.
too_large_numbers: ContextVar[list[NumberTooLarge] | None] = ContextVar(
    "too_large_numbers", default=None
)


def number_value(text: str, span: A.Span) -> int | float:
    """The value of a number literal; checked for length before it is converted (Python
    refuses to convert integers of more than 4,300 digits, and float64 is exact to 15)."""
    if len(text.split(".")[0].lstrip("-")) > MAX_DIGITS:
        noted = too_large_numbers.get()
        if noted is not None:
            noted.append(NumberTooLarge(text, span))
        return 0
    return float(text) if "." in text else int(text)


def duration(token: Token) -> A.Duration:
    """``"30 days"`` -> Duration(30, "day")."""
    match = _DURATION.match(str(token))
    assert match, token
    span = token_span(token)
    return A.Duration(amount=number_value(match[1], span), unit=match[2], span=span)


@frozen(slots=True)
class _Older:
    """``more than D ago`` on its way into an :class:`~winlang.ast.EventPredicate`."""

    duration: A.Duration
    span: A.Span


class AstBuilder:
    """Builds :class:`winlang.ast.CampaignFile` (``start``) or one expression.

    Lark calls the method named after each rule or alias as the rule is reduced, with the
    rule's children in the order ``grammar/winlang.lark`` writes them, keywords included, and
    ``None`` for each part of a ``[...]`` that was not written.
    """

    # ---- file and items -------------------------------------------------------------

    def start(self, items):
        numbered: list[A.Item] = []
        for position, item in enumerate((i for i in items if type(i) is A.Rule), start=1):
            if not item.named:
                item = replace(item, name=A.Ident(f"rule_{position}", item.name.span))
            numbered.append(item)
        renamed = iter(numbered)
        ordered = tuple(next(renamed) if type(i) is A.Rule else i for i in items)
        return A.CampaignFile(path="", items=ordered)

    def expression_only(self, children):
        return _expr(children[0])

    def campaign(self, children):
        keyword, name = children
        return A.CampaignHeader(name=unquote(name), span=_between(keyword, name))

    @staticmethod
    def _setting(key: str, value: object, children: list, value_span: A.Span) -> A.Setting:
        return A.Setting(
            key=key, value=value, span=_between(children[0], children[-1]), value_span=value_span
        )

    def _string_setting(self, key: str, children: list) -> A.Setting:
        string = children[1]
        return self._setting(key, unquote(string), children, token_span(string))

    def description(self, children):
        return self._string_setting("description", children)

    def link(self, children):
        return self._string_setting("link", children)

    def timezone(self, children):
        return self._string_setting("timezone", children)

    def locale(self, children):
        return self._string_setting("locale", children)

    def audience(self, children):
        value = _expr(children[1])
        return self._setting("audience", value, children, value.span)

    def cap(self, children):
        _, count, _, per = children
        value = A.Cap(count=number_value(str(count), token_span(count)), per=duration(per))
        return self._setting("cap", value, children, _between(count, per))

    def quiet_hours(self, children):
        start, end = self._time(children[2]), self._time(children[4])
        value = A.QuietHours(start=start, end=end)
        return self._setting("quiet_hours", value, children, _between(start, end))

    @staticmethod
    def _time(token: Token) -> A.TimeOfDay:
        hour, minute = str(token).split(":")
        return A.TimeOfDay(hour=int(hour), minute=int(minute), span=token_span(token))

    def holdout(self, children):
        percent = children[1]
        return self._setting("holdout", float(percent[:-1]), children, token_span(percent))

    def segment(self, children):
        keyword, name, _, condition = children
        return A.Segment(
            name=ident(name), condition=_expr(condition), span=_between(keyword, condition)
        )

    def let(self, children):
        keyword, name, _, value = children
        return A.Let(name=ident(name), value=_expr(value), span=_between(keyword, value))

    # ---- templates --------------------------------------------------------------------

    def template(self, children):
        keyword, name, channel, (subject, body) = children
        return A.Template(
            name=ident(name),
            channel=ident(channel),
            body=body,
            subject=subject,
            span=_between(keyword, body),  # the body ends the template, in every form
        )

    def template_text(self, children):
        return (None, template_text(children[0]))

    def template_email(self, children):
        _, subject, _, body = children
        return (template_text(subject), body)

    def template_body_only(self, children):
        return (None, children[1])

    def body_text(self, children):
        return template_text(children[0])

    def body_file(self, children):
        token = children[1]
        return A.TemplateText(value="", span=token_span(token), path=unquote(token))

    # ---- rules --------------------------------------------------------------------------

    def rule(self, children):
        # [rule_name] "when" expr "then" (actions | split) [repeat]
        named = type(children[0]) is _Spanned
        at = 1 if named else 0
        condition, actions = _expr(children[at + 1]), children[at + 3]
        repeat = children[at + 4] if len(children) > at + 4 else None
        last = repeat or (actions[-1] if type(actions) is tuple else actions)
        span = _between(children[0], last)
        return A.Rule(
            name=children[0].value
            if named
            else A.Ident(
                "",
                A.Span(
                    span.start, span.start + 4, span.line, span.column, span.line, span.column + 4
                ),
            ),
            named=named,
            condition=condition,
            actions=actions,
            repeat=repeat,
            span=span,
        )

    def rule_name(self, children):
        keyword, name, colon = children
        return _Spanned(ident(name), _between(keyword, colon))

    def repeat(self, children):
        return duration(children[2])

    def actions(self, children):
        return tuple(children[::2])  # action ("and" action)*

    def add_to_list(self, children):
        string = children[3]
        return A.ListAction(op="add", list_name=unquote(string), span=_between(children[0], string))

    def remove_from_list(self, children):
        string = children[3]
        return A.ListAction(
            op="remove", list_name=unquote(string), span=_between(children[0], string)
        )

    def unsubscribe(self, children):
        keyword, _, channel = children
        return A.Unsubscribe(
            channel=ident(channel) if channel else None, span=_between(keyword, channel or keyword)
        )

    def split(self, children):
        arms = tuple(children[1:])
        return A.Split(arms=arms, span=_between(children[0], arms[-1]))

    def split_arm(self, children):
        percent, actions = children
        return A.SplitArm(
            percent=float(percent[:-1]), actions=actions, span=_between(percent, actions[-1])
        )

    def send(self, children):
        # "send" NAME NAME [with_params] ["else" send]
        keyword, channel, template, *rest = children
        params = next((c.value for c in rest if type(c) is _Spanned), ())
        fallback = rest[-1] if rest and type(rest[-1]) is A.Send else None
        return A.Send(
            channel=ident(channel),
            template=ident(template),
            params=params,
            fallback=fallback,
            span=_between(keyword, _last(children)),
        )

    def with_params(self, children):
        params = children[1::2]  # "with" param ("," param)*
        return _Spanned(tuple(p.value for p in params), _between(children[0], params[-1]))

    def param(self, children):
        name, _, value = children
        return _Spanned(A.Param(name=ident(name), value=_expr(value)), _between(name, value))

    # ---- expressions --------------------------------------------------------------------

    def or_(self, children):
        left, _, right = children
        return A.Or(left=_expr(left), right=_expr(right), span=_between(left, right))

    def and_(self, children):
        left, _, right = children
        return A.And(left=_expr(left), right=_expr(right), span=_between(left, right))

    def not_(self, children):
        keyword, operand = children
        return A.Not(operand=_expr(operand), span=_between(keyword, operand))

    def compare(self, children):
        left, op, right = children
        symbol = "=" if op == "==" else str(op)
        return A.Compare(
            op=symbol,
            left=_expr(left),
            right=_expr(right),
            op_span=token_span(op),
            span=_between(left, right),
        )

    def comp_op(self, children):
        return children[0]

    add_op = mul_op = aggregate_fn = verb = comp_op

    def arith(self, children):
        left, op, right = children
        return A.Arith(
            op=str(op),
            left=_expr(left),
            right=_expr(right),
            op_span=token_span(op),
            span=_between(left, right),
        )

    def neg(self, children):
        minus, operand = children
        return A.Negate(operand=_expr(operand), span=_between(minus, operand))

    def between(self, children):
        operand, _, low, _, high = children
        return self._between_node(operand, low, high, negated=False)

    def not_between(self, children):
        operand, _, _, low, _, high = children
        return self._between_node(operand, low, high, negated=True)

    @staticmethod
    def _between_node(operand, low, high, negated: bool) -> A.Between:
        return A.Between(
            operand=_expr(operand),
            low=_expr(low),
            high=_expr(high),
            negated=negated,
            span=_between(operand, high),
        )

    def in_(self, children):
        return self._in(children[0], children[-1], negated=False)

    def not_in(self, children):
        return self._in(children[0], children[-1], negated=True)

    @staticmethod
    def _in(operand, items, negated: bool) -> A.In:
        return A.In(
            operand=_expr(operand),
            items=items.value if type(items) is _Spanned else items,
            negated=negated,
            span=_between(operand, items),
        )

    def in_literal(self, children):
        items = tuple(_expr(c) for c in children[1:-1:2])  # "(" sum ("," sum)* ")"
        return _Spanned(items, _between(children[0], children[-1]))

    def in_name(self, children):
        return A.Name(name=str(children[0]), span=token_span(children[0]))

    def is_null(self, children):
        return A.IsNull(
            operand=_expr(children[0]), negated=False, span=_between(children[0], children[-1])
        )

    def is_not_null(self, children):
        return A.IsNull(
            operand=_expr(children[0]), negated=True, span=_between(children[0], children[-1])
        )

    def is_today(self, children):
        return A.IsToday(operand=_expr(children[0]), span=_between(children[0], children[-1]))

    def _text_test(self, op: A.TextOp, children: list) -> A.TextTest:
        operand, pattern = children[0], children[-1]
        return A.TextTest(
            op=op, operand=_expr(operand), pattern=_expr(pattern), span=_between(operand, pattern)
        )

    def starts_with(self, children):
        return self._text_test("starts_with", children)

    def ends_with(self, children):
        return self._text_test("ends_with", children)

    def contains(self, children):
        return self._text_test("contains", children)

    def within(self, children):
        operand, _, window = children
        return A.Within(
            operand=_expr(operand), window=duration(window), span=_between(operand, window)
        )

    def before_ago(self, children, direction="before"):
        operand, _, window, ago = children
        return A.Ago(
            operand=_expr(operand),
            direction=direction,
            window=duration(window),
            span=_between(operand, ago),
        )

    def after_ago(self, children):
        return self.before_ago(children, direction="after")

    def event_predicate(self, children):
        verb, *rest = children
        return self._event(str(verb), A.VERB_EVENT_TYPES[str(verb)], children, rest)

    def did(self, children):
        _, event_type, *rest = children
        return self._event("did", unquote(event_type), children, rest)

    @staticmethod
    def _event(verb: str, event_type: str, children: list, rest: list) -> A.EventPredicate:
        # rest: [event_target] [window | older], neither with a placeholder
        target = next((ident(c) for c in rest if type(c) is Token), None)
        window = next((c for c in rest if type(c) is A.Duration), None)
        older_than = next((c.duration for c in rest if type(c) is _Older), None)
        return A.EventPredicate(
            verb=verb,
            event_type=event_type,
            target=target,
            window=window,
            older_than=older_than,
            span=_between(children[0], children[-1]),
        )

    def older(self, children):
        return _Older(duration(children[2]), _between(children[0], children[-1]))

    def window(self, children):
        return duration(children[1])

    def in_list(self, children):
        string = children[2]
        return A.InList(list_name=unquote(string), span=_between(children[0], string))

    def number(self, children):
        span = token_span(children[0])
        return A.Number(value=number_value(str(children[0]), span), span=span)

    def string(self, children):
        return A.Text(value=unquote(children[0]), span=token_span(children[0]))

    def true(self, children):
        return A.Bool(value=True, span=token_span(children[0]))

    def false(self, children):
        return A.Bool(value=False, span=token_span(children[0]))

    def null(self, children):
        return A.Null(span=token_span(children[0]))

    def duration(self, children):
        written = duration(children[0])
        return A.DurationLit(duration=written, span=written.span)

    def name(self, children):
        return A.Name(name=str(children[0]), span=token_span(children[0]))

    def primary(self, children):
        # "(" expr ")": the expression itself, and the brackets for its parent's span
        return _Spanned(_expr(children[1]), _between(children[0], children[2]))

    def call(self, children):
        # NAME "(" [expr ("," expr)*] ")"
        function = children[0]
        return A.Call(
            function=ident(function),
            args=tuple(_expr(a) for a in children[2:-1:2] if a is not None),
            span=_between(function, children[-1]),
        )

    def list_literal(self, children):
        # "(" expr ("," expr)+ ")"
        return A.ListLit(
            items=tuple(_expr(c) for c in children[1:-1:2]),
            span=_between(children[0], children[-1]),
        )

    def aggregate(self, children):
        function, _, selector, closing = children
        return A.Aggregate(
            function=str(function), selector=selector, span=_between(function, closing)
        )

    def last(self, children):
        # "last" "(" event_selector ")" ["." NAME]
        keyword, _, selector, _, _, prop = children
        return A.Aggregate(
            function="last",
            selector=selector,
            prop=ident(prop) if prop else None,
            span=_between(keyword, _last(children)),
        )

    def event_selector(self, children):
        # event_type ["." NAME] [event_target] [window]: always five children
        event_type, _, prop, target, window = children
        type_ident = A.Ident(
            unquote(event_type) if event_type.type == "STRING" else str(event_type),
            token_span(event_type),
        )
        return A.EventSelector(
            event_type=type_ident,
            prop=ident(prop) if prop else None,
            target=ident(target) if target else None,
            window=window,
            span=_between(event_type, _last(children)),
        )


def template_text(token: Token) -> A.TemplateText:
    """A template string with the source offset of every character of its value."""
    value, offsets = unquote(token, with_offsets=True)
    return A.TemplateText(value=value, span=token_span(token), offsets=offsets)
