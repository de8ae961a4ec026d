"""Turn Lark's syntax errors into messages a marketer understands.

Each typical mistake (``=>`` for ``>=``, ``days since purchase``, a missing ``then``...) is
recognised from the error's token, what the parser expected, and the words just before it;
anything else gets a plain "unexpected X, expected Y".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Generic, TypeVar

from lark import Lark, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr, Token

from ..ast import Span
from ..diagnostics import Diagnostic, SourceText
from ..frozen import frozen
from ..suggest import closest, one_slip
from .words import ITEM_WORDS, KEYWORDS

ACTION_WORDS = frozenset({"send", "add", "remove", "unsubscribe", "split"})
UNITS = "minutes, hours, days, weeks, months or years"

FRIENDLY = {
    "NAME": "a name",
    "STRING": 'a text in double quotes ("...")',
    "NUMBER": "a number",
    "DURATION": "a duration such as `30 days`",
    "PERCENT": "a percentage such as `10%`",
    "TIME": "a time of day such as `21:00`",
    "$END": "the end of the file",
}

_WORDS = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+|==|!=|<=|>=|\S')


def _previous_words(text: str, offset: int, count: int = 3) -> list[str]:
    return [m[0] for m in _previous_matches(text, offset, count)]


def _previous_matches(text: str, offset: int, count: int = 3) -> list[re.Match[str]]:
    """The last ``count`` words before ``offset`` (comments skipped), with their positions."""
    # A few words back is all the hints need; start at a line start (strings and comments
    # never span lines) unless that line is very long.
    start = line_start = text.rfind("\n", 0, max(0, offset - 400)) + 1
    if offset - line_start > 4000:
        start = offset - 400
    found = [m for m in _WORDS.finditer(text, start, offset) if not m[0].startswith("#")]
    return found[-count:]


def _describe(terminal: str, parser: Lark) -> str:
    if terminal in FRIENDLY:
        return FRIENDLY[terminal]
    for term in parser.terminals:
        if term.name == terminal and isinstance(term.pattern, PatternStr):
            return f"`{term.pattern.value}`"
    return terminal.lower()


def expected_list(expected: Iterable[str], parser: Lark, limit: int = 8) -> str:
    names = sorted({_describe(t, parser) for t in expected})
    if len(names) > limit:
        names = [*names[:limit], "…"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def syntax_diagnostic(
    error: UnexpectedInput, source: SourceText, parser: Lark, vocabulary: Iterable[str] = ()
) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        return _bad_character(error, source, set(vocabulary))
    assert isinstance(error, UnexpectedToken)
    return _bad_token(error, source, parser, set(vocabulary))


# ---- characters the lexer can't read --------------------------------------------------------


# ---- the tables of typical mistakes ----------------------------------------------------------

# What a mistake says: the message, the hint, and the span it underlines (None: where the
# error is).
Said = tuple[str, str | None, Span | None]
Shown = TypeVar("Shown")  # what an error shows: Unread (a character) or Seen (a token)


@frozen
class Mistake(Generic[Shown]):
    """One typical mistake: when a syntax error is it, what to say, and example lines (each
    written after :data:`EXAMPLE_HEAD`, with :data:`EXAMPLE_VOCABULARY` known) whose first
    syntax error is this mistake — the tests check each example still comes here."""

    name: str
    code: str
    examples: tuple[str, ...]
    applies: Callable[[Shown], bool]
    say: Callable[[Shown], Said | Diagnostic]  # a Diagnostic when it builds its own


EXAMPLE_HEAD = 'campaign "x"\ntemplate coupon sms "Hi"\n'
EXAMPLE_VOCABULARY = frozenset(
    {"days_since_purchase", "first_name", "last_purchase_at", "orders", "country"}
)


@frozen
class Unread:
    """What the lexer couldn't read: the character at ``pos`` and the text around it."""

    source: SourceText
    pos: int
    vocabulary: frozenset[str]

    @property
    def text(self) -> str:
        return self.source.text

    @property
    def char(self) -> str:
        return self.text[self.pos]

    @property
    def rest(self) -> str:
        return self.text[self.pos : self.pos + 200]

    @cached_property
    def operator(self) -> tuple[str, str] | None:
        """A C-style operator here, and the word the language uses for it."""
        return next(((w, r) for w, r in _C_OPERATORS if self.rest.startswith(w)), None)

    @cached_property
    def clock(self) -> re.Match[str] | None:
        return re.match(r"([0-9]{1,2})(?::[0-9]{2})?\s*([ap]m)\b", self.rest, re.I)

    @property
    def declared(self) -> bool:
        """Whether a declaration's name (`rule`, `segment`...) starts here."""
        before = self.text[max(0, self.pos - 20) : self.pos]
        return re.search(r"\b(rule|segment|let|template)[ \t]+$", before) is not None

    @cached_property
    def glued(self) -> re.Match[str] | None:
        """A number with letters glued on (`30days`), from here."""
        return re.match(r"[0-9]+(?:\.[0-9]+)?[A-Za-z_]\w*", self.rest)

    def word(self, pattern: str = r"\w+") -> str:
        return re.match(pattern, self.rest)[0]


