"""Print expressions back as source text: the fewest parentheses that keep the tree.

Parentheses are not in the AST, so each node is printed with its precedence level and a child
whose level is lower than its place in the grammar allows is wrapped. Literals are printed as
the user wrote them when the source text is known (``"C:\\path"`` keeps its backslash), and in
a canonical spelling otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import ast as A

# Precedence levels, loosest first, as in grammar/winlang.lark.
OR, AND, NOT, PREDICATE, SUM, PRODUCT, UNARY, PRIMARY = range(1, 9)

_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*[a-z]+\Z")
_TEXT_OPS = {"starts_with": "starts with", "ends_with": "ends with", "contains": "contains"}


def quote(value: str) -> str:
    r"""A string literal whose value is ``value``.

    >>> quote('say "hi"\n')
    '"say \\"hi\\"\\n"'
    """
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def number_text(value: float) -> str:
    """``90``, ``1.5``: never an exponent, which the grammar has no spelling for.

    >>> number_text(1e-07), number_text(12.0), number_text(3)
    ('0.0000001', '12', '3')
    """
    if isinstance(value, int) or value == int(value):
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def duration_text(duration: A.Duration, amount: str | None = None) -> str:
    """``30 days``, ``1 year``: the unit singular for exactly one, plural otherwise."""
    amount = amount or number_text(duration.amount)
    return f"{amount} {duration.unit}{'' if duration.amount == 1 else 's'}"


@dataclass(frozen=True)
class Source:
    """The text the AST was parsed from, so literals keep their spelling; empty: canonical."""

    text: str = ""

    def slice(self, span: A.Span) -> str | None:
        if not self.text or span.end > len(self.text) or span.end <= span.start:
            return None
        return self.text[span.start : span.end]

    def string(self, span: A.Span, value: str) -> str:
        """The string literal inside ``span`` if it spells ``value``, else a canonical one."""
        from ..parse.strings import unquote

        raw = self.slice(span)
        if raw is not None:
            for match in _STRING.finditer(raw):
                if _unquoted(match.group(0), unquote) == value:
                    return match.group(0)
        return quote(value)

    def number(self, span: A.Span, value: float) -> str:
        raw = self.slice(span)
        if raw is not None and re.fullmatch(r"[0-9]+(\.[0-9]+)?", raw):
            return raw
        return number_text(value)

    def duration(self, duration: A.Duration) -> str:
        raw = self.slice(duration.span)
        match = _DURATION.match(raw) if raw else None
        return duration_text(duration, match.group(1) if match else None)


def _unquoted(literal: str, unquote: Callable[..., str]) -> str:
    from lark import Token

    return unquote(Token("STRING", literal))


class ExpressionPrinter:
    """``print(expr)`` gives the source text of an expression."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def print(self, node: A.Expr, level: int = OR) -> str:
        text, own = self.node(node)
        return f"({text})" if own < level else text

    def chain(self, node: A.Expr) -> tuple[str, list[str]]:
        """A top-level ``and``/``or`` chain as its operator and operands, for line breaking;
        anything else is a chain of one."""
        kind = type(node)
        if kind not in (A.And, A.Or):
            return "", [self.print(node)]
        operands: list[A.Expr] = []
        while isinstance(node, kind):
            operands.append(node.right)
            node = node.left
        operands.append(node)
        operands.reverse()
        op, level = ("and", NOT) if kind is A.And else ("or", AND)
        first = self.print(operands[0], level)
        return op, [first, *(self.print(o, level) for o in operands[1:])]

    def node(self, node: A.Expr) -> tuple[str, int]:
        handler = EXPRESSION_PRINTERS.get(type(node))
        if handler is None:
            raise TypeError(f"no printer for {type(node).__name__}")
        return handler(self, node)

    # ---- pieces shared by several nodes ---------------------------------------------------

    def ident_or_string(self, ident: A.Ident) -> str:
        """An event type written as a name or as a string (``"cart_add"``)."""
        raw = self.source.slice(ident.span)
        if raw is not None and (raw == ident.name or raw.startswith('"')):
            return self.source.string(ident.span, ident.name) if raw.startswith('"') else raw
        return ident.name if _NAME.match(ident.name) else quote(ident.name)

    def selector(self, selector: A.EventSelector) -> str:
        parts = [self.ident_or_string(selector.event_type)]
        if selector.prop is not None:
            parts[0] += f".{selector.prop.name}"
        if selector.target is not None:
            parts.append(selector.target.name)
        if selector.window is not None:
            parts.append(f"within {self.source.duration(selector.window)}")
        return " ".join(parts)


