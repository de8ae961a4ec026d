"""The dashboard's pages through Starlette's test client, on the report's end-to-end
scenario (tests/report/test_cli.py: a real run, ingested reactions): what each page shows,
that it shows what the commands print, that bad input is a 404 or 400 page and never a
traceback, and that no page writes the state. The same pages in a real browser:
test_browser.py."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="winlang serve needs the `serve` extra")
from starlette.testclient import TestClient

from tests.report.test_cli import NOW, RUN, invoke
from tests.report.test_cli import project as project  # the fixture
from winlang.evaluate import parse_now
from winlang.project import open_project
from winlang.serve.app import create_app


def client(folder: Path, now: str | None = None) -> TestClient:
    project = open_project(folder / "winlang.toml")
    app = create_app(project, now=parse_now(now) if now else None)
    return TestClient(app, raise_server_exceptions=False)


def text_of(html: str) -> str:
    """The page's text, tags out and spaces squeezed, to look for what a reader sees."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_index_lists_the_campaigns_and_their_check(project):
    (project / "broken.win").write_text('campaign "b"\nrule r: when orders >= then send\n')
    page = client(project).get("/")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "c.win c ok report" in shown
    assert re.search(r"broken\.win — \d+ errors?", shown)
    assert 'href="/c/broken.win"' in page.text and 'href="/report/broken.win"' not in page.text


def test_a_broken_campaign_shows_its_findings_and_runs_nothing(project):
    (project / "broken.win").write_text('campaign "b"\nrule r: when orders >= then send\n')
    web = client(project)
    page = web.get("/c/broken.win")
    assert page.status_code == 200
    assert "broken.win:2:" in page.text and "can't be run until the errors" in page.text
    assert web.get("/dry-run/broken.win").status_code == 409


def test_a_broken_project_shows_its_diagnostics(project):
    (project / "winlang.toml").write_text('[store]\nurl = "sqlite:///shop.db"\nnope = 1\n'
                                          '[state]\nurl = "sqlite:///state.db"\n'
                                          '[limits]\nsms_max_parts = 0\n')  # fmt: skip
    page = client(project).get("/")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "The project" in shown and "W702" in shown and "E703" in shown
    assert "sms_max_parts" in shown
    # a campaign page of that project says why it can't run, rather than failing
    campaign = client(project).get("/c/c.win")
    assert campaign.status_code == 200 and "E703" in campaign.text


def test_the_dry_run_is_what_run_dry_run_prints(project):
    ran = invoke(project, "run", str(project / "c.win"), "--dry-run", "--now", NOW,
                 "--format", "json")  # fmt: skip
    assert ran.exit_code == 0, ran.output
    expected = json.loads(ran.stdout)
    page = client(project).get("/dry-run/c.win", params={"now": NOW})
    assert page.status_code == 200
    assert f'data-now="{expected["now"]}"' in page.text
    for rule in expected["rules"]:
        row = re.search(rf'<tr class="rule" data-rule="{rule["name"]}">(.*?)</tr>', page.text,
                        re.S)  # fmt: skip
        assert row, rule["name"]
        cells = text_of(row[1])
        assert cells.startswith(f'{rule["name"]} {rule["matched"]} {rule["sent"]} '
                                f'{rule["held_out"]}')  # fmt: skip
        for reason, count in rule["skipped"].items():
            assert f"{reason} {count}" in cells


def test_the_campaign_page_has_the_dry_run_and_previews_at_its_clock(project):
    page = client(project, now=RUN).get("/c/c.win")
    assert page.status_code == 200
    assert 'data-now="2026-11-01T10:00:00Z"' in page.text
    # sample customers' messages, rendered as the run renders them
    assert re.search(r'<article class="preview" data-customer="\d+">', page.text)
    assert "sms to <code>+" in page.text
    previews = client(project).get("/previews/c.win", params={"now": RUN})
    assert previews.status_code == 200 and 'class="preview"' in previews.text