_C_OPERATORS = (("&&", "and"), ("||", "or"), ("!", "not"), ("&", "and"), ("|", "or"))


def _unclosed_text(u: Unread) -> Said:
    end = u.text.find("\n", u.pos)
    length = (end if end >= 0 else len(u.text)) - u.pos
    return (
        "this text has no closing double quote",
        'end the text on the same line with `"`',
        u.source.span_at(u.pos, length),
    )


def _single_quotes(u: Unread) -> Said:
    word = u.word(r"'[^'\n]*'?")
    fixed = '"' + word.strip("'") + '"'
    return (
        "texts are written in double quotes",
        f"write {fixed}",
        u.source.span_at(u.pos, len(word)),
    )


def _twelve_hour(u: Unread) -> Said:
    clock = u.clock
    hour = int(clock[1]) % 12 + (12 if clock[2].lower() == "pm" else 0)
    return (
        f"`{clock[0]}` is not a time of day here",
        f"times are written on a 24-hour clock: `{hour:02d}:00`",
        u.source.span_at(u.pos, len(clock[0])),
    )


def _glued_number(u: Unread) -> Said:
    """`30days` (here at the digits), or `30days` read from `d` (the digits before)."""
    text, pos = u.text, u.pos
    if u.glued:
        start = pos
    else:
        start = re.search(r"[0-9.]+$", text[max(0, pos - 50) : pos]).start() + max(0, pos - 50)
    word = re.match(r"[0-9.]*\w*", text[start : start + 200])[0]
    return (
        f"`{word}` is not a number or a duration",
        f"durations are written with a space and a unit: `30 days` ({UNITS})",
        u.source.span_at(start, len(word)),
    )


