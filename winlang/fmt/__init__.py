"""``winlang fmt``: one canonical layout for campaign files, comments kept, meaning unchanged.

:func:`format_text` parses, prints (:mod:`.layout`) and parses the result again: a file whose
printed form would not mean exactly what it meant is never rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass

from .. import ast as A
from ..diagnostics import Diagnostic
from ..parse import parse_campaign
from .layout import WIDTH, format_campaign

__all__ = ["WIDTH", "FormatError", "Formatted", "format_campaign", "format_text", "shape"]

# Where a node is, not what it is: left out when two trees are compared.
POSITION_FIELDS = frozenset({"span", "op_span", "value_span", "offsets", "path"})


class FormatError(Exception):
    """The printed text would not parse to the same campaign: a bug in the printer."""


@dataclass(frozen=True, slots=True)
class Formatted:
    text: str | None  # None when the file has syntax errors
    diagnostics: tuple[Diagnostic, ...]


def format_text(text: str, path: str = "<text>") -> Formatted:
    """The canonical text of one ``.win`` file, or its syntax errors."""
    parsed = parse_campaign(text, path)
    if parsed.campaign is None or parsed.diagnostics:
        return Formatted(None, parsed.diagnostics)
    printed = format_campaign(parsed.campaign, text)
    again = parse_campaign(printed, path)
    if again.campaign is None or shape(again.campaign) != shape(parsed.campaign):
        raise FormatError(f"{path}: the formatted text would change the campaign's meaning")
    return Formatted(printed, ())


def shape(node: object) -> object:
    """A node as plain values without positions, so two parses of different layouts compare
    equal exactly when they mean the same (``TemplateText.path`` is kept: it is the file)."""
    if isinstance(node, A.TemplateText):
        return ("TemplateText", node.value, node.path)
    if isinstance(node, A.Ident):
        return node.name
    if is_dataclass(node) and not isinstance(node, type):
        return (
            type(node).__name__,
            *(
                (f.name, shape(getattr(node, f.name)))
                for f in fields(node)
                if f.name not in POSITION_FIELDS
            ),
        )
    if isinstance(node, tuple | list):
        return tuple(shape(n) for n in node)
    return node