def test_the_report_page_has_the_report_and_its_charts(project):
    page = client(project).get("/report/c.win", params={"now": NOW})
    assert page.status_code == 200
    assert '<script src="/static/plotly.min.js">' in page.text
    for chart in ("funnel", "rates", "ab", "daily", "revenue"):
        assert f'id="chart-{chart}"' in page.text
    shown = text_of(page.text)
    assert "rule vip 4 0 2 3 · 75.0% 1 · 25.0% 2 · 50.0% 2/4 1/2" in shown
    assert "too few to compare: 3 in A, 1 in B (at least 30 each)" in shown
    narrow = client(project).get("/report/c.win", params={"now": NOW, "window": "3"})
    assert "within 3 days" in narrow.text


def test_the_customer_page_explains_and_lists_messages_and_events(project):
    page = client(project).get("/customers/1", params={"now": NOW})
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Customer 1" in shown and "first_name n1" in shown
    assert "matching rules already fired: vip" in shown  # explain's own words
    assert re.search(r"2026-11-01 10:00:00 c vip \(A\) sms a sent 1", shown)
    assert "purchase" in shown and "2026-11-05 09:00:00" in shown


def test_the_search_form_goes_to_the_customer(project):
    found = client(project).get("/customer", params={"id": "7", "now": NOW},
                                follow_redirects=False)  # fmt: skip
    assert found.status_code == 303
    assert found.headers["location"] == f"/customers/7?now={NOW.replace(':', '%3A')}"


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/c/nope.win", "no campaign file `nope.win` in this project"),
        ("/c/..%2F..%2F..%2Fetc%2Fpasswd", "no campaign file `../../../etc/passwd`"),
        ("/c/winlang.toml", "no campaign file `winlang.toml`"),
        ("/report/nope.win", "no campaign file `nope.win`"),
        ("/dry-run/shop.db", "no campaign file `shop.db`"),
        ("/customers/999", "no customer with id 999"),
        ("/customers/abc", "`abc` is not a customer id"),
        ("/no/such/page", "no page at /no/such/page"),
    ],
)
def test_unknown_things_are_a_404_page(project, path, says):
    page = client(project).get(path)
    assert page.status_code == 404
    assert "Not found" in page.text and says in page.text
    assert "Traceback" not in page.text


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/c/c.win?now=yesterday", "`yesterday` is not an ISO-8601 time"),
        ("/report/c.win?window=0", "`0` is not a window in days"),
    ],
)
def test_bad_parameters_are_a_400_page(project, path, says):
    page = client(project).get(path)
    assert page.status_code == 400 and says in page.text


def test_no_page_writes_the_state(project):
    state = (project / "state.db").read_bytes()
    web = client(project, now=NOW)
    for path in ("/", "/c/c.win", "/dry-run/c.win", "/previews/c.win", "/report/c.win",
                 "/customers/1", "/customers/4"):  # fmt: skip
        assert web.get(path).status_code == 200, path
    assert (project / "state.db").read_bytes() == state


def test_static_files_come_from_the_package(project):
    web = client(project)
    htmx = web.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and htmx.text.startswith("var htmx=")
    plotly = web.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and "plotly.js v" in plotly.text[:2000]
    assert web.get("/static/report.css").status_code == 200
    assert web.get("/static/dashboard.css").status_code == 200


def _open_files(folder: Path) -> int:
    """How many of this process's file descriptors are files of ``folder``."""
    fds = Path("/proc/self/fd")
    found = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            found += Path(os.readlink(fd)).parent == folder
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
def test_pages_let_go_of_the_store_and_the_state(project):
    web = client(project, now=NOW)
    web.get("/c/c.win")  # the first request imports and warms up
    gc.disable()  # a leak must not hide behind the collector's timing
    try:
        before = _open_files(project)
        for path in ("/c/c.win", "/report/c.win", "/customers/1", "/") * 5:
            assert web.get(path).status_code == 200
        assert _open_files(project) == before
    finally:
        gc.enable()
