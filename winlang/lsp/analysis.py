"""One campaign document as the editor holds it: checked the way ``winlang check`` checks it.

Everything here calls the checker's public functions (:func:`winlang.project.check_source`,
:func:`winlang.parse.parse_campaign`): the editor sees the findings of ``winlang check``, from
the same code, on text that need not be saved yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from .. import ast as A
from ..check import CheckedCampaign
from ..config import find_config
from ..diagnostics import Diagnostic, SourceText
from ..parse import parse_campaign
from ..project import Project, check_source, load_template_files, open_project


@dataclass(frozen=True)
class Analysis:
    """A document's text, its project, its findings and, when it parses, its AST."""

    path: Path
    source: SourceText
    project: Project
    diagnostics: tuple[Diagnostic, ...]
    campaign: A.CampaignFile | None  # None while the text has a syntax error
    checked: CheckedCampaign | None  # None while the campaign has errors
    # the AST of the text, or while it has syntax errors, of the rest of it (positions kept)
    outline: A.CampaignFile | None = None
    schema_file: Path | None = None  # where the fields come from, when not the store


def analyse(path: Path, text: str, project: Project, schema_file: Path | None = None) -> Analysis:
    """Check ``text`` as the campaign file ``path`` of ``project``: the findings of
    ``winlang check``, and while the text has syntax errors, the findings of the rest."""
    source = SourceText(str(path), text)
    result = check_source(source, project, path.parent)
    campaign = parse_only(text, path, project)
    diagnostics = result.diagnostics
    outline = campaign
    if campaign is None:
        more, outline = around_syntax_errors(text, path, project, diagnostics)
        diagnostics = tuple(sorted((*diagnostics, *more), key=lambda d: (d.line, d.column)))
    return Analysis(
        path=path,
        source=source,
        project=project,
        diagnostics=diagnostics,
        campaign=campaign,
        checked=result.checked,
        outline=outline,
        schema_file=schema_file,
    )


MAX_ROUNDS = 8
# Findings about what is missing or unused: a blanked line may hold what they miss.
_ABOUT_ABSENCE = frozenset({"E601", "W211", "W408", "W610"})


def is_syntax(diagnostic: Diagnostic) -> bool:
    """E100–E113: the parser's findings (the checker's start at E201)."""
    return re.fullmatch(r"E1\d\d", diagnostic.code) is not None


def around_syntax_errors(
    text: str, path: Path, project: Project, found: tuple[Diagnostic, ...]
) -> tuple[list[Diagnostic], A.CampaignFile | None]:
    """The checker's findings on the rest of a text with syntax errors, and the rest's AST:
    the lines of each syntax error are blanked (positions stay) until the text parses. A
    finding that the blanking may have caused (a name declared there, a template sent there)
    is left out."""
    lines = text.split("\n")
    blanked: set[int] = set()
    syntax = [d for d in found if is_syntax(d)]
    for _ in range(MAX_ROUNDS):
        grown = {n for d in syntax for n in range(d.line, d.end_line + 1)} - blanked
        if not grown:  # the error is where an item that began earlier ends: blank upwards
            first = min(d.line for d in syntax)
            above = max((n for n in range(1, first) if n not in blanked), default=None)
            if above is None:
                return [], None
            grown = {above}
        blanked |= grown
        masked = [_blank(line) if n in blanked else line for n, line in enumerate(lines, 1)]
        source = SourceText(str(path), "\n".join(masked))
        result = check_source(source, project, path.parent)
        syntax = [d for d in result.diagnostics if is_syntax(d)]
        if not syntax:
            removed = " ".join(lines[n - 1] for n in blanked)
            kept = [
                replace(d, line_text=_line(lines, d.line))
                for d in result.diagnostics
                if d.code not in _ABOUT_ABSENCE and not _names_any(d, removed)
            ]
            return kept, parse_only(source.text, path, project)
    return [], None


def _blank(line: str) -> str:
    return re.sub(r"[^\r]", " ", line)


def _line(lines: list[str], number: int) -> str:
    return lines[number - 1].removesuffix("\r") if 0 < number <= len(lines) else ""


def _names_any(diagnostic: Diagnostic, removed: str) -> bool:
    """Whether a finding about names quotes one that the blanked lines hold."""
    if not diagnostic.code.startswith("E2"):
        return False
    quoted = re.findall(r"`([a-z_][a-z0-9_]*)`", diagnostic.message)
    return any(re.search(rf"(?<![a-z0-9_]){q}(?![a-z0-9_])", removed) for q in quoted)


def parse_only(text: str, path: Path, project: Project) -> A.CampaignFile | None:
    """The AST of ``text`` with template files read, or None on a syntax error."""
    parsed = parse_campaign(text, str(path), project.fields.symbols)
    if parsed.campaign is None:
        return None
    campaign, _problems = load_template_files(
        parsed.campaign, SourceText(str(path), text), path.parent
    )
    return campaign


def parse_around(text: str, line: int, path: Path, project: Project) -> A.CampaignFile | None:
    """The AST of ``text`` with line ``line`` (1-based) blanked: what the rest of a file
    declares while the line being typed is still incomplete."""
    lines = text.split("\n")
    if 0 < line <= len(lines):
        lines[line - 1] = re.sub(r"[^\r]", " ", lines[line - 1])
    return parse_only("\n".join(lines), path, project)


class Projects:
    """The project of each file, found from the file's folder like every command finds it,
    opened once and opened again when its configuration or schema file changes."""

    def __init__(self, config_path: Path | None = None, schema_path: Path | None = None) -> None:
        self.config_path = config_path
        self.schema_path = schema_path
        self._open: dict[Path | None, tuple[tuple, Project]] = {}

    def for_file(self, path: Path) -> Project:
        config = self.config_path or find_config(path.parent)
        cached = self._open.get(config)
        if cached is not None and cached[0] == self._stamp(config, cached[1]):
            return cached[1]
        project = open_project(config, self.schema_path, search=False)
        self._open[config] = (self._stamp(config, project), project)
        return project

    def schema_file(self, project: Project) -> Path | None:
        """The schema file the project's fields come from (None: the store's own)."""
        return self.schema_path or project.config.store.schema

    def _stamp(self, config: Path | None, project: Project) -> tuple:
        return (_mtime(config), _mtime(self.schema_file(project)))


def _mtime(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
