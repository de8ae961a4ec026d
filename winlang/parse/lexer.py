"""Lark's contextual lexer, with a faster step for the common case.

Lark lexes a campaign one match at a time: the blanks or comment before a token are a match of
their own, every ``NAME`` goes through a second scanner to see whether it is a keyword, and
each step passes through several layers of calls. That was over half of parsing a long file.

Each parser state's lexer here keeps Lark's own terminals, order and keyword rules (the
grammar stays the one definition); it only folds the blanks and comments in front of a token
into the same regular expression (an atomic prefix, so it never gives back what it skipped),
looks keywords up in a dict, and builds the token directly. Anything else (an error, the end
of the text, a lexer it can't speed up) is Lark's own code, so errors stay exactly Lark's.

Compiling a state's expression takes ~0.2 ms, and a small campaign visits some forty states
for a few tokens each: compiling them was most of parsing it. So a state first reads an
expression shared by many states and compiled once, where that gives the same token as its
own would (:func:`_state_fast`), and compiles its own only after ``OWN_AFTER`` tokens (its
own is quicker per token: fewer alternatives to try) or when the shared one finds a
terminal the state does not expect.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import copy
from types import SimpleNamespace
from typing import Any

from lark.exceptions import UnexpectedCharacters, UnexpectedToken
from lark.lexer import BasicLexer, ContextualLexer, LexerState, PatternStr, Token, _create_unless

OWN_AFTER = 64  # tokens a state reads with a shared expression before compiling its own

# ``re`` for Lark's keyword folding (``_create_unless``), which also compiles a scanner of each
# name-like terminal's keywords: only which keywords it folds is read here, never the scanner.
_FOLDING_ONLY = SimpleNamespace(match=re.match, compile=lambda pattern, flags=0: None)


class _Fast:
    """What the fast step of one parser state's lexer needs, or ``None`` when it can't run.

    ``kinds`` is None for a state's own expression; for a shared one, the state's own
    alternatives (a shared expression may find another terminal: then the state compiles its
    own), and ``left`` the tokens it reads so before compiling its own."""

    __slots__ = ("keywords", "kinds", "left", "match", "newline", "newline_types")

    def __init__(self, match, keywords: dict[str, dict[str, str]], newline_types, newline):
        self.match = match
        self.keywords = keywords
        self.newline_types = newline_types
        self.newline = newline
        self.kinds: frozenset[str] | None = None
        self.left = 0


def _folds_of(lexer: BasicLexer):
    """Lark's alternatives for one lexer, with keywords folded into the name-like terminals
    that match them (a ``NAME`` reading ``when`` is the keyword), and each one's keywords;
    ``None`` where the fast step can't run."""
    if lexer.use_bytes or lexer.user_callbacks or lexer.re is not re:
        return None
    terminals = lexer.terminals
    alternatives, callbacks = _create_unless(terminals, lexer.g_regex_flags, _FOLDING_ONLY, False)
    keywords: dict[str, dict[str, str]] = {}
    for name, callback in callbacks.items():
        words = callback.scanner.terminals
        if name in lexer.ignore_types or not all(
            type(w.pattern) is PatternStr and not w.pattern.flags for w in words
        ):
            return None
        keywords[name] = {w.pattern.value: w.name for w in words}
    return alternatives, keywords


def _expression(lexer: BasicLexer, alternatives: list):
    """The ``match`` of the alternatives, in Lark's order, with the blanks in front."""
    ignored = [t for t in alternatives if t.name in lexer.ignore_types]
    if not ignored or any(t.pattern.flags for t in ignored):
        return None
    blanks = "|".join(t.pattern.to_regexp() for t in ignored)
    choices = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in alternatives)
    # An atomic prefix: the blanks and comments are skipped once and never given back, so
    # the alternatives after it (Lark's own, in Lark's order) start where a token does.
    try:
        return re.compile(f"(?:{blanks})*+(?:{choices})", lexer.g_regex_flags).match
    except AssertionError:  # too many groups for one expression: Lark splits it, we don't
        return None


def _fast_of(lexer: BasicLexer) -> _Fast | None:
    """Lark's terminals, order and keyword rules for one parser state, as one expression with
    the blanks in front (built from what Lark's own scanner is built from, so Lark compiles
    its scanner only if an error needs it)."""
    return _own(lexer, _folds_of(lexer))


def _own(lexer: BasicLexer, folds) -> _Fast | None:
    if folds is None:
        return None
    match = _expression(lexer, folds[0])
    return None if match is None else _Fast(match, folds[1], lexer.newline_types, "\n")


