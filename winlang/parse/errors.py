"""Turn Lark's syntax errors into messages a marketer understands.

Each typical mistake (``=>`` for ``>=``, ``days since purchase``, a missing ``then``...) is
recognised from the error's token, what the parser expected, and the words just before it;
anything else gets a plain "unexpected X, expected Y".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from lark import Lark, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from ..ast import Span
from ..diagnostics import Diagnostic, SourceText
from ..suggest import closest, one_slip

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
        "locale",
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
        "more",
        "than",
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


def _bad_character(
    error: UnexpectedCharacters, source: SourceText, vocabulary: set[str]
) -> Diagnostic:
    text, pos = source.text, error.pos_in_stream
    char = text[pos]
    rest = text[pos : pos + 200]
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
    if char.isascii() and char.isupper():
        return _upper_case(source, pos, vocabulary)
    for wrong, right in (("&&", "and"), ("||", "or"), ("!", "not"), ("&", "and"), ("|", "or")):
        if rest.startswith(wrong):
            return source.diagnostic(
                "E104",
                f"`{wrong}` is not an operator here",
                source.span_at(pos, len(wrong)),
                f"write `{right}`",
            )
    clock = re.match(r"([0-9]{1,2})(?::[0-9]{2})?\s*([ap]m)\b", rest, re.I)
    if clock:
        hour = int(clock[1]) % 12 + (12 if clock[2].lower() == "pm" else 0)
        return source.diagnostic(
            "E110",
            f"`{clock[0]}` is not a time of day here",
            source.span_at(pos, len(clock[0])),
            f"times are written on a 24-hour clock: `{hour:02d}:00`",
        )
    declared = re.search(r"\b(rule|segment|let|template)[ \t]+$", text[max(0, pos - 20) : pos])
    if declared and char.isdigit():
        word = re.match(r"\w+", rest)[0]
        return source.diagnostic(
            "E110",
            f"`{word}` can't be a name: names start with a letter or `_`",
            source.span_at(pos, len(word)),
            f"for example `step_{word}`",
        )
    number = re.match(r"[0-9]+(?:\.[0-9]+)?[A-Za-z_]\w*", rest)
    if number or (char.isalpha() and pos and text[pos - 1].isdigit()):
        start = pos if number else re.search(r"[0-9.]+$", text[max(0, pos - 50) : pos]).start()
        start += 0 if number else max(0, pos - 50)
        word = re.match(r"[0-9.]*\w*", text[start : start + 200])[0]
        return source.diagnostic(
            "E110",
            f"`{word}` is not a number or a duration",
            source.span_at(start, len(word)),
            f"durations are written with a space and a unit: `30 days` ({UNITS})",
        )
    if char.isalpha():  # Korean, accented or other letters outside a-z
        word = re.match(r"\w+", rest)[0]
        return source.diagnostic(
            "E101",
            f"`{word}` is not a name: names use the letters a-z, digits and `_`",
            source.span_at(pos, len(word)),
            "text in other scripts goes in double quotes, as in a template or a comparison",
        )
    if char == ";":
        return source.diagnostic(
            "E101",
            "unexpected character `;`",
            source.span_at(pos, 1),
            "items need no `;` between them: remove it",
        )
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    return source.diagnostic(
        "E101",
        f"unexpected character `{shown}`",
        source.span_at(pos, 1),
        "names are lower-case letters, digits and `_`; texts go in double quotes",
    )


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

# Words that begin an item: when one of them shows up where a name was expected, the parser has
# read it as that name, so the item before it is unfinished.
ITEM_WORDS = frozenset(
    [
        "campaign",
        "description",
        "audience",
        "cap",
        "quiet",
        "holdout",
        "link",
        "timezone",
        "locale",
        "segment",
        "let",
        "template",
        "rule",
        "when",
    ]
)
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


def _bad_token(
    error: UnexpectedToken, source: SourceText, parser: Lark, vocabulary: set[str]
) -> Diagnostic:
    token = error.token
    expected = set(error.expected) - {"COMMENT"}
    span = _token_span(token, source)
    value = _shorten(str(token))
    offset = token.start_pos if token.type != "$END" else len(source.text)
    previous = _previous_matches(source.text, offset)
    before = [m[0] for m in previous]
    last = before[-1] if before else ""
    wanted = expected_list(expected, parser)
    # A keyword the parser took as a name (`then` after `and`, `when` after `send sms`) means
    # something is missing before it; the token history says how the last word was read.
    history = [t for t in (error.token_history or ()) if t is not None]
    swallowed = bool(history) and history[-1].type == "NAME" and str(history[-1]) in KEYWORDS

    def say(code: str, message: str, where: Span = span, hint: str | None = None) -> Diagnostic:
        return source.diagnostic(code, message, where, hint)

    def word_span(index: int) -> Span:
        match = previous[index]
        return source.span_at(match.start(), len(match[0]))

    if swallowed and "send" in before[-3:-1] and last in ITEM_WORDS:
        # `send sms` + a new line starting `when`: `when` was read as the template's name
        send_at = len(before) - 1 - before[::-1].index("send")
        return say(
            "E109",
            "`send` needs a channel and a template",
            word_span(send_at).cover(word_span(len(before) - 2)),
            "write it as `send <channel> <template>`, for example `send sms coupon`",
        )
    if last == "send" or (len(before) >= 2 and before[-2] == "send" and token.type != "NAME"):
        send_at = len(before) - 1 - before[::-1].index("send")
        return say(
            "E109",
            "`send` needs a channel and a template",
            word_span(send_at).cover(word_span(len(before) - 1)),
            "write it as `send <channel> <template>`, for example `send sms coupon`",
        )
    if token.type == "$END":
        return say(
            "E108",
            f"the file ends too early: expected {wanted}",
            hint="finish the item that starts above",
        )
    if value in (">", "<") and last == "=":
        return say(
            "E104",
            f"`={value}` is not an operator",
            span.cover(source.span_at(span.start - 1)),
            f"did you mean `{value}=`?",
        )
    if value == ">" and last == "<":
        return say(
            "E104",
            "`<>` is not an operator",
            source.span_at(span.start - 1, 2),
            "write `!=` for 'not equal'",
        )
    if value in _COMPARISONS and any(w in _COMPARISONS for w in before[-3:-1]):
        return say(
            "E100",
            "comparisons can't be chained",
            hint="write `x between 1 and 5`, or join two comparisons with `and`",
        )
    if swallowed and last == "then" and len(before) >= 2:
        # `then` was read as a name: the condition before it is missing or unfinished
        if before[-2] == "when":
            return say(
                "E100",
                "this rule has no condition",
                word_span(-1),
                "a rule reads `when <condition> then ...`",
            )
        removable = ", or remove it" if before[-2] in ("and", "or", "not") else ""
        return say(
            "E100",
            f"the condition ends with `{before[-2]}`",
            word_span(-2),
            f"add what is missing after `{before[-2]}`{removable}",
        )
    if "THEN" in expected and value in ACTION_WORDS:
        return say(
            "E103",
            f"missing `then` before `{value}`",
            hint=f"a rule reads `when <condition> then {value} ...`",
        )
    if swallowed and last in ITEM_WORDS and len(before) >= 2:
        return say(
            "E100",
            f"this item is not finished when `{last}` starts the next one",
            word_span(-2),
            f"complete it after `{before[-2]}`",
        )
    if last == "and" and expected & ACTION_TERMINALS and token.type == "NAME":
        with_on_line = "with" in source.line(span.line)[: span.column]
        return say(
            "E100",
            f"after `then`, `and` joins another action, but `{value}` is not one",
            hint=f"to pass several values, separate them with commas: `with ..., {value} = ...`"
            if with_on_line
            else "actions are send, add to list, remove from list and unsubscribe",
        )
    if last == "else" and value in ACTION_WORDS:
        return say(
            "E100",
            "`else` only chains another send, tried when the first one can't be delivered",
            hint=f"to do more, join actions with `and`: `then send ... and {value} ...`",
        )
    if "SEND" in expected and last == "else":
        return say(
            "E100",
            "`else` is followed by another send",
            hint=f"write `else send {value} ...`",
        )
    keyword = _keyword_typo(value, expected, parser, vocabulary) if token.type == "NAME" else None
    if keyword is not None:
        item = "WHEN" in expected and "RULE" in expected  # where an item starts
        shown = "a rule or a declaration" if item else wanted
        return say(
            "E100", f"unexpected `{value}`: expected {shown}", hint=f"did you mean `{keyword}`?"
        )
    if "STRING" in expected and token.type == "NAME" and "NAME" not in expected:
        return say("E100", f"`{value}` needs double quotes here", hint=f'write "{value}"')
    if token.type == "NAME" and "DURATION" in expected and re.fullmatch(_UNIT_WORD, value):
        return say(
            "E110",
            f"`{value}` needs a number in front",
            hint=f"write `1 {value.removesuffix('s')}`",
        )
    if expected == {"EQUAL"}:
        shown = "`:`" if value == ":" else f"`{value}`"
        return say(
            "E100",
            f"missing `=` after `{last}`",
            hint=f"write `{last} = ...`" + (f", not {shown}" if value == ":" else ""),
        )
    if value == ":" and last in ITEM_WORDS:
        return say(
            "E100",
            f"`{last}` is not followed by `:`",
            hint=f"write `{last} ...` without the colon",
        )
    if len(before) >= 2 and before[-2] == "template" and token.type == "STRING":
        return say(
            "E100",
            f"the template `{last}` has no channel",
            hint=f'a template reads `template {last} <channel> "text"`, for example '
            f'`template {last} sms "..."`',
        )
    if last == "is" and token.type in ("STRING", "NUMBER", "NAME"):
        return say(
            "E100",
            f"`is` is followed by `null`, `not null` or `today`, not `{value}`",
            hint=f"to compare, write `= {value}`",
        )
    if last in ("in", "not") and "LPAR" in expected and token.type in ("STRING", "NUMBER"):
        return say(
            "E100",
            "the values after `in` go in parentheses",
            hint=f"write `in ({value}, ...)`",
        )
    if value == "in" and "WITHIN" in expected:
        return say("E100", "unexpected `in`", hint="for a time window, write `within 30 days`")
    if token.type == "NAME" and "NAME" not in expected and _is_name(last) and last not in KEYWORDS:
        return _words_as_name(token, previous[-1], source, vocabulary)
    if token.type == "NUMBER" and "DURATION" in expected:
        return say("E110", f"`{value}` needs a unit here", hint=f"write `{value} days` ({UNITS})")
    if token.type == "NUMBER" and "PERCENT" in expected:
        return say("E100", f"`{value}` needs a `%` here", hint=f"write `{value}%`")
    if token.type == "NAME" and re.fullmatch(r"[0-9.]+", last or ""):
        return say(
            "E110",
            f"`{last} {value}` is not a duration",
            word_span(-1).cover(span),
            f"durations are a number and a unit: {UNITS}",
        )
    if value in KEYWORDS and "NAME" in expected and len(expected) <= 3:
        return say(
            "E113",
            f"`{value}` is a keyword and can't be used as a name",
            hint=f"pick another name, such as `{value}_1`",
        )
    if expected == {"COLON"}:
        return say("E100", "a rule's name is followed by `:`", hint="write `rule name: when ...`")
    if expected == {"WHEN"}:
        return say(
            "E100",
            f"unexpected `{value}`: expected `when`",
            hint=f"a rule reads `rule name: when {value} ... then ...`",
        )
    if expected == {"LPAR"} and last in ("count", "sum", "last"):
        return say(
            "E100",
            f"`{last}` is followed by events in parentheses",
            word_span(-1).cover(span),
            f"for example `{last}(purchase within 30 days)`",
        )
    if expected == {"AGO"}:
        wait = _previous_words(source.text, offset, 4)  # `more than 7 days`
        wait = wait if wait[:1] == ["more"] else wait[-3:]
        return say(
            "E100",
            f"unexpected `{value}`: expected `ago`",
            hint=f"write `{' '.join(wait)} ago`",
        )
    if value == "than" and last == "more":
        # `count(open more than 3 days ago)`: `more` was read as a target
        return say(
            "E100",
            "`more than D ago` follows a verb, not an event type in `count`, `sum` or `last`",
            word_span(-1).cover(span),
            "write `opened survey more than 7 days ago`; aggregates take `within D`",
        )
    if "WHEN" in expected and "RULE" in expected:
        return say(
            "E100",
            f"unexpected `{value}`: expected a rule or a declaration",
            hint="items start with `campaign`, a setting, `segment`, `let`, `template`, "
            "`rule name:` or `when`",
        )
    if "RPAR" in expected and _unclosed(source, span):
        return say(
            "E100",
            f"unexpected `{value}`: expected {wanted}",
            hint="a `(` before this is not closed",
        )
    return say("E100", f"unexpected `{value}`: expected {wanted}")


_COMPARISONS = frozenset({"=", "==", "!=", "<", "<=", ">", ">="})
_UNIT_WORD = r"(minute|hour|day|week|month|year)s?"


def _shorten(text: str, limit: int = 40) -> str:
    """A token as quoted in a message: a megabyte-long name is cut, not repeated in full."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _similarity(a: str, b: str) -> float:
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