# In order: the first that applies is the message; examples as for MISTAKES.
CHARACTER_MISTAKES: tuple[Mistake[Unread], ...] = (
    Mistake(
        "unclosed-text",
        "E102",
        ('when country = "KR then send sms coupon',),
        lambda u: u.char == '"',
        _unclosed_text,
    ),
    Mistake(
        "single-quotes",
        "E107",
        ("when country = 'KR' then send sms coupon",),
        lambda u: u.char == "'",
        _single_quotes,
    ),
    Mistake(
        "upper-case",
        "E106",
        ("WHEN orders > 2 then send sms coupon", "when country = KR then send sms coupon"),
        lambda u: u.char.isascii() and u.char.isupper(),
        lambda u: _upper_case(u.source, u.pos, set(u.vocabulary)),
    ),
    Mistake(
        "c-operator",
        "E104",
        (
            "when orders > 2 && orders < 5 then send sms coupon",
            "when orders > 2 || orders < 5 then send sms coupon",
            "when !consent_sms then send sms coupon",
        ),
        lambda u: u.operator is not None,
        lambda u: (
            f"`{u.operator[0]}` is not an operator here",
            f"write `{u.operator[1]}`",
            u.source.span_at(u.pos, len(u.operator[0])),
        ),
    ),
    Mistake(
        "twelve-hour-clock",
        "E110",
        ("quiet hours 9pm to 8am",),
        lambda u: u.clock is not None,
        _twelve_hour,
    ),
    Mistake(
        "name-starting-with-digit",
        "E110",
        ("rule 1st: when orders > 1 then send sms coupon",),
        lambda u: u.declared and u.char.isdigit(),
        lambda u: (
            f"`{u.word()}` can't be a name: names start with a letter or `_`",
            f"for example `step_{u.word()}`",
            u.source.span_at(u.pos, len(u.word())),
        ),
    ),
    Mistake(
        "number-glued-to-word",
        "E110",
        (
            "when last_purchase_at within 30dayz then send sms coupon",
            "when orders > 2x then send sms coupon",
        ),
        lambda u: (
            u.glued is not None or (u.char.isalpha() and u.pos and u.text[u.pos - 1].isdigit())
        ),
        _glued_number,
    ),
    Mistake(
        "letters-outside-a-z",  # Korean, accented or other letters outside a-z
        "E101",
        ('when 나라 = "KR" then send sms coupon',),
        lambda u: u.char.isalpha(),
        lambda u: (
            f"`{u.word()}` is not a name: names use the letters a-z, digits and `_`",
            "text in other scripts goes in double quotes, as in a template or a comparison",
            u.source.span_at(u.pos, len(u.word())),
        ),
    ),
    Mistake(
        "semicolon",
        "E101",
        ("when orders > 1 then send sms coupon;",),
        lambda u: u.char == ";",
        lambda u: (
            "unexpected character `;`",
            "items need no `;` between them: remove it",
            u.source.span_at(u.pos, 1),
        ),
    ),
)


def character_mistake_of(unread: Unread) -> Mistake[Unread] | None:
    """The first mistake of :data:`CHARACTER_MISTAKES` that ``unread`` is, if any."""
    return next((m for m in CHARACTER_MISTAKES if m.applies(unread)), None)


def _bad_character(
    error: UnexpectedCharacters, source: SourceText, vocabulary: set[str]
) -> Diagnostic:
    unread = Unread(source, error.pos_in_stream, frozenset(vocabulary))
    mistake = character_mistake_of(unread)
    if mistake is not None:
        return _said(source, mistake, mistake.say(unread), source.span_at(unread.pos, 1))
    char = unread.char
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    return source.diagnostic(
        "E101",
        f"unexpected character `{shown}`",
        source.span_at(unread.pos, 1),
        "names are lower-case letters, digits and `_`; texts go in double quotes",
    )


def _said(source: SourceText, mistake: Mistake, said: Said | Diagnostic, span: Span) -> Diagnostic:
    """The diagnostic of ``mistake``: what it said, at ``span`` unless it gave its own."""
    if isinstance(said, Diagnostic):  # a mistake that builds its own
        return said
    message, hint, where = said
    return source.diagnostic(mistake.code, message, where or span, hint)


def _upper_case(source: SourceText, pos: int, vocabulary: set[str]) -> Diagnostic:
    """``WHEN``, ``Country``, ``lastPurchaseAt``: one finding for the whole word."""
    text = source.text
    start = pos
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_") and pos - start < 80:
        start -= 1
    word = re.match(r"\w+", text[start : start + 200])[0]
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", word).lower()
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - 400) : start]
    if (
        _COMPARED.search(before)
        and not _DEFINED.match(before)
        and word.lower() not in KEYWORDS
        and closest(snake, vocabulary) is None
    ):
        # `country = KR`: a value compared with a field, not a (misspelt) name
        return source.diagnostic(
            "E106",
            f"`{word}` is not a name: a text value is written in double quotes",
            source.span_at(start, len(word)),
            f'write "{word}"',
        )
    if word.lower() in KEYWORDS:
        kind, fixed = "keywords", word.lower()
    else:
        kind = "names"
        squashed = {name.replace("_", ""): name for name in vocabulary}
        fixed = (
            snake
            if snake in vocabulary
            else squashed.get(word.lower()) or closest(snake, vocabulary) or snake
        )
    return source.diagnostic(
        "E106",
        f"{kind} are written in lower case",
        source.span_at(start, len(word)),
        f"write `{fixed}`",
    )


