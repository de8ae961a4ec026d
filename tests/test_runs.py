"""``winlang.runs.execute``: one run of a checked campaign, as its summary."""

from __future__ import annotations

import pytest

from tests.deliver.test_run_cli import NOW, make_project
from winlang.evaluate import parse_now
from winlang.plan.lower import Lowering
from winlang.project import check_file, open_project
from winlang.runs import execute


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_run_lowers_its_campaign_once(tmp_path, monkeypatch, dry_run):
    """The plan the backend decides and the delivery plan whose columns it carries (and
    the messages read) come from one lowering, not one each."""
    folder = make_project(tmp_path)
    project = open_project(folder / "winlang.toml", search=False)
    checked = check_file(folder / "c.win", project).checked
    lowerings = []
    lower = Lowering.__init__

    def counted(self, *args, **kwargs):
        lowerings.append(args)
        lower(self, *args, **kwargs)

    monkeypatch.setattr(Lowering, "__init__", counted)
    summary = execute(project, checked, parse_now(NOW), dry_run=dry_run)
    project.close()
    assert len(lowerings) == 1
    assert [rule["matched"] for rule in summary["rules"]] == [5, 1, 0]
