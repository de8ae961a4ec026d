"""Findings about campaign files and configuration: structured values, collected, then rendered.

Every finding has a stable code documented in ``docs/diagnostics.md`` (a test keeps the two in
step). Positions are 1-based lines and columns counted in characters; ``end_column`` is
exclusive.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum

from .ast import Span
from .frozen import frozen


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


MAX_FINDINGS = 100  # per file; the rest are counted in one E115/W115 finding

# code -> (severity, short title). The title heads the code's section in docs/diagnostics.md.
CODES: dict[str, tuple[Severity, str]] = {
    # syntax
    "E100": (Severity.ERROR, "syntax error"),
    "E101": (Severity.ERROR, "unexpected character"),
    "E102": (Severity.ERROR, "unterminated string"),
    "E103": (Severity.ERROR, "missing `then`"),
    "E104": (Severity.ERROR, "operator from another language"),
    "E105": (Severity.ERROR, "a name written as several words"),
    "E106": (Severity.ERROR, "upper-case keyword or name"),
    "E107": (Severity.ERROR, "single-quoted string"),
    "E108": (Severity.ERROR, "unexpected end of file"),
    "E109": (Severity.ERROR, "incomplete `send`"),
    "E110": (Severity.ERROR, "number followed by a word"),
    "E111": (Severity.ERROR, "unreadable file"),
    "E112": (Severity.ERROR, "nesting too deep"),
    "E113": (Severity.ERROR, "keyword used as a name"),
    "E114": (Severity.ERROR, "number too large"),
    "E115": (Severity.ERROR, "more errors than shown"),
    "W115": (Severity.WARNING, "more warnings than shown"),
    # names
    "E201": (Severity.ERROR, "unknown name"),
    "E202": (Severity.ERROR, "unknown template"),
    "E203": (Severity.ERROR, "unknown channel"),
    "E204": (Severity.ERROR, "unknown function"),
    "E205": (Severity.ERROR, "unknown event type"),
    "E206": (Severity.ERROR, "unknown event column"),
    "E207": (Severity.ERROR, "unknown template or channel"),
    "E208": (Severity.ERROR, "duplicate name"),
    "E209": (Severity.ERROR, "circular definition"),
    "W210": (Severity.WARNING, "declaration hides a field"),
    "W211": (Severity.WARNING, "declared but never used"),
    # types
    "E301": (Severity.ERROR, "comparison of different types"),
    "E302": (Severity.ERROR, "arithmetic on a value that is not a number"),
    "E303": (Severity.ERROR, "condition is not true/false"),
    "E304": (Severity.ERROR, "`between` with bounds of the wrong type"),
    "E305": (Severity.ERROR, "`in` with items of the wrong type"),
    "E306": (Severity.ERROR, "time operation on a value that is not a time"),
    "E307": (Severity.ERROR, "text operation on a value that is not text"),
    "E308": (Severity.ERROR, "wrong arguments to a function"),
    "E309": (Severity.ERROR, "comparison with `null`"),
    "E310": (Severity.ERROR, "`sum` of a column that is not a number"),
    "E311": (Severity.ERROR, "value of the wrong type"),
    # templates
    "E401": (Severity.ERROR, "unknown placeholder"),
    "E402": (Severity.ERROR, "template sent on another channel"),
    "E403": (Severity.ERROR, "`{link}` without a campaign link"),
    "E404": (Severity.ERROR, "template file not readable"),
    "E405": (Severity.ERROR, "missing `with` parameter"),
    "W406": (Severity.WARNING, "unused `with` parameter"),
    "E407": (Severity.ERROR, "malformed placeholder"),
    "W408": (Severity.WARNING, "template never sent"),
    "E409": (Severity.ERROR, "template parts do not fit the channel"),
    "E410": (Severity.ERROR, "template file outside the project or not a plain file"),
    "E411": (Severity.ERROR, "placeholder where HTML escaping can't contain it"),
    "E412": (Severity.ERROR, "unknown or unusable format spec"),
    "E413": (Severity.ERROR, "format spec on a value of another type"),
    "E414": (Severity.ERROR, "`{unsubscribe}` without [tracking]"),
    "W415": (Severity.WARNING, "marketing message without `{unsubscribe}`"),
    # SMS
    "W501": (Severity.WARNING, "SMS longer than one part"),
    "E502": (Severity.ERROR, "SMS longer than the maximum number of parts"),
    "W503": (Severity.WARNING, "SMS value that can make the message too long or UCS-2"),
    # campaign structure
    "E601": (Severity.ERROR, "no campaign header"),
    "E602": (Severity.ERROR, "more than one campaign header"),
    "E603": (Severity.ERROR, "setting given twice"),
    "E604": (Severity.ERROR, "split shares do not add up to 100%"),
    "E605": (Severity.ERROR, "percentage out of range"),
    "E606": (Severity.ERROR, "duration out of range"),
    "E607": (Severity.ERROR, "invalid time of day"),
    "E608": (Severity.ERROR, "invalid frequency cap"),
    "E609": (Severity.ERROR, "unknown time zone"),
    "W610": (Severity.WARNING, "campaign without rules"),
    "E611": (Severity.ERROR, "invalid link"),
    "W612": (Severity.WARNING, "holdout of 0%"),
    "E613": (Severity.ERROR, "two files with the same campaign name"),
    "E614": (Severity.ERROR, "unknown locale"),
    # configuration and schema
    "E701": (Severity.ERROR, "configuration not readable"),
    "W702": (Severity.WARNING, "unknown configuration key"),
    "E703": (Severity.ERROR, "configuration value of the wrong type"),
    "E704": (Severity.ERROR, "invalid derived field"),
    "E705": (Severity.ERROR, "store not reachable"),
    "E706": (Severity.ERROR, "invalid schema file"),
    "W707": (Severity.WARNING, "no customer schema"),
    "E708": (Severity.ERROR, "invalid channel configuration"),
    "E709": (Severity.ERROR, "store does not fit the configuration"),
    "E710": (Severity.ERROR, "unusable state database URL"),
    "E711": (Severity.ERROR, "invalid schedule"),
}


@frozen(slots=True)
class Diagnostic:
    """One finding: where, how bad, what, and what to do about it."""

    code: str
    message: str
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    line_text: str = ""
    hint: str | None = None

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


class SourceText:
    """A file's text with its path, turning spans into diagnostics that carry the source line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        # Only "\n" ends a line, as for the parser: `splitlines` would also split at form
        # feeds and U+2028 inside texts and comments, and shift every line after them.
        self._lines = [line.removesuffix("\r") for line in text.split("\n")]

    def line(self, number: int) -> str:
        return self._lines[number - 1] if 0 < number <= len(self._lines) else ""

    def diagnostic(
        self, code: str, message: str, span: Span, hint: str | None = None
    ) -> Diagnostic:
        assert code in CODES, code
        return Diagnostic(
            code=code,
            message=clip_quotes(message),
            file=self.path,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
            line_text=self.line(span.line),
            hint=clip_quotes(hint) if hint else hint,
        )

    def span_at(self, offset: int, length: int = 1) -> Span:
        """The span of ``length`` characters from ``offset`` (kept within one line)."""
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        line_start = self.text.rfind("\n", 0, offset) + 1
        column = offset - line_start + 1
        line_end = self.text.find("\n", offset)
        line_end = len(self.text) if line_end < 0 else line_end
        end = max(offset + 1, min(offset + length, line_end)) if line_end > offset else offset + 1
        return Span(offset, end, line, column, line, column + (end - offset))