class _Shared:
    """Expressions over many terminals, each compiled once on first use, that the parser
    states read before compiling their own: the root lexer's (every terminal), and the same
    without the name-like terminals (for states that expect keywords but no name)."""

    def __init__(self, root: BasicLexer) -> None:
        self.root = root
        self.expressions: list[tuple[frozenset[str], list]] | None = None
        self.compiled: dict[int, Any] = {}

    def candidates(self) -> list[tuple[frozenset[str], list]]:
        if self.expressions is None:
            self.expressions = []
            folds = _folds_of(self.root)
            if folds is not None:
                alternatives, keywords = folds
                nameless = [t for t in self.root.terminals if t.name not in keywords]
                for chosen in (alternatives, nameless):
                    self.expressions.append((frozenset(t.name for t in chosen), chosen))
        return self.expressions

    def match(self, index: int):
        if index not in self.compiled:
            self.compiled[index] = _expression(self.root, self.candidates()[index][1])
        return self.compiled[index]


def _state_fast(lexer: BasicLexer, shared: _Shared | None) -> _Fast | None:
    """A shared expression read for one parser state, where it gives the token the state's
    own would; else the state's own.

    A shared expression holds every alternative of the state (the same terminals, keywords
    folded the same way), in Lark's order, which is the same order in both: where the
    shared expression's first matching alternative is one of the state's, no alternative of
    the state's before it matches, so the state's own finds the same one, over the same
    text. The keywords are the state's own."""
    folds = _folds_of(lexer)
    if folds is None or shared is None:
        return _own(lexer, folds)
    kinds = frozenset(t.name for t in folds[0])
    for index, (names, _) in enumerate(shared.candidates()):
        if kinds <= names and (match := shared.match(index)) is not None:
            view = _Fast(match, folds[1], lexer.newline_types, "\n")
            view.kinds, view.left = kinds, OWN_AFTER
            return view
    return _own(lexer, folds)


class FastBasicLexer(BasicLexer):
    """One parser state's lexer: Lark's, with the fast step in front."""

    _fast: _Fast | bool | None = False  # False: not built yet
    _shared: _Shared | None = None  # expressions to start with (a parser state's lexer)

    def next_token(self, lex_state: LexerState, parser_state: Any = None) -> Token:
        fast = self._fast
        if fast is False:
            fast = self._fast = _state_fast(self, self._shared)
        if fast is None:
            return super().next_token(lex_state, parser_state)
        counter = lex_state.line_ctr
        text = lex_state.text
        pos = counter.char_pos
        found = fast.match(text.text, pos, text.end)
        if found is None:  # an error or the end of the text: Lark's code says which
            return super().next_token(lex_state, parser_state)
        kind = found.lastgroup
        if fast.kinds is not None:  # a shared expression
            if fast.left <= 0 or kind not in fast.kinds:  # time for the state's own
                self._fast = _fast_of(self)
                return self.next_token(lex_state, parser_state)
            fast.left -= 1
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


class _StateLexers(dict):
    """Parser state -> its lexer (one per set of terminals the state accepts), made as Lark's
    ``ContextualLexer`` makes them, the first time the parse reaches the state."""

    def __init__(self, owner: ContextualLexer, conf, states, always_accept) -> None:
        super().__init__()
        self.owner, self.conf, self.states = owner, conf, states
        self.always_accept = set(conf.ignore) | set(always_accept)
        self.shared = _Shared(owner.root_lexer)
        self.by_terminals: dict[frozenset[str], BasicLexer] = {}

    def __missing__(self, state) -> BasicLexer:
        key = frozenset(self.states[state])
        lexer = self.by_terminals.get(key)
        if lexer is None:
            by_name = self.conf.terminals_by_name
            state_conf = copy(self.conf)
            accepts = key | self.always_accept
            state_conf.terminals = [by_name[n] for n in accepts if n in by_name]
            lexer = self.by_terminals[key] = self.owner.BasicLexer(state_conf, None)
            lexer._shared = self.shared
        self[state] = lexer
        return lexer


class FastContextualLexer(ContextualLexer):
    """Lark's contextual lexer whose per-state lexers take the fast step, starting with the
    shared expressions."""

    BasicLexer = FastBasicLexer

    def __init__(self, conf, states, always_accept=()) -> None:
        if not conf.skip_validation:  # a grammar just built: Lark checks every lexer now
            super().__init__(conf, states, always_accept)
            shared = _Shared(self.root_lexer)
            for lexer in self.lexers.values():
                lexer._shared = shared
            return
        # loaded from Lark's cache: a state's lexer is made when the parse first reaches it
        # (Lark makes all ~80 up front, 2 ms of loading the parser for a few used)
        conf = copy(conf)
        conf.terminals = list(conf.terminals)
        self.root_lexer = self.BasicLexer(conf, None)
        self.lexers = _StateLexers(self, conf, states, always_accept)

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
