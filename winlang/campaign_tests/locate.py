"""Where a value of a test file is written: tomllib keeps no positions, so the text is scanned.

Keys are paths like ``("step", 1, "expect", 0, "rule")``: tables and keys by name, arrays of
tables (``[[step]]``) and items of an array (``expect = [ {...}, {...} ]``) by index. The scan
follows strings and brackets, so an inline table that spans several array lines is found at
its own line. :mod:`winlang.config` locates ``winlang.toml`` keys the same way (plain tables
only); test files need arrays too.

>>> text = 'campaign = "a.win"\\n[[step]]\\nat = 1\\nexpect = [\\n  { customer = 1 },\\n'
>>> text += '  { customer = 2 },\\n]\\n'
>>> locator = Locator(text)
>>> locator.line("step", 0, "expect", 1), locator.line("step", 0, "at"), locator.line("x")
(6, 3, 1)
"""

from __future__ import annotations

import re

Key = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*(?:"([^"\n]*)"|([A-Za-z0-9_-]+))\s*=\s*')


class Locator:
    """The line of every key, table and array item of a TOML text."""

    def __init__(self, text: str) -> None:
        self.lines: dict[Key, int] = {}
        self._counts: dict[Key, int] = {}
        table: Key = ()
        stack: list[tuple[str, Key, int]] = []  # open brackets: kind, path, items so far
        quote: str | None = None
        for number, line in enumerate(text.split("\n"), start=1):
            position = 0
            if quote is None and not stack:
                if header := _HEADER.match(line):
                    table = self._table(header[1] == "[[", header[2], number)
                    continue
                if key := _KEY.match(line):
                    path = (*table, key[1] if key[1] is not None else key[2])
                    self.lines.setdefault(path, number)
                    position = key.end()
                    stack.append(("value", path, 0))
            position = self._scan(line, position, number, stack, quote)
            quote = self._quote
            if stack and stack[-1][0] == "value" and quote is None and len(stack) == 1:
                stack.pop()  # a one-line value has ended with its line

    def _table(self, is_array: bool, name: str, number: int) -> Key:
        parts = tuple(p.strip().strip('"') for p in name.split("."))
        path: Key = ()
        for i, part in enumerate(parts):
            path = (*path, part)
            if i == len(parts) - 1 and is_array:
                index = self._counts.get(path, 0)
                self._counts[path] = index + 1
                path = (*path, index)
            elif (last := self._counts.get(path)) is not None:
                path = (*path, last - 1)  # a sub-table of the latest item: [step.x]
        self.lines.setdefault(path, number)
        return path

    def _scan(self, line: str, i: int, number: int, stack: list, quote: str | None) -> int:
        """Follow strings and brackets along one line, recording items of arrays."""
        while i < len(line):
            if quote is not None:
                if line.startswith(quote, i):
                    quote, i = None, i + len(quote)
                    continue
                i += 2 if line[i] == "\\" and quote[0] == '"' else 1
                continue
            ch = line[i]
            if ch == "#":
                break
            for opener in ('"""', "'''", '"', "'"):
                if line.startswith(opener, i):
                    quote, i = opener, i + len(opener)
                    break
            else:
                if ch in "[{":
                    path = stack[-1][1] if stack else ()
                    if stack and stack[-1][0] == "[":
                        kind, outer, count = stack.pop()
                        stack.append((kind, outer, count + 1))
                        path = (*outer, count)
                        self.lines.setdefault(path, number)
                    stack.append((ch, path, 0))
                elif ch in "]}" and stack and stack[-1][0] != "value":
                    stack.pop()
                    if len(stack) == 1 and stack[0][0] == "value":
                        stack.pop()
                elif ch == "=" and stack and stack[-1][0] == "{":
                    name = line[:i].rstrip().rsplit(None, 1)[-1].split(",")[-1].split("{")[-1]
                    key = name.strip().strip('"')
                    self.lines.setdefault((*stack[-1][1], key), number)
                i += 1
        self._quote = quote
        return i

    def line(self, *path: str | int) -> int:
        """The line of ``path``, else of its nearest enclosing key; 1 when none is known."""
        for depth in range(len(path), 0, -1):
            if (found := self.lines.get(tuple(path[:depth]))) is not None:
                return found
        return 1
