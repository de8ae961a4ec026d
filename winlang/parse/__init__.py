"""Parse campaign text into the AST of :mod:`winlang.ast`, or into diagnostics.

>>> result = parse_campaign('campaign "x"\\nwhen orders > 1 then send sms hello', "x.win")
>>> result.campaign.rules[0].name.name, result.diagnostics
('rule_1', ())
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path

from lark import Lark, UnexpectedInput

from .. import ast as A
from ..diagnostics import Diagnostic, SourceText
from ..frozen import frozen
from .build import MAX_DIGITS, AstBuilder, NumberTooLarge, too_large_numbers
from .lalr import FastLALRParser
from .lexer import FastContextualLexer
from .words import ITEM_WORDS, MAX_REPORTED

MAX_DEPTH = 200  # deeper expressions are a mistake, and would overflow recursive passes


@frozen(slots=True)
class ParseResult:
    """A parsed file: the campaign, or None with the syntax errors."""

    campaign: A.CampaignFile | None
    diagnostics: tuple[Diagnostic, ...]


def grammar_text() -> str:
    """The grammar, from the installed package or from the source tree (by path: loading
    ``importlib.resources`` cost more than parsing a small campaign)."""
    package = Path(__file__).resolve().parents[1]
    for path in (package / "grammar" / "winlang.lark", package.parent / "grammar" / "winlang.lark"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from importlib import resources  # a package imported from a zip archive

    return (resources.files("winlang") / "grammar" / "winlang.lark").read_text(encoding="utf-8")


@cache
def parser() -> Lark:
    """The LALR parser; it builds the AST as it reduces (:class:`~.build.AstBuilder`), so
    ``parse`` returns a :class:`~winlang.ast.CampaignFile` or an expression, not a tree."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        start=["start", "expression_only"],
        keep_all_tokens=True,  # the builder computes spans from the keywords and brackets too
        maybe_placeholders=True,
        transformer=AstBuilder(),
        # Lark's hook for swapping in its parts: the same lexer and LALR loop, with fast paths
        _plugins={"ContextualLexer": FastContextualLexer, "LALR_Parser": FastLALRParser},
        cache=True,
    )


def parse_campaign(text: str, path: str = "<text>", vocabulary: Iterable[str] = ()) -> ParseResult:
    """Parse one ``.win`` file. ``vocabulary`` (known field names) sharpens syntax hints."""
    source = SourceText(path, text)
    try:
        campaign, too_large = _parse(text, "start")
    except UnexpectedInput as error:
        first = _syntax_diagnostic(error, source, vocabulary)
        return ParseResult(None, _with_other_errors(first, source, vocabulary))
    if too_large:
        return ParseResult(None, (_too_large(source, too_large),))
    campaign = replace(campaign, path=path)
    deep = [_too_deep(source, expr) for expr in _expressions(campaign)]
    return ParseResult(campaign, tuple(d for d in deep if d))


def parse_expression(
    text: str, path: str = "<expression>", vocabulary: Iterable[str] = ()
) -> tuple[A.Expr | None, tuple[Diagnostic, ...]]:
    """Parse one expression, as written for a derived field in ``winlang.toml``."""
    source = SourceText(path, text)
    try:
        expr, too_large = _parse(text, "expression_only")
    except UnexpectedInput as error:
        return None, (_syntax_diagnostic(error, source, vocabulary),)
    if too_large:
        return None, (_too_large(source, too_large),)
    deep = _too_deep(source, expr)
    return (None, (deep,)) if deep else (expr, ())


def _parse(text: str, start: str):
    """The AST of ``text`` and the first number in it too long to be read, if any."""
    noted: list[NumberTooLarge] = []
    token = too_large_numbers.set(noted)
    try:
        with cycle_collector_paused():
            return parser().parse(text, start=start), (noted[0] if noted else None)
    finally:
        too_large_numbers.reset(token)


@contextmanager
def cycle_collector_paused():
    """Python's cycle collector paused, for a pass that makes a great many small objects and
    no cycles (the parse, the check): run every few hundred allocations, the collector went
    over the whole AST again and again (half the time of a large file). It resumes after, as
    it was; any cycle made meanwhile (an error's traceback) is collected then."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _syntax_diagnostic(
    error: UnexpectedInput, source: SourceText, vocabulary: Iterable[str]
) -> Diagnostic:
    """The message for a syntax error; its module (the table of typical mistakes) is loaded
    with the first one, as a clean parse never needs it."""
    from .errors import syntax_diagnostic

    return syntax_diagnostic(error, source, parser(), vocabulary)


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
    if expr.span.end - expr.span.start <= MAX_DEPTH:
        # each level of nesting has a token of its own (an operator, a keyword, a bracket, a
        # name) inside its parent's span: a span this short can't hold MAX_DEPTH + 1 levels
        return None
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
            found_here = _syntax_diagnostic(error, masked, vocabulary)
            found.append(replace(found_here, line_text=source.line(found_here.line)))
    unique = {(d.line, d.column, d.code): d for d in found}
    return tuple(sorted(unique.values(), key=lambda d: (d.line, d.column)))


def _offset_of(diagnostic: Diagnostic, source: SourceText) -> int:
    lines = source.text.split("\n")
    return sum(len(line) + 1 for line in lines[: diagnostic.line - 1]) + diagnostic.column - 1