# What comes before a value compared with a field: `=`, `!=`, `starts with`, an `in (` list
# (not `<=` or `>=`, nor the `=` of `segment name =` and `let name =`).
_COMPARED = re.compile(
    r"(?:(?<![<>=!])==?|!=|\b(?:starts|ends)\s+with|\bcontains|\bin\s*\((?:[^()]*,)?)\s*$"
)
_DEFINED = re.compile(r"^\s*(?:segment|let)\s+\w+\s*=\s*$")


# ---- tokens in the wrong place ------------------------------------------------------------

# Keywords that can end a multi-word name attempt (`days since purchase > 90`).
_NAME_STOPS = KEYWORDS - {"last", "count", "sum", "any", "list", "today", "hours", "file"}
ACTION_TERMINALS = frozenset({"SEND", "ADD", "REMOVE", "UNSUBSCRIBE"})


def _token_span(token, source: SourceText) -> Span:
    if token.type == "$END":
        end = len(source.text.rstrip())
        return source.span_at(max(end - 1, 0), 1)
    return Span(
        token.start_pos, token.end_pos, token.line, token.column, token.end_line, token.end_column
    )


@frozen
class Seen:
    """What a syntax error shows: the token, what the parser expected, the words before it."""

    token: Token
    expected: frozenset[str]
    source: SourceText
    parser: Lark
    vocabulary: frozenset[str]
    previous: tuple[re.Match[str], ...]  # the last words before the token, with positions
    # A keyword the parser took as a name (`then` after `and`, `when` after `send sms`)
    # means something is missing before it.
    swallowed: bool

    @property
    def value(self) -> str:
        return _shorten(str(self.token))

    @property
    def type(self) -> str:
        return self.token.type

    @property
    def span(self) -> Span:
        return _token_span(self.token, self.source)

    @property
    def offset(self) -> int:
        return self.token.start_pos if self.token.type != "$END" else len(self.source.text)

    @cached_property
    def before(self) -> list[str]:
        return [m[0] for m in self.previous]

    @property
    def last(self) -> str:
        return self.before[-1] if self.before else ""

    @property
    def second_last(self) -> str | None:
        return self.before[-2] if len(self.before) >= 2 else None

    @property
    def wanted(self) -> str:
        return expected_list(self.expected, self.parser)

    @cached_property
    def keyword(self) -> str | None:
        """The keyword the parser expected that a name is a slip of."""
        if self.type != "NAME":
            return None
        return _keyword_typo(self.value, set(self.expected), self.parser, set(self.vocabulary))

    def word_span(self, index: int) -> Span:
        match = self.previous[index]
        return self.source.span_at(match.start(), len(match[0]))

    def send_span(self, through: int) -> Span:
        """From the last ``send`` to the word at ``through``."""
        send_at = len(self.before) - 1 - self.before[::-1].index("send")
        return self.word_span(send_at).cover(self.word_span(through))


def seen_of(
    error: UnexpectedToken, source: SourceText, parser: Lark, vocabulary: Iterable[str]
) -> Seen:
    token = error.token
    offset = token.start_pos if token.type != "$END" else len(source.text)
    return Seen(
        token,
        frozenset(error.expected) - {"COMMENT"},
        source,
        parser,
        frozenset(vocabulary),
        tuple(_previous_matches(source.text, offset)),
        _swallowed(error),
    )


def _swallowed(error: UnexpectedToken) -> bool:
    """Whether the last word was a keyword read as a name (the token history says)."""
    history = [t for t in (error.token_history or ()) if t is not None]
    return bool(history) and history[-1].type == "NAME" and str(history[-1]) in KEYWORDS


_SEND_HINT = "write it as `send <channel> <template>`, for example `send sms coupon`"


def _with_on_line(s: Seen) -> bool:
    return "with" in s.source.line(s.span.line)[: s.span.column]


def _ago_wait(s: Seen) -> str:
    wait = _previous_words(s.source.text, s.offset, 4)  # `more than 7 days`
    return " ".join(wait if wait[:1] == ["more"] else wait[-3:])


