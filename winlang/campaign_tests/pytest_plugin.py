"""The ``winlang`` pytest plugin: ``*.test.toml`` campaign tests collected as test items, one
per engine, so a project's own ``pytest`` runs them with its other tests.

Registered through the ``pytest11`` entry point; ``-p no:winlang`` turns it off.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .files import is_test_file


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if is_test_file(file_path):
        return CampaignTestFile.from_parent(parent, path=file_path)
    return None


class CampaignTestFile(pytest.File):
    def collect(self):
        from .spec import TestFileError, read_test_file

        try:
            engines = read_test_file(self.path).engines
        except TestFileError:
            engines = ("numpy",)  # the item reports the file's problems when it runs
        for engine in engines:
            yield CampaignTestItem.from_parent(self, name=engine, engine=engine)


class CampaignTestFailed(Exception):
    """A campaign test that failed or could not run; the message is the report."""


class CampaignTestItem(pytest.Item):
    def __init__(self, *, engine: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.engine = engine
        # No fixtures; the attribute is there for plugins whose hook wrappers read it from
        # every item and skip their `yield` without it (pytest-lsp's pytest_runtest_call),
        # which pytest reports as an error of the item.
        self.funcargs: dict[str, object] = {}

    def runtest(self) -> None:
        from . import report
        from .run import run_test_file
        from .spec import TestFileError

        try:
            shown = os.path.relpath(self.path, self.config.rootpath)
            result = run_test_file(self.path, shown, (self.engine,))
        except TestFileError as error:
            raise CampaignTestFailed(report.broken_text(error)) from None
        if not result.passed:
            raise CampaignTestFailed(report.result_text(result))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CampaignTestFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.path.name} [{self.engine}]"
