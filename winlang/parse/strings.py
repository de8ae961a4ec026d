"""String literals: remove the quotes and escapes, remembering where each character came from."""

from __future__ import annotations

from typing import Literal, overload

from lark import Token

ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


@overload
def unquote(token: Token, with_offsets: Literal[False] = False) -> str: ...
@overload
def unquote(token: Token, with_offsets: Literal[True]) -> tuple[str, tuple[int, ...]]: ...


def unquote(token, with_offsets=False):
    r"""The value of a string literal token; optionally the source offset of each character.

    Known escapes are ``\"``, ``\\``, ``\n`` and ``\t``; any other backslash stays as written.

    >>> unquote(Token("STRING", '"say \\"hi\\""'))
    'say "hi"'
    """
    raw = str(token)[1:-1]
    base = (token.start_pos or 0) + 1
    chars: list[str] = []
    offsets: list[int] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and raw[i + 1] in ESCAPES:
            chars.append(ESCAPES[raw[i + 1]])
            offsets.append(base + i)
            i += 2
            continue
        chars.append(ch)
        offsets.append(base + i)
        i += 1
    value = "".join(chars)
    return (value, tuple(offsets)) if with_offsets else value
