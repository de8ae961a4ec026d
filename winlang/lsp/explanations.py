"""A diagnostic code's explanation, from ``docs/diagnostics.md`` (one section per code)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

from ..diagnostics import CODES

_SECTION = re.compile(r"^## (\S+) — [^\n]*\n(.*?)(?=^## |\Z)", re.M | re.S)
_CODE_BLOCK = re.compile(r"^```.*?^```[ \t]*\n?", re.M | re.S)


def _page() -> str | None:
    """The page, from the installed package or from the source tree."""
    packaged = resources.files("winlang") / "docs" / "diagnostics.md"
    source_tree = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"
    for page in (packaged, source_tree):
        if page.is_file():
            return page.read_text(encoding="utf-8")
    return None


@cache
def explanations() -> dict[str, str]:
    """code -> the prose of its section (examples left out)."""
    page = _page() or ""
    found = {}
    for match in _SECTION.finditer(page):
        prose = _CODE_BLOCK.sub("", match[2])
        found[match[1]] = re.sub(r"\n{3,}", "\n\n", prose).strip()
    return found


def explain(code: str) -> str:
    """The code's title and explanation, as Markdown.

    >>> explain("E201").splitlines()[0]
    '**E201 — unknown name**'
    """
    _severity, title = CODES.get(code, (None, "unknown code"))
    text = explanations().get(code, "")
    return f"**{code} — {title}**" + (f"\n\n{text}" if text else "")
