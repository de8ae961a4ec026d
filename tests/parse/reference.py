"""The parser as it was before it built the AST inline: a test oracle, frozen on purpose.

Lark built a parse tree with ``propagate_positions`` and a ``v_args(meta=True)`` transformer
turned it into the AST. ``tests/parse/test_same_ast.py`` checks that today's parser gives the
very same ``ParseResult`` (every node, every span, every diagnostic) for the example campaigns,
the golden files and generated and mutated campaigns. Do not edit it to match new behaviour:
a change of the language is a change of this file and of the grammar together.
"""

# ruff: noqa

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from lark import Lark, Token, Transformer_NonRecursive, UnexpectedInput, v_args
from lark.exceptions import VisitError

from winlang import ast as A
from winlang.diagnostics import Diagnostic, SourceText
from winlang.parse import ParseResult, grammar_text
from winlang.parse.errors import syntax_diagnostic
from winlang.parse.words import ITEM_WORDS, MAX_REPORTED
from winlang.parse.strings import unquote

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


# ---- the parse, as it was ----

MAX_DEPTH = 200  # deeper expressions are a mistake, and would overflow recursive passes


@cache
def parser() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        start=["start", "expression_only"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


def parse_campaign(text: str, path: str = "<text>", vocabulary: Iterable[str] = ()) -> ParseResult:
    """Parse one ``.win`` file. ``vocabulary`` (known field names) sharpens syntax hints."""
    source = SourceText(path, text)
    try:
        campaign = _build(parser().parse(text, start="start"))
    except UnexpectedInput as error:
        first = syntax_diagnostic(error, source, parser(), vocabulary)
        return ParseResult(None, _with_other_errors(first, source, vocabulary))
    except NumberTooLarge as error:
        return ParseResult(None, (_too_large(source, error),))
    campaign = replace(campaign, path=path)
    deep = [_too_deep(source, expr) for expr in _expressions(campaign)]
    return ParseResult(campaign, tuple(d for d in deep if d))


def parse_expression(
    text: str, path: str = "<expression>", vocabulary: Iterable[str] = ()
) -> tuple[A.Expr | None, tuple[Diagnostic, ...]]:
    """Parse one expression, as written for a derived field in ``winlang.toml``."""
    source = SourceText(path, text)
    try:
        expr = _build(parser().parse(text, start="expression_only"))
    except UnexpectedInput as error:
        return None, (syntax_diagnostic(error, source, parser(), vocabulary),)
    except NumberTooLarge as error:
        return None, (_too_large(source, error),)
    deep = _too_deep(source, expr)
    return (None, (deep,)) if deep else (expr, ())


def _build(tree):
    """The AST of a parse tree; a builder's own error comes out unwrapped."""
    try:
        return AstBuilder().transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, NumberTooLarge):
            raise error.orig_exc from None
        raise


def _too_large(source: SourceText, error: NumberTooLarge) -> Diagnostic:
    return source.diagnostic(
        "E114",
        f"a number of {error.digits:,} digits; numbers have at most {MAX_DIGITS} digits "
        "before the decimal point",
        error.span,
    )


# ---- nesting -------------------------------------------------------------------------------


def _expressions(campaign: A.CampaignFile) -> Iterable[A.Expr]:
    for item in campaign.items:
        match item:
            case A.Segment(condition=e) | A.Let(value=e) | A.Rule(condition=e):
                yield e
            case A.Setting(key="audience", value=e):
                yield e


def _too_deep(source: SourceText, expr: A.Expr) -> Diagnostic | None:
    """E112 when ``expr`` nests deeper than MAX_DEPTH (checked without recursion)."""
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            # point at the start of the whole expression: the deep spot is rarely the mistake
            return source.diagnostic(
                "E112",
                f"this expression nests more than {MAX_DEPTH} levels deep",
                expr.span,
                "split it into segments (`segment name = ...`); for many alternatives, "
                'use `in ("a", "b", ...)`',
            )
        stack.extend((child, depth + 1) for child in A.children(node))
    return None


# ---- recovery: report every broken item, not only the first ---------------------------------

_ITEM_START = re.compile(  # strings and comments match first, so words inside them are skipped
    r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|(?<![a-z0-9_])'
    rf"({'|'.join(sorted(ITEM_WORDS))})(?![a-z0-9_])"
)


_RULE_HEAD = re.compile(r"(?:rule\s+[a-z_][a-z0-9_]*\s*:?|:)\s*$")


def _item_starts(text: str) -> list[int]:
    """Offsets where a top-level item begins (`when` only when no `rule name:` precedes it)."""
    starts = []
    for match in _ITEM_START.finditer(text):
        word = match.group(1)
        if not word:
            continue
        if word == "when" and _RULE_HEAD.search(text, max(0, match.start() - 80), match.start()):
            continue
        starts.append(match.start())
    return starts


def _with_other_errors(
    first: Diagnostic, source: SourceText, vocabulary: Iterable[str]
) -> tuple[Diagnostic, ...]:
    """Parse each item on its own (blanking the rest, so positions stay) to find more errors."""
    text = source.text
    starts = _item_starts(text)
    found = [first]
    for begin, end in zip(starts, [*starts[1:], len(text)][: len(starts)], strict=True):
        if len(found) >= MAX_REPORTED:
            break
        if begin <= _offset_of(first, source) < end:
            continue
        masked = SourceText(source.path, re.sub(r"[^\n]", " ", text[:begin]) + text[begin:end])
        try:
            parser().parse(masked.text, start="start")
        except UnexpectedInput as error:
            found_here = syntax_diagnostic(error, masked, parser(), vocabulary)
            found.append(replace(found_here, line_text=source.line(found_here.line)))
    unique = {(d.line, d.column, d.code): d for d in found}
    return tuple(sorted(unique.values(), key=lambda d: (d.line, d.column)))


def _offset_of(diagnostic: Diagnostic, source: SourceText) -> int:
    lines = source.text.split("\n")
    return sum(len(line) + 1 for line in lines[: diagnostic.line - 1]) + diagnostic.column - 1
