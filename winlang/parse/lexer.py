"""Lark's contextual lexer, with a faster step for the common case.

Lark lexes a campaign one match at a time: the blanks or comment before a token are a match of
their own, every ``NAME`` goes through a second scanner to see whether it is a keyword, and
each step passes through several layers of calls. That was over half of parsing a long file.

Each parser state's lexer here keeps Lark's own terminals, order and keyword rules (the
grammar stays the one definition); it only folds the blanks and comments in front of a token
into the same regular expression (an atomic prefix, so it never gives back what it skipped),
looks keywords up in a dict, and builds the token directly. Anything else (an error, the end
of the text, a lexer it can't speed up) is Lark's own code, so errors stay exactly Lark's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark.exceptions import UnexpectedCharacters, UnexpectedToken
from lark.lexer import BasicLexer, ContextualLexer, LexerState, PatternStr, Token, _create_unless


class _Fast:
    """What the fast step of one parser state's lexer needs, or ``None`` when it can't run."""

    __slots__ = ("keywords", "match", "newline", "newline_types")

    def __init__(self, match, keywords: dict[str, dict[str, str]], newline_types, newline):
        self.match = match
        self.keywords = keywords
        self.newline_types = newline_types
        self.newline = newline


def _fast_of(lexer: BasicLexer) -> _Fast | None:
    """Lark's terminals, order and keyword rules for one parser state, as one expression with
    the blanks in front (built from what Lark's own scanner is built from, so Lark compiles
    its scanner only if an error needs it)."""
    if lexer.use_bytes or lexer.user_callbacks or lexer.re is not re:
        return None
    terminals, callbacks = _create_unless(lexer.terminals, lexer.g_regex_flags, re, False)
    keywords: dict[str, dict[str, str]] = {}
    for name, callback in callbacks.items():
        words = callback.scanner.terminals
        if name in lexer.ignore_types or not all(
            type(w.pattern) is PatternStr and not w.pattern.flags for w in words
        ):
            return None
        keywords[name] = {w.pattern.value: w.name for w in words}
    ignored = [t for t in terminals if t.name in lexer.ignore_types]
    if not ignored or any(t.pattern.flags for t in ignored):
        return None
    blanks = "|".join(t.pattern.to_regexp() for t in ignored)
    alternatives = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)
    # An atomic prefix: the blanks and comments are skipped once and never given back, so
    # the alternatives after it (Lark's own, in Lark's order) start where a token does.
    try:
        match = re.compile(f"(?:{blanks})*+(?:{alternatives})", lexer.g_regex_flags).match
    except AssertionError:  # too many groups for one expression: Lark splits it, we don't
        return None
    return _Fast(match, keywords, lexer.newline_types, "\n")


class FastBasicLexer(BasicLexer):
    """One parser state's lexer: Lark's, with the fast step in front."""

    _fast: _Fast | bool | None = False  # False: not built yet

    def next_token(self, lex_state: LexerState, parser_state: Any = None) -> Token:
        fast = self._fast
        if fast is False:
            fast = self._fast = _fast_of(self)
        if fast is None:
            return super().next_token(lex_state, parser_state)
        counter = lex_state.line_ctr
        text = lex_state.text
        pos = counter.char_pos
        found = fast.match(text.text, pos, text.end)
        if found is None:  # an error or the end of the text: Lark's code says which
            return super().next_token(lex_state, parser_state)
        kind = found.lastgroup
        start, end = found.start(kind), found.end()
        source = text.text
        newline = fast.newline
        if start > pos:  # blanks and comments skipped
            lines = source.count(newline, pos, start)
            if lines:
                counter.line += lines
                counter.line_start_pos = source.rindex(newline, pos, start) + 1
        line, column = counter.line, start - counter.line_start_pos + 1
        value = source[start:end]
        if kind in fast.newline_types:
            lines = value.count(newline)
            if lines:
                counter.line += lines
                counter.line_start_pos = start + value.rindex(newline) + 1
        words = fast.keywords.get(kind)
        if words is not None:
            kind = words.get(value, kind)
        counter.char_pos = end
        counter.column = end - counter.line_start_pos + 1
        token = _new_token(kind, value, start, line, column, counter.line, counter.column, end)
        lex_state.last_token = token
        return token


_new_token = Token._future_new  # Token(...) without the check for a deprecated keyword


class FastContextualLexer(ContextualLexer):
    """Lark's contextual lexer whose per-state lexers take the fast step."""

    BasicLexer = FastBasicLexer

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        """Lark's ``lex``, reading the parser's state off its stack directly."""
        lexers, stack = self.lexers, parser_state.state_stack
        try:
            while True:
                yield lexers[stack[-1]].next_token(lexer_state, parser_state)
        except EOFError:
            pass
        except UnexpectedCharacters as error:
            # as Lark does: a terminal of another context gets "unexpected token"
            try:
                last_token = lexer_state.last_token
                token = self.root_lexer.next_token(lexer_state, parser_state)
                raise UnexpectedToken(
                    token,
                    error.allowed,
                    state=parser_state,
                    token_history=[last_token],
                    terminals_by_name=self.root_lexer.terminals_by_name,
                )
            except UnexpectedCharacters:
                raise error  # noqa: B904 (as Lark: the first error, with what this state expects)
