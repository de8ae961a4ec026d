"""Statements as people read them: indented, with bound parameters named by what they hold.

Only whitespace changes: every token of the statement stays as the database gets it, in
order (:func:`tokens` of the original and of the pretty text are equal), so a pretty
statement is exactly the one that runs. A group — parentheses or ``CASE ... END`` — stays on
one line when it fits in :data:`WIDTH` columns; otherwise its parts go on lines of their own:
a query's clauses (``FROM``, ``WHERE``...) at its indentation, items after commas and
conditions after ``OR``/``AND`` (``WHEN``/``ELSE`` in a ``CASE``) two columns further, and
an ``AND`` beside an ``OR`` two more, as it binds tighter.

>>> print(pretty_sql("SELECT a, b FROM t WHERE a = :text_x", width=20), end="")
SELECT a,
  b
FROM t
WHERE a = :text_x
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from .binds import readable_names

WIDTH = 100

_TOKEN = re.compile(
    r"""'(?:[^']|'')*'            # a text constant
      |"(?:[^"]|"")*"             # a quoted name
      |::|:\w+|\$\d+|%\(\w+\)s|%% # a cast, bound parameters, psycopg's escaped %
      |\w+                        # a word or a number
      |<>|<=|>=|!=|\|\||\S        # an operator or a sign
    """,
    re.X,
)
_CLAUSES = frozenset(
    {"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "LEFT"}
)
_CASE_PARTS = frozenset({"WHEN", "ELSE"})


@dataclass
class _Token:
    text: str
    spaced: bool  # whitespace before it in the original


@dataclass
class _Group:
    kind: str  # "query" (the statement, or parentheses holding one), "paren" or "case"
    open: _Token | None
    items: list[_Token | _Group] = field(default_factory=list)
    close: _Token | None = None

    @property
    def spaced(self) -> bool:
        return self.open.spaced if self.open is not None else False


def tokens(text: str) -> list[str]:
    """The statement's tokens, whitespace dropped."""
    return _TOKEN.findall(text)


def _scan(text: str) -> Iterator[_Token]:
    end = 0
    for match in _TOKEN.finditer(text):
        yield _Token(match[0], match.start() > end)
        end = match.end()


def _tree(text: str) -> _Group:
    root = _Group("query", None)
    stack = [root]
    for token in _scan(text):
        top = stack[-1]
        if token.text in ("(", "CASE"):
            group = _Group("paren" if token.text == "(" else "case", token)
            top.items.append(group)
            stack.append(group)
        elif (token.text == ")" and top.kind in ("paren", "query") and len(stack) > 1) or (
            token.text == "END" and top.kind == "case"
        ):
            top.close = token
            stack.pop()
        else:
            if top.kind == "paren" and not top.items and token.text in ("SELECT", "WITH"):
                top.kind = "query"
            top.items.append(token)
    return root


def _flat(node: _Token | _Group, first: bool = True) -> str:
    """``node`` on one line: one space wherever the original had whitespace."""
    if isinstance(node, _Token):
        return (" " if node.spaced and not first else "") + node.text
    parts = [node.open, *node.items, node.close] if node.open is not None else node.items
    text = "".join(_flat(p, first and i == 0) for i, p in enumerate(p for p in parts if p))
    return text


class _Printer:
    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = [""]
        self.indent = 0  # of the current line

    @property
    def column(self) -> int:
        return len(self.lines[-1])

    def newline(self, indent: int) -> None:
        self.lines[-1] = self.lines[-1].rstrip()
        self.lines.append(" " * indent)
        self.indent = indent

    def write(self, text: str, spaced: bool) -> None:
        at_start = not self.lines[-1].strip()
        self.lines[-1] += (" " if spaced and not at_start else "") + text

    def node(self, node: _Token | _Group) -> None:
        if isinstance(node, _Token):
            self.write(node.text, node.spaced)
            return
        flat = _flat(node)
        if node.open is not None and self.column + 1 + len(flat) <= self.width:
            self.write(flat, node.spaced)
            return
        self.group(node)

    def group(self, group: _Group) -> None:
        outer = self.indent
        if group.open is not None:
            self.write(group.open.text, group.open.spaced)
        inner = outer + 2 if group.open is not None else outer
        if group.kind in ("paren", "query") and group.open is not None:
            self.newline(inner)
        # AND binds tighter than OR: beside an OR, the ANDs go two columns further
        anded = 2 if any(isinstance(i, _Token) and i.text == "OR" for i in group.items) else 0
        previous: _Token | _Group | None = None
        clause = None  # in a query, items go under their clause, but a WITH's CTEs don't
        for item in group.items:
            text = item.text if isinstance(item, _Token) else None
            if group.kind == "query" and (text in _CLAUSES or text == "WITH"):
                clause = text
            further = 2 if group.kind == "query" and clause != "WITH" else 0
            if previous is not None:
                if group.kind == "query" and text in _CLAUSES:
                    self.newline(inner)
                elif group.kind == "case" and text in _CASE_PARTS:
                    self.newline(outer + 2)
                elif text == "AND":
                    self.newline(inner + further + anded)
                elif text == "OR" or (isinstance(previous, _Token) and previous.text == ","):
                    self.newline(inner + further)
            if isinstance(item, _Token) and self.column == self.indent:
                self.write(item.text, False)
            else:
                self.node(item)
            previous = item
        if group.close is not None:
            self.newline(outer)
            self.write(group.close.text, False)


def pretty_sql(text: str, width: int = WIDTH) -> str:
    """``text`` indented (see the module docstring); only whitespace changes."""
    printer = _Printer(width)
    printer.group(_tree(text))
    return "\n".join(line.rstrip() for line in printer.lines).strip() + "\n"


def rename_binds(text: str, names: dict[str, str]) -> str:
    """``:old`` parameters of a named-style statement renamed to ``names[old]`` (also
    written ``:`old``` as Spark SQL quotes them).

    >>> rename_binds("a = :p AND b = :`q`", {"p": "x", "q": "y"})
    'a = :x AND b = :`y`'
    """
    return re.sub(r"(?<!:):(`?)(\w+)\1", lambda m: f":{m[1]}{names.get(m[2], m[2])}{m[1]}", text)


def shown(select: sa.ClauseElement, dialect: sa.engine.Dialect) -> str:
    """``select`` compiled for ``dialect`` (named parameters), parameters named by what they
    hold, indented."""
    compiled = select.compile(dialect=dialect)
    return pretty_sql(rename_binds(compiled.string, readable_names(compiled)))


def shown_executed(statement: str, compiled: sa.engine.Compiled) -> str:
    """The text a driver ran (``statement``, in the driver's parameter style, compiled as
    ``compiled``) shown as :func:`shown` shows it: the same text when both are the same."""
    style = compiled.dialect.paramstyle
    if style == "qmark":
        names = iter(compiled.positiontup)
        statement = re.sub(r"\?", lambda m: ":" + next(names), statement)
    elif style == "numeric_dollar":
        order = compiled.positiontup
        statement = re.sub(r"\$(\d+)", lambda m: ":" + order[int(m[1]) - 1], statement)
    elif style == "pyformat":
        statement = re.sub(r"%\((\w+)\)s", r":\1", statement).replace("%%", "%")
    elif style != "named":
        raise ValueError(f"can't show a statement in the {style} parameter style")
    return pretty_sql(rename_binds(statement, readable_names(compiled)))