def _binary(op: str, level: int, left_level: int, right_level: int):
    def render(p: ExpressionPrinter, n: Any) -> tuple[str, int]:
        return f"{p.print(n.left, left_level)} {op} {p.print(n.right, right_level)}", level

    return render


def _arith(p: ExpressionPrinter, n: A.Arith) -> tuple[str, int]:
    level = SUM if n.op in "+-" else PRODUCT
    return f"{p.print(n.left, level)} {n.op} {p.print(n.right, level + 1)}", level


def _in(p: ExpressionPrinter, n: A.In) -> tuple[str, int]:
    items = (
        n.items.name
        if isinstance(n.items, A.Name)
        else "(" + ", ".join(p.print(i, SUM) for i in n.items) + ")"
    )
    return f"{p.print(n.operand, SUM)} {'not in' if n.negated else 'in'} {items}", PREDICATE


def _between(p: ExpressionPrinter, n: A.Between) -> tuple[str, int]:
    word = "not between" if n.negated else "between"
    low, high = p.print(n.low, SUM), p.print(n.high, SUM)
    return f"{p.print(n.operand, SUM)} {word} {low} and {high}", PREDICATE


def _event(p: ExpressionPrinter, n: A.EventPredicate) -> tuple[str, int]:
    parts = [f"did {p.source.string(n.span, n.event_type)}" if n.verb == "did" else n.verb]
    if n.target is not None:
        parts.append(n.target.name)
    if n.window is not None:
        parts.append(f"within {p.source.duration(n.window)}")
    if n.older_than is not None:
        parts.append(f"more than {p.source.duration(n.older_than)} ago")
    return " ".join(parts), PREDICATE


def _aggregate(p: ExpressionPrinter, n: A.Aggregate) -> tuple[str, int]:
    text = f"{n.function}({p.selector(n.selector)})"
    return (text + f".{n.prop.name}" if n.prop is not None else text), PRIMARY


def _call(p: ExpressionPrinter, n: A.Call) -> tuple[str, int]:
    return f"{n.function.name}({', '.join(p.print(a) for a in n.args)})", PRIMARY


EXPRESSION_PRINTERS: dict[type, Callable[[ExpressionPrinter, Any], tuple[str, int]]] = {
    A.Number: lambda p, n: (p.source.number(n.span, n.value), PRIMARY),
    A.Text: lambda p, n: (p.source.string(n.span, n.value), PRIMARY),
    A.Bool: lambda p, n: ("true" if n.value else "false", PRIMARY),
    A.Null: lambda p, n: ("null", PRIMARY),
    A.DurationLit: lambda p, n: (p.source.duration(n.duration), PRIMARY),
    A.ListLit: lambda p, n: ("(" + ", ".join(p.print(i) for i in n.items) + ")", PRIMARY),
    A.Name: lambda p, n: (n.name, PRIMARY),
    A.Call: _call,
    A.Aggregate: _aggregate,
    A.Negate: lambda p, n: (f"-{p.print(n.operand, UNARY)}", UNARY),
    A.Arith: _arith,
    A.Compare: lambda p, n: (
        f"{p.print(n.left, SUM)} {n.op} {p.print(n.right, SUM)}",
        PREDICATE,
    ),
    A.And: _binary("and", AND, AND, NOT),
    A.Or: _binary("or", OR, OR, AND),
    A.Not: lambda p, n: (f"not {p.print(n.operand, NOT)}", NOT),
    A.Between: _between,
    A.In: _in,
    A.IsNull: lambda p, n: (
        f"{p.print(n.operand, SUM)} is {'not null' if n.negated else 'null'}",
        PREDICATE,
    ),
    A.IsToday: lambda p, n: (f"{p.print(n.operand, SUM)} is today", PREDICATE),
    A.TextTest: lambda p, n: (
        f"{p.print(n.operand, SUM)} {_TEXT_OPS[n.op]} {p.print(n.pattern, SUM)}",
        PREDICATE,
    ),
    A.Within: lambda p, n: (
        f"{p.print(n.operand, SUM)} within {p.source.duration(n.window)}",
        PREDICATE,
    ),
    A.Ago: lambda p, n: (
        f"{p.print(n.operand, SUM)} {n.direction} {p.source.duration(n.window)} ago",
        PREDICATE,
    ),
    A.EventPredicate: _event,
    A.InList: lambda p, n: (f"in list {p.source.string(n.span, n.list_name)}", PREDICATE),
}