def clip_quotes(text: str, limit: int = 60) -> str:
    """Cut overlong quoted source in a message: a megabyte-long name is shown by its start.

    >>> clip_quotes("unknown name `" + "x" * 100 + "`")[-5:]
    'xxx…`'
    >>> clip_quotes("`a` and `b`")
    '`a` and `b`'
    """
    parts = text.split("`")
    for i in range(1, len(parts) - 1, 2):  # odd parts are quoted, if a closing ` follows
        if len(parts[i]) > limit:
            parts[i] = parts[i][: limit - 1] + "…"
    return "`".join(parts)


def at_file(code: str, message: str, path: str, hint: str | None = None) -> Diagnostic:
    """A finding about a whole file (unreadable, missing header), reported at 1:1."""
    return Diagnostic(code, message, path, 1, 1, 1, 1, "", hint)


def moved(diagnostic: Diagnostic, **changes: object) -> Diagnostic:
    return replace(diagnostic, **changes)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    return (diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.code)


# ---- rendering ----------------------------------------------------------------------------


def _display_width(text: str) -> int:
    """Terminal columns taken by ``text``: Korean and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _window(line: str, start: int, stop: int, width: int = 100) -> tuple[str, int, int]:
    """Cut a very long line down to ``width`` characters around the span, marking cuts with …"""
    if len(line) <= width:
        return line, start, stop
    stop = min(stop, start + width // 2)
    left = max(0, start - width // 4)
    right = min(len(line), left + width)
    head = "…" if left else ""
    tail = "…" if right < len(line) else ""
    shift = left - len(head)
    return head + line[left:right] + tail, start - shift, stop - shift


def render_text(diagnostic: Diagnostic, color: bool = False) -> str:
    """Render like a compiler: location, message, the source line and a caret under the span.

    >>> d = Diagnostic("E201", "unknown name `ordrs`", "a.win", 1, 6, 1, 11, "when ordrs > 1", "x")
    >>> print(render_text(d))
    a.win:1:6: error[E201]: unknown name `ordrs`
        1 | when ordrs > 1
          |      ^^^^^
          = hint: x
    """

    def paint(text: str, **style: object) -> str:
        if not color:
            return text
        import click

        return click.style(text, **style)

    severity = diagnostic.severity.value
    colour = "red" if diagnostic.is_error else "yellow"
    head = (
        f"{paint(f'{diagnostic.file}:{diagnostic.line}:{diagnostic.column}:', bold=True)} "
        f"{paint(f'{severity}[{diagnostic.code}]:', fg=colour, bold=True)} {diagnostic.message}"
    )
    lines = [head]
    if diagnostic.line_text:
        source = "".join(ch if ch.isprintable() else " " for ch in diagnostic.line_text)
        gutter = f"{diagnostic.line:>5} | "
        start = max(diagnostic.column - 1, 0)
        if diagnostic.end_line == diagnostic.line:
            stop = max(diagnostic.end_column - 1, start + 1)
        else:
            stop = max(len(source), start + 1)
        source, start, stop = _window(source, start, stop)
        pad = " " * _display_width(source[:start])
        carets = "^" * max(_display_width(source[start:stop]), 1)
        lines.append(f"{gutter}{source}")
        lines.append(f"{' ' * (len(gutter) - 2)}| {pad}{paint(carets, fg=colour, bold=True)}")
    if diagnostic.hint:
        lines.append(f"{' ' * 6}= {paint('hint:', bold=True)} {diagnostic.hint}")
    return "\n".join(lines)


def _github_escape(text: str, is_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command, so the finding shows on the pull request."""
    kind = "error" if diagnostic.is_error else "warning"
    message = diagnostic.message + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")
    props = ",".join(
        [
            f"file={_github_escape(diagnostic.file, True)}",
            f"line={diagnostic.line}",
            f"col={diagnostic.column}",
            f"endLine={diagnostic.end_line}",
            f"endColumn={diagnostic.end_column}",
            f"title={_github_escape(diagnostic.code, True)}",
        ]
    )
    return f"::{kind} {props}::{_github_escape(message)}"
