"""Positions between winlang's spans and the Language Server Protocol's.

winlang counts 1-based lines and columns in characters, and only ``\\n`` ends a line (as in
:class:`winlang.diagnostics.SourceText`). LSP counts 0-based lines and columns in the code
units of the encoding the client and server agreed on: UTF-16 unless the client offers another,
so a Korean syllable is one unit but an emoji is two.
"""

from __future__ import annotations

from dataclasses import dataclass

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def units(character: str, encoding: str = UTF16) -> int:
    """Code units one character takes in ``encoding``.

    >>> units("a"), units("한"), units("😀"), units("😀", UTF8), units("😀", UTF32)
    (1, 1, 2, 4, 1)
    """
    if encoding == UTF32:
        return 1
    if encoding == UTF8:
        return len(character.encode("utf-8"))
    return 2 if ord(character) > 0xFFFF else 1


@dataclass(frozen=True)
class Lines:
    """A document's lines, to turn positions one way or the other.

    >>> lines = Lines.of('when x\\nsend "😀 hi"')
    >>> lines.to_lsp(2, 9)  # the `h` after the emoji: 8 characters in, 9 UTF-16 units
    (1, 9)
    >>> lines.from_lsp(1, 9)
    (2, 9)
    """

    lines: tuple[str, ...]
    encoding: str = UTF16

    @classmethod
    def of(cls, text: str, encoding: str = UTF16) -> Lines:
        return cls(tuple(text.split("\n")), encoding)

    def line(self, number: int) -> str:
        """Line ``number`` (1-based), empty past the end."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def to_lsp(self, line: int, column: int) -> tuple[int, int]:
        """winlang's (line, column) as LSP's (line, character)."""
        line = max(line, 1)
        if line > len(self.lines):
            return len(self.lines), 0
        text = self.line(line)[: max(column - 1, 0)]
        return line - 1, sum(units(ch, self.encoding) for ch in text)

    def from_lsp(self, line: int, character: int) -> tuple[int, int]:
        """LSP's (line, character) as winlang's (line, column); a position inside a
        character (half an emoji) moves to the character's start."""
        text = self.line(line + 1)
        used = 0
        for index, ch in enumerate(text):
            width = units(ch, self.encoding)
            if used + width > character:
                return line + 1, index + 1
            used += width
        return line + 1, len(text) + 1

    def offset(self, line: int, column: int) -> int:
        """The character offset in the whole text of winlang's (line, column)."""
        before = sum(len(text) + 1 for text in self.lines[: max(line - 1, 0)])
        return before + min(max(column - 1, 0), len(self.line(line)))
