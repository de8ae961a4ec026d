"""Comments: the parser drops them, so they are found again in the source text.

A comment is either on a line of its own or trails code on the same line; the layout puts
each one back next to the code it was written next to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Strings first, so a `#` inside a string is not a comment (as in grammar/winlang.lark).
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


@dataclass(frozen=True, slots=True)
class Comment:
    start: int  # offset of the `#`
    text: str  # from `#` to the end of the line, trailing blanks removed
    own_line: bool  # nothing but blanks before it on its line
    column: int  # 0-based column of the `#`
    code: str  # the code before it on its line, as written ("" for a comment on its own)


def comments_of(text: str) -> tuple[Comment, ...]:
    """Every comment in ``text``, in order.

    >>> [c.text for c in comments_of('# a\\ncampaign "#x" # b')]
    ['# a', '# b']
    """
    found = []
    for match in _STRING_OR_COMMENT.finditer(text):
        if match.group(0).startswith("#"):
            line_start = text.rfind("\n", 0, match.start()) + 1
            own_line = not text[line_start : match.start()].strip()
            column = match.start() - line_start
            code = text[line_start : match.start()].rstrip()
            found.append(Comment(match.start(), match.group(0).rstrip(), own_line, column, code))
    return tuple(found)


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def blank_line_between(text: str, start: int, end: int) -> bool:
    """Whether the source has an empty line between offsets ``start`` and ``end``."""
    return start < end and _BLANK_LINE.search(text, start, end) is not None