# In order: the first that applies is the message.
MISTAKES: tuple[Mistake[Seen], ...] = (
    Mistake(
        "send-then-new-item",  # `send sms` + a new line starting `when`: read as the template
        "E109",
        ("when orders > 2 then send sms\nwhen orders > 3 then send sms coupon",),
        lambda s: s.swallowed and "send" in s.before[-3:-1] and s.last in ITEM_WORDS,
        lambda s: ("`send` needs a channel and a template", _SEND_HINT, s.send_span(-2)),
    ),
    Mistake(
        "send-unfinished",
        "E109",
        ("when orders > 2 then send sms",),
        lambda s: s.last == "send" or (s.second_last == "send" and s.type != "NAME"),
        lambda s: ("`send` needs a channel and a template", _SEND_HINT, s.send_span(-1)),
    ),
    Mistake(
        "end-of-file",
        "E108",
        ("when orders >",),
        lambda s: s.type == "$END",
        lambda s: (
            f"the file ends too early: expected {s.wanted}",
            "finish the item that starts above",
            None,
        ),
    ),
    Mistake(
        "equals-before-order",
        "E104",
        ("when orders => 2 then send sms coupon", "when orders =< 2 then send sms coupon"),
        lambda s: s.value in (">", "<") and s.last == "=",
        lambda s: (
            f"`={s.value}` is not an operator",
            f"did you mean `{s.value}=`?",
            s.span.cover(s.source.span_at(s.span.start - 1)),
        ),
    ),
    Mistake(
        "angle-not-equal",
        "E104",
        ('when country <> "KR" then send sms coupon',),
        lambda s: s.value == ">" and s.last == "<",
        lambda s: (
            "`<>` is not an operator",
            "write `!=` for 'not equal'",
            s.source.span_at(s.span.start - 1, 2),
        ),
    ),
    Mistake(
        "chained-comparison",
        "E100",
        ("when 1 < orders < 5 then send sms coupon",),
        lambda s: s.value in _COMPARISONS and any(w in _COMPARISONS for w in s.before[-3:-1]),
        lambda s: (
            "comparisons can't be chained",
            "write `x between 1 and 5`, or join two comparisons with `and`",
            None,
        ),
    ),
    Mistake(
        "rule-without-condition",  # `then` read as a name right after `when`
        "E100",
        ("when then send sms coupon",),
        lambda s: s.swallowed and s.last == "then" and s.second_last == "when",
        lambda s: (
            "this rule has no condition",
            "a rule reads `when <condition> then ...`",
            s.word_span(-1),
        ),
    ),
    Mistake(
        "condition-unfinished",  # `then` read as a name: the condition before it is unfinished
        "E100",
        ("when orders > 1 and then send sms coupon", "when orders > then send sms coupon"),
        lambda s: s.swallowed and s.last == "then" and s.second_last is not None,
        lambda s: (
            f"the condition ends with `{s.second_last}`",
            f"add what is missing after `{s.second_last}`"
            + (", or remove it" if s.second_last in ("and", "or", "not") else ""),
            s.word_span(-2),
        ),
    ),
    Mistake(
        "missing-then",
        "E103",
        ("when orders > 2 send sms coupon",),
        lambda s: "THEN" in s.expected and s.value in ACTION_WORDS,
        lambda s: (
            f"missing `then` before `{s.value}`",
            f"a rule reads `when <condition> then {s.value} ...`",
            None,
        ),
    ),
    Mistake(
        "item-unfinished",  # an item's first word read as a name: the item before is unfinished
        "E100",
        ("segment lapsed = orders >\nwhen lapsed then send sms coupon",),
        lambda s: s.swallowed and s.last in ITEM_WORDS and s.second_last is not None,
        lambda s: (
            f"this item is not finished when `{s.last}` starts the next one",
            f"complete it after `{s.second_last}`",
            s.word_span(-2),
        ),
    ),
    Mistake(
        "and-without-action",
        "E100",
        (
            "when orders > 1 then send sms coupon with discount = 1 and code = 2",
            "when orders > 1 then send sms coupon and wait",
        ),
        lambda s: s.last == "and" and bool(s.expected & ACTION_TERMINALS) and s.type == "NAME",
        lambda s: (
            f"after `then`, `and` joins another action, but `{s.value}` is not one",
            f"to pass several values, separate them with commas: `with ..., {s.value} = ...`"
            if _with_on_line(s)
            else "actions are send, add to list, remove from list and unsubscribe",
            None,
        ),
    ),
    Mistake(
        "else-not-send",
        "E100",
        ('when orders > 1 then send sms coupon else add to list "x"',),
        lambda s: s.last == "else" and s.value in ACTION_WORDS,
        lambda s: (
            "`else` only chains another send, tried when the first one can't be delivered",
            f"to do more, join actions with `and`: `then send ... and {s.value} ...`",
            None,
        ),
    ),
    Mistake(
        "else-without-send",
        "E100",
        ("when orders > 1 then send sms coupon else push coupon",),
        lambda s: "SEND" in s.expected and s.last == "else",
        lambda s: ("`else` is followed by another send", f"write `else send {s.value} ...`", None),
    ),
    Mistake(
        "keyword-typo",
        "E100",
        (
            "wen orders > 1 then send sms coupon",
            "when orders > 1 then sned sms coupon",
            "when orders > 1 tehn send sms coupon",
            'when orders > 1 then add to lsit "x"',
        ),
        lambda s: s.keyword is not None,
        lambda s: (
            # where an item starts, the parser's list of what it expected is long
            "unexpected `{}`: expected {}".format(
                s.value,
                "a rule or a declaration"
                if "WHEN" in s.expected and "RULE" in s.expected
                else s.wanted,
            ),
            f"did you mean `{s.keyword}`?",
            None,
        ),
    ),
    Mistake(
        "text-without-quotes",
        "E100",
        ("when orders > 1 then add to list active",),
        lambda s: "STRING" in s.expected and s.type == "NAME" and "NAME" not in s.expected,
        lambda s: (f"`{s.value}` needs double quotes here", f'write "{s.value}"', None),
    ),
    Mistake(
        "unit-without-number",
        "E110",
        ("when orders > 1 then send sms coupon repeat every year",),
        lambda s: (
            s.type == "NAME"
            and "DURATION" in s.expected
            and bool(re.fullmatch(_UNIT_WORD, s.value))
        ),
        lambda s: (
            f"`{s.value}` needs a number in front",
            f"write `1 {s.value.removesuffix('s')}`",
            None,
        ),
    ),
    Mistake(
        "missing-equals",
        "E100",
        (
            "when orders > 1 then send sms coupon with discount: 15",
            "segment lapsed days_since_purchase > 90",
        ),
        lambda s: s.expected == {"EQUAL"},
        lambda s: (
            f"missing `=` after `{s.last}`",
            f"write `{s.last} = ...`" + (", not `:`" if s.value == ":" else ""),
            None,
        ),
    ),
    Mistake(
        "colon-after-item-word",
        "E100",
        ('audience: country = "KR"',),
        lambda s: s.value == ":" and s.last in ITEM_WORDS,
        lambda s: (
            f"`{s.last}` is not followed by `:`",
            f"write `{s.last} ...` without the colon",
            None,
        ),
    ),
    Mistake(
        "template-without-channel",
        "E100",
        ('template hello "Hi"',),
        lambda s: s.second_last == "template" and s.type == "STRING",
        lambda s: (
            f"the template `{s.last}` has no channel",
            f'a template reads `template {s.last} <channel> "text"`, for example '
            f'`template {s.last} sms "..."`',
            None,
        ),
    ),
    Mistake(
        "is-with-a-value",
        "E100",
        ('when country is "KR" then send sms coupon',),
        lambda s: s.last == "is" and s.type in ("STRING", "NUMBER", "NAME"),
        lambda s: (
            f"`is` is followed by `null`, `not null` or `today`, not `{s.value}`",
            f"to compare, write `= {s.value}`",
            None,
        ),
    ),
    Mistake(
        "in-without-parentheses",
        "E100",
        ('when country in "KR", "RO" then send sms coupon',),
        lambda s: (
            s.last in ("in", "not") and "LPAR" in s.expected and s.type in ("STRING", "NUMBER")
        ),
        lambda s: ("the values after `in` go in parentheses", f"write `in ({s.value}, ...)`", None),
    ),
    Mistake(
        "in-for-within",
        "E100",
        ("when opened email in 30 days then send sms coupon",),
        lambda s: s.value == "in" and "WITHIN" in s.expected,
        lambda s: ("unexpected `in`", "for a time window, write `within 30 days`", None),
    ),
    Mistake(
        "name-in-several-words",
        "E105",
        (
            "when days since purchase > 90 then send sms coupon",
            "when first name = 1 then send sms coupon",
        ),
        lambda s: (
            s.type == "NAME"
            and "NAME" not in s.expected
            and _is_name(s.last)
            and s.last not in KEYWORDS
        ),
        lambda s: _words_as_name(s.token, s.previous[-1], s.source, set(s.vocabulary)),
    ),
    Mistake(
        "number-without-unit",
        "E110",
        ("when last_purchase_at within 30 then send sms coupon",),
        lambda s: s.type == "NUMBER" and "DURATION" in s.expected,
        lambda s: (f"`{s.value}` needs a unit here", f"write `{s.value} days` ({UNITS})", None),
    ),
    Mistake(
        "number-without-percent",
        "E100",
        ("holdout 10",),
        lambda s: s.type == "NUMBER" and "PERCENT" in s.expected,
        lambda s: (f"`{s.value}` needs a `%` here", f"write `{s.value}%`", None),
    ),
    Mistake(
        "number-and-word",
        "E110",
        ("when last_purchase_at > 3 dayz then send sms coupon",),
        lambda s: s.type == "NAME" and re.fullmatch(r"[0-9.]+", s.last or "") is not None,
        lambda s: (
            f"`{s.last} {s.value}` is not a duration",
            f"durations are a number and a unit: {UNITS}",
            s.word_span(-1).cover(s.span),
        ),
    ),
    Mistake(
        "rule-name-without-colon",
        "E100",
        ("rule a when orders > 1 then send sms coupon",),
        lambda s: s.expected == {"COLON"},
        lambda s: ("a rule's name is followed by `:`", "write `rule name: when ...`", None),
    ),
    Mistake(
        "rule-without-when",
        "E100",
        ("rule a: orders > 1 then send sms coupon",),
        lambda s: s.expected == {"WHEN"},
        lambda s: (
            f"unexpected `{s.value}`: expected `when`",
            f"a rule reads `rule name: when {s.value} ... then ...`",
            None,
        ),
    ),
    Mistake(
        "aggregate-without-parentheses",
        "E100",
        ("when count > 1 then send sms coupon",),
        lambda s: s.expected == {"LPAR"} and s.last in ("count", "sum", "last"),
        lambda s: (
            f"`{s.last}` is followed by events in parentheses",
            f"for example `{s.last}(purchase within 30 days)`",
            s.word_span(-1).cover(s.span),
        ),
    ),
    Mistake(
        "missing-ago",
        "E100",
        (
            "when last_visit_at before 30 days then send sms coupon",
            "when received coupon more than 7 days then send sms coupon",
        ),
        lambda s: s.expected == {"AGO"},
        lambda s: (
            f"unexpected `{s.value}`: expected `ago`",
            f"write `{_ago_wait(s)} ago`",
            None,
        ),
    ),
    Mistake(
        "more-than-in-aggregate",  # `count(open more than 3 days ago)`: `more` read as a target
        "E100",
        ("when count(open more than 3 days ago) > 1 then send sms coupon",),
        lambda s: s.value == "than" and s.last == "more",
        lambda s: (
            "`more than D ago` follows a verb, not an event type in `count`, `sum` or `last`",
            "write `opened survey more than 7 days ago`; aggregates take `within D`",
            s.word_span(-1).cover(s.span),
        ),
    ),
    Mistake(
        "not-an-item",
        "E100",
        ("templat2 = orders > 1",),
        lambda s: "WHEN" in s.expected and "RULE" in s.expected,
        lambda s: (
            f"unexpected `{s.value}`: expected a rule or a declaration",
            "items start with `campaign`, a setting, `segment`, `let`, `template`, "
            "`rule name:` or `when`",
            None,
        ),
    ),
    Mistake(
        "parenthesis-not-closed",
        "E100",
        ("when (orders > 1 then send sms coupon",),
        lambda s: "RPAR" in s.expected and _unclosed(s.source, s.span),
        lambda s: (
            f"unexpected `{s.value}`: expected {s.wanted}",
            "a `(` before this is not closed",
            None,
        ),
    ),
)


