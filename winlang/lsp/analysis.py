"""One campaign document as the editor holds it: checked the way ``winlang check`` checks it.

Everything here calls the checker's public functions (:func:`winlang.project.check_source`,
:func:`winlang.parse.parse_campaign`): the editor sees the findings of ``winlang check``, from
the same code, on text that need not be saved yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def analyse(path: Path, text: str, project: Project) -> Analysis:
    """Check ``text`` as the campaign file ``path`` of ``project``."""
    source = SourceText(str(path), text)
    result = check_source(source, project, path.parent)
    return Analysis(
        path=path,
        source=source,
        project=project,
        diagnostics=result.diagnostics,
        campaign=parse_only(text, path, project),
        checked=result.checked,
    )


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

    def _stamp(self, config: Path | None, project: Project) -> tuple:
        schema = self.schema_path or project.config.store.schema
        return (_mtime(config), _mtime(schema))


def _mtime(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
