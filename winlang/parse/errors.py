"""Turn Lark's syntax errors into messages a marketer understands.

Each typical mistake (``=>`` for ``>=``, ``days since purchase``, a missing ``then``...) is
recognised from the error's token, what the parser expected, and the words just before it;
anything else gets a plain "unexpected X, expected Y".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lark import Lark, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from ..ast import Span
from ..diagnostics import Diagnostic, SourceText
from ..suggest import closest

MAX_REPORTED = 50

KEYWORDS = frozenset(
    [
        "campaign",
        "description",
        "audience",
        "cap",
        "per",
        "quiet",
        "hours",
        "to",
        "holdout",
        "link",
        "timezone",
        "segment",
        "let",
        "template",
        "subject",
        "body",
        "file",
        "rule",
        "when",
        "then",
        "and",
        "or",
        "not",
        "in",
        "list",
        "between",
        "is",
        "null",
        "today",
        "starts",
        "ends",
        "with",
        "contains",
        "within",
        "before",
        "after",
        "ago",
        "did",
        "any",
        "count",
        "sum",
        "last",
        "true",
        "false",
        "send",
        "else",
        "add",
        "remove",
        "from",
        "unsubscribe",
        "split",
        "repeat",
        "every",
        "opened",
        "clicked",
        "purchased",
        "visited",
        "viewed",
        "bounced",
        "unsubscribed",
        "received",
    ]
)
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
    words = [w for w in _WORDS.findall(text[:offset]) if not w.startswith("#")]
    return words[-count:]


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
        return _bad_character(error, source)
    assert isinstance(error, UnexpectedToken)
    return _bad_token(error, source, parser, set(vocabulary))


def _bad_character(error: UnexpectedCharacters, source: SourceText) -> Diagnostic:
    text, pos = source.text, error.pos_in_stream
    char = text[pos]
    rest = text[pos:]
    if char == '"':
        end = text.find("\n", pos)
        length = (end if end >= 0 else len(text)) - pos
        return source.diagnostic(
            "E102",
            "this text has no closing double quote",
            source.span_at(pos, length),
            'end the text on the same line with `"`',
        )
    if char == "'":
        word = re.match(r"'[^'\n]*'?", rest)[0]
        fixed = '"' + word.strip("'") + '"'
        return source.diagnostic(
            "E107",
            "texts are written in double quotes",
            source.span_at(pos, len(word)),
            f"write {fixed}",
        )
    if char.isalpha() and not char.islower():
        word = re.match(r"\w+", rest)[0]
        kind = "keywords" if word.lower() in KEYWORDS else "names"
        return source.diagnostic(
            "E106",
            f"{kind} are written in lower case",
            source.span_at(pos, len(word)),
            f"write `{word.lower()}`",
        )
    for wrong, right in (("&&", "and"), ("||", "or"), ("!", "not"), ("&", "and"), ("|", "or")):
        if rest.startswith(wrong):
            return source.diagnostic(
                "E104",
                f"`{wrong}` is not an operator here",
                source.span_at(pos, len(wrong)),
                f"write `{right}`",
            )
    number = re.match(r"[0-9]+(?:\.[0-9]+)?[A-Za-z_]\w*", rest)
    if number or (char.isalpha() and re.search(r"[0-9]$", text[:pos])):
        start = pos if number else re.search(r"[0-9.]+$", text[:pos]).start()
        word = re.match(r"[0-9.]*\w*", text[start:])[0]
        return source.diagnostic(
            "E110",
            f"`{word}` is not a number or a duration",
            source.span_at(start, len(word)),
            f"durations are written with a space and a unit: `30 days` ({UNITS})",
        )
    shown = char if char.isprintable() else repr(char)
    return source.diagnostic(
        "E101",
        f"unexpected character `{shown}`",
        source.span_at(pos, 1),
        "names are lower-case letters, digits and `_`; texts go in double quotes",
    )


def _token_span(token, source: SourceText) -> Span:
    if token.type == "$END":
        end = len(source.text.rstrip())
        return source.span_at(max(end - 1, 0), 1)
    return Span(
        token.start_pos, token.end_pos, token.line, token.column, token.end_line, token.end_column
    )


def _bad_token(
    error: UnexpectedToken, source: SourceText, parser: Lark, vocabulary: set[str]
) -> Diagnostic:
    token = error.token
    expected = set(error.expected) - {"COMMENT"}
    span = _token_span(token, source)
    value = str(token)
    before = _previous_words(
        source.text, token.start_pos if token.type != "$END" else len(source.text)
    )
    last = before[-1] if before else ""
    wanted = expected_list(expected, parser)

    if last == "send" or (len(before) >= 2 and before[-2] == "send" and token.type != "NAME"):
        return source.diagnostic(
            "E109",
            "`send` needs a channel and a template",
            span,
            "write it as `send <channel> <template>`, for example `send sms coupon`",
        )
    if token.type == "$END":
        return source.diagnostic(
            "E108",
            f"the file ends too early: expected {wanted}",
            span,
            "finish the item that starts above",
        )
    if value in (">", "<") and last == "=":
        op = value + "="
        return source.diagnostic(
            "E104",
            f"`={value}` is not an operator",
            span.cover(source.span_at(span.start - 1)),
            f"did you mean `{op}`?",
        )
    if value == ">" and last == "<":
        return source.diagnostic(
            "E104",
            "`<>` is not an operator",
            source.span_at(span.start - 1, 2),
            "write `!=` for 'not equal'",
        )
    if "THEN" in expected and value in ACTION_WORDS:
        return source.diagnostic(
            "E103",
            f"missing `then` before `{value}`",
            span,
            f"a rule reads `when <condition> then {value} ...`",
        )
    if token.type == "NAME" and "NAME" not in expected and re.fullmatch(r"[a-z_]\w*", last or ""):
        return _words_as_name(token, source, before, vocabulary)
    if token.type == "NUMBER" and "DURATION" in expected:
        return source.diagnostic(
            "E110", f"`{value}` needs a unit here", span, f"write `{value} days` ({UNITS})"
        )
    if token.type == "NAME" and re.fullmatch(r"[0-9.]+", last or ""):
        return source.diagnostic(
            "E110",
            f"`{last} {value}` is not a duration",
            span.cover(span),
            f"durations are a number and a unit: {UNITS}",
        )
    if value in KEYWORDS and "NAME" in expected and len(expected) <= 3:
        return source.diagnostic(
            "E113",
            f"`{value}` is a keyword and can't be used as a name",
            span,
            f"pick another name, such as `{value}_1`",
        )
    if expected == {"COLON"}:
        return source.diagnostic(
            "E100", "a rule's name is followed by `:`", span, "write `rule name: when ...`"
        )
    if "WHEN" in expected and "RULE" in expected:
        return source.diagnostic(
            "E100",
            f"unexpected `{value}`: expected a rule or a declaration",
            span,
            "items start with `campaign`, a setting, `segment`, `let`, `template`, "
            "`rule name:` or `when`",
        )
    return source.diagnostic("E100", f"unexpected `{value}`: expected {wanted}", span)


def _words_as_name(token, source: SourceText, before: list[str], vocabulary: set[str]):
    """``days since purchase`` -> one diagnostic suggesting ``days_since_purchase``."""
    first = before[-1]
    start = source.text.rfind(first, 0, token.start_pos)
    words = [first, str(token)]
    follow = re.match(r"((?:[ \t]+[a-z_][a-z0-9_]*)*)", source.text[token.end_pos :])
    extra = [w for w in follow[1].split() if w not in KEYWORDS] if follow else []
    candidates = ["_".join(words + extra[:n]) for n in range(len(extra), -1, -1)]
    known = next((c for c in candidates if c in vocabulary), None)
    guess = known or closest(candidates[-1], vocabulary) or candidates[-1]
    length = len(" ".join(words + (extra[: guess.count("_") + 1 - len(words)] if known else [])))
    span = source.span_at(start, max(length, len(" ".join(words))))
    return source.diagnostic(
        "E105",
        f"`{source.text[span.start : span.end]}` is several words; names are one word",
        span,
        f"did you mean `{guess}`?",
    )