def mistake_of(seen: Seen) -> Mistake[Seen] | None:
    """The first mistake of :data:`MISTAKES` that the error ``seen`` is, if any."""
    return next((m for m in MISTAKES if m.applies(seen)), None)


def _bad_token(
    error: UnexpectedToken, source: SourceText, parser: Lark, vocabulary: set[str]
) -> Diagnostic:
    seen = seen_of(error, source, parser, vocabulary)
    mistake = mistake_of(seen)
    if mistake is None:
        return source.diagnostic(
            "E100", f"unexpected `{seen.value}`: expected {seen.wanted}", seen.span
        )
    return _said(source, mistake, mistake.say(seen), seen.span)


_COMPARISONS = frozenset({"=", "==", "!=", "<", "<=", ">", ">="})
_UNIT_WORD = r"(minute|hour|day|week|month|year)s?"


def _shorten(text: str, limit: int = 40) -> str:
    """A token as quoted in a message: a megabyte-long name is cut, not repeated in full."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _similarity(a: str, b: str) -> float:
    import difflib  # for a syntax error's hint only: a clean parse never loads it

    return difflib.SequenceMatcher(None, a, b).ratio()


def _is_name(word: str) -> bool:
    return re.fullmatch(r"[a-z_][a-z0-9_]*", word) is not None


def _keyword_typo(value: str, expected: set[str], parser: Lark, vocabulary: set[str]) -> str | None:
    """The keyword the parser expected that ``value`` is a slip of (`wen` for `when`, `sned`
    for `send`); a known field name, a short word like `id`, or a word with digits or `_`
    (`rule2`, `first_name`) is never taken for one."""
    if value in KEYWORDS or value in vocabulary or not value.isalpha():
        return None
    keywords = sorted(
        term.pattern.value
        for term in parser.terminals
        if term.name in expected
        and isinstance(term.pattern, PatternStr)
        and term.pattern.value in KEYWORDS
    )
    near = closest(value, keywords)
    if near is None and len(value) >= 3:
        near = next((word for word in keywords if len(word) >= 3 and one_slip(value, word)), None)
    return near


def _unclosed(source: SourceText, span: Span) -> bool:
    line = source.line(span.line)[: span.column - 1]
    line = re.sub(r'"(?:[^"\\]|\\.)*"', "", line)
    return line.count("(") > line.count(")")


def _words_as_name(
    token, first: re.Match[str], source: SourceText, vocabulary: set[str]
) -> Diagnostic:
    """``days since purchase`` -> one diagnostic suggesting ``days_since_purchase``.

    The words run from the one before the error up to an operator or keyword; the suggestion is
    the known name that the longest run of them spells (or comes closest to).
    """
    text = source.text
    follow = re.match(r"(?:[ \t]+[a-z_][a-z0-9_]*)*", text[token.end_pos : token.end_pos + 200])
    words = [first[0], str(token)]
    for word in follow[0].split():
        if word in _NAME_STOPS:
            break
        words.append(word)
    runs = [words[:n] for n in range(len(words), 1, -1)]  # longest first
    known = next((run for run in runs if "_".join(run) in vocabulary), None)
    if known is not None:
        chosen, guess = known, "_".join(known)
    else:
        scored = [(run, closest("_".join(run), vocabulary)) for run in runs]
        found = [(run, match) for run, match in scored if match]
        # the run that spells its match best; `max` keeps the longest of equals
        chosen, guess = max(
            found, key=lambda pair: _similarity("_".join(pair[0]), pair[1]), default=(words, "")
        )
        guess = guess or "_".join(words)
    end = token.end_pos
    for word in chosen[2:]:
        end = text.index(word, end) + len(word)
    span = source.span_at(first.start(), end - first.start())
    return source.diagnostic(
        "E105",
        f"`{text[span.start : span.end]}` is several words; names are one word",
        span,
        f"did you mean `{guess}`?",
    )
