"""The dashboard and the HTML report in a real browser: Playwright driving Debian's Chromium
(/usr/bin/chromium, never a browser of Playwright's own), with every request that is not to
the dashboard on 127.0.0.1 aborted and counted as a failure, so a page that needs a CDN or
any other network fails here.

A demo project (`winlang demo`) gets reactions to its messages (`winlang ingest`:
deliveries, clicks, purchases with amounts) and an SMS price, then `winlang serve` runs in a
real subprocess on a free loopback port. On a developer's machine without Chromium these
tests skip and say so; in CI (CI=true), where .ci/run installs it, they fail instead.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("WINLANG_CHROMIUM", "/usr/bin/chromium"))
# Debian's Chromium as root, with nothing of its own reaching out (see .ci/run)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
RUN = "2026-11-20T10:00:00Z"
NOW = "2026-12-05T12:00:00Z"
CUSTOMERS = 3_000
STARTUP = 60.0  # seconds the server may take to answer its first request


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must have it (.ci/run installs Debian's chromium)")
    pytest.skip(f"{reason}: install Debian's chromium (apt-get install chromium) to run them")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the `playwright` package is not installed (the `dev` extra has it)")
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield found
        found.close()


def _winlang(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "winlang", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


def _reactions(folder: Path) -> Path:
    """Deliveries of every SMS, clicks on a third, purchases after a quarter, and purchases
    of every ninth customer of the store (held-out customers among them)."""
    lines = []
    outbox = folder / "outbox" / "sms.jsonl"
    for n, line in enumerate(outbox.read_text(encoding="utf-8").splitlines()):
        message = json.loads(line)
        about = {k: message[k] for k in ("campaign", "template", "channel")}
        who = message["customer_id"]
        lines.append({"event_id": f"d{n}", "customer_id": who, "type": "delivered",
                      "occurred_at": "2026-11-20T18:00:00Z", **about})  # fmt: skip
        if n % 3 == 0:
            lines.append({"event_id": f"c{n}", "customer_id": who, "type": "click",
                          "occurred_at": "2026-11-21T09:00:00Z", **about})  # fmt: skip
        if n % 4 == 0:
            amount = 20 + n % 40
            lines.append({"event_id": f"p{n}", "customer_id": who, "type": "purchase",
                          "occurred_at": "2026-11-23T12:00:00Z", "amount": amount})  # fmt: skip
    for customer in range(9, CUSTOMERS + 1, 9):
        lines.append({"event_id": f"s{customer}", "customer_id": str(customer),
                      "type": "purchase", "occurred_at": "2026-11-25T12:00:00Z",
                      "amount": 35.0})  # fmt: skip
    path = folder / "reactions.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("serve") / "demo"
    here = folder.parent
    _winlang("demo", "--dir", str(folder), "--customers", str(CUSTOMERS), "--now", RUN, cwd=here)
    with (folder / "winlang.toml").open("a", encoding="utf-8") as config:
        config.write("\n[channels.sms]\nprice_per_part = 0.045\n")
    _winlang("ingest", str(_reactions(folder)), cwd=folder)
    return folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo: Path) -> Iterator[str]:
    """`winlang serve` on a free loopback port, as a user starts it; its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "winlang", "serve", "--port", str(port), "--now", NOW],
        cwd=demo,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP
    try:
        while True:  # until it answers, it exits, or the deadline passes
            try:
                httpx.get(f"{base}/static/report.css", timeout=2.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read() if process.stdout else ""
                    pytest.fail(f"winlang serve did not start: {output}")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def page(browser, server):
    """A page whose every request outside the dashboard is aborted and recorded: the test
    fails if any happened."""
    context = browser.new_context(service_workers="block")
    outside: list[str] = []

    def only_the_dashboard(route) -> None:
        url = route.request.url
        if url.startswith(server + "/"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_the_dashboard)
    found = context.new_page()
    errors: list[str] = []
    found.on("pageerror", lambda error: errors.append(str(error)))
    yield found
    context.close()
    assert outside == [], f"the page reached out of the dashboard: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def charts_drawn(page, *names: str) -> None:
    """Each chart's div holds Plotly's drawn SVG."""
    for name in names:
        page.wait_for_selector(f"#chart-{name} svg.main-svg", state="attached", timeout=30_000)
        assert page.locator(f"#chart-{name} svg.main-svg").count() >= 1


def test_the_index_lists_the_demo_campaign(page, server):
    page.goto(server + "/")
    row = page.locator("table.campaigns tr", has_text="ladder.win")
    assert "sms-reengagement-ladder" in row.inner_text()
    assert row.locator(".status").inner_text().startswith("ok")
    row.locator("a", has_text="ladder.win").click()
    page.wait_for_url(server + "/c/ladder.win")
    assert page.locator("h1").inner_text() == "Campaign sms-reengagement-ladder"


def test_the_campaign_page_plans_at_a_chosen_time_in_place(page, server):
    page.goto(server + "/c/ladder.win")
    assert page.locator("#dry-run [data-now]").get_attribute("data-now") == NOW
    rules = page.locator("#dry-run tr.rule")
    assert rules.count() == 5
    coupon = page.locator('#dry-run tr[data-rule="coupon"]').inner_text()
    assert coupon.split()[0] == "coupon"
    # a new time: htmx fetches the dry run alone and swaps it in; the page stays
    page.fill('form.clock input[name="now"]', "2026-12-20T10:00:00Z")
    with page.expect_response(lambda r: "/dry-run/ladder.win" in r.url) as answer:
        page.click("form.clock button")
    assert answer.value.status == 200
    page.wait_for_selector('#dry-run [data-now="2026-12-20T10:00:00Z"]')
    assert page.url == server + "/c/ladder.win"
    # previews for sample customers, each a link to the customer
    previews = page.locator("#previews article.preview")
    assert previews.count() == 5
    first = previews.first.get_attribute("data-customer")
    previews.first.locator("h3 a").click()
    page.wait_for_url(f"{server}/customers/{first}**")
    assert page.locator("h1").inner_text() == f"Customer {first}"


def test_the_report_page_draws_its_charts(page, server):
    page.goto(server + "/report/ladder.win")
    charts_drawn(page, "funnel", "rates", "lift", "daily", "revenue")
    funnel = page.locator("table.funnel tr.total").inner_text().split()
    assert funnel[0] == "total" and int(funnel[1].replace(",", "")) > 0
    money = page.locator("table.money tr.total").inner_text()
    assert "," in money or "." in money  # revenue and the SMS cost are numbers, not dashes
    assert page.locator("table.money tr.total td").nth(7).inner_text() != "—"


def test_the_customer_page_explains_and_lists_messages(page, server, demo):
    customer = json.loads((demo / "outbox" / "sms.jsonl").read_text().splitlines()[0])
    page.goto(f"{server}/customers/{customer['customer_id']}")
    explained = page.locator('article.explain[data-campaign="ladder.win"]').inner_text()
    assert "rule survey:" in explained and "result:" in explained
    messages = page.locator("table.messages").inner_text()
    assert customer["template"] in messages and "sent" in messages
    assert "delivered" in page.locator("table.events").inner_text()


def test_an_unknown_customer_is_a_404_page(page, server):
    answer = page.goto(server + "/customers/99999999")
    assert answer.status == 404
    assert "no customer with id 99999999" in page.locator("p.message").inner_text()


def test_the_html_report_draws_its_charts_from_a_file_with_no_network(browser, demo):
    target = demo / "report.html"
    _winlang("report", "ladder.win", "--now", NOW, "--format", "html", "--output", str(target),
             cwd=demo)  # fmt: skip
    context = browser.new_context(service_workers="block", offline=True)
    outside: list[str] = []

    def nothing_but_the_file(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", nothing_but_the_file)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(target.as_uri())
    charts_drawn(page, "funnel", "rates", "lift", "daily", "revenue")
    context.close()
    assert outside == [] and errors == []
