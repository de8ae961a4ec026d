"""`winlang report --format html`: one self-contained page (Plotly's JavaScript inlined once,
no other script or stylesheet fetched), to standard output or to --output FILE; without the
`report` extra, one line naming it. The page's charts are drawn in a real browser by
tests/serve/test_browser.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.report.test_cli import NOW, invoke
from tests.report.test_cli import project as project  # the fixture


def test_the_page_goes_to_the_output_file(project):
    target = project / "report.html"
    result = invoke(
        project, "report", str(project / "c.win"), "--now", NOW, "--format", "html",
        "--output", str(target),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "<h1>Campaign c</h1>" in page
    # Plotly's bundle once, and nothing fetched: no src=, no stylesheet link
    assert len(re.findall(r"plotly\.js v\d", page)) == 1
    assert not re.search(r"<script[^>]+src=", page)
    assert "<link" not in page.replace('<link rel="icon" href="data:,">', "")
    for chart in ("funnel", "rates", "ab", "daily", "revenue"):
        assert f'id="chart-{chart}"' in page
    # the tables carry the same numbers as the text report
    assert "<td>2/4</td>" in page and "too few to compare: 3 in A, 1 in B" in page


def test_the_page_goes_to_standard_output(project):
    result = invoke(project, "report", str(project / "c.win"), "--now", NOW, "--format", "html")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!doctype html>")
    assert result.stdout.rstrip().endswith("</html>")


def test_an_output_file_that_cannot_be_written_is_one_line(project):
    target = project / "no-such-folder" / "report.html"
    result = invoke(
        project, "report", str(project / "c.win"), "--now", NOW, "--output", str(target)
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"winlang: can't write {target}:")
    assert "Traceback" not in result.output


def test_without_the_extra_the_error_names_it(tmp_path: Path, project):
    # a plotly that can't be imported, first on the path: as if the extra were not installed
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "plotly.py").write_text("raise ImportError('no plotly')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "fake")}
    command = [sys.executable, "-m", "winlang", "report", str(project / "c.win"), "--now", NOW,
               "--format", "html", "--config", str(project / "winlang.toml")]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "winlang: the HTML report needs plotly, which is not installed: "
        "pip install 'winlang[report]'"
    )
