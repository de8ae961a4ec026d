"""The loop closed: a real run with [tracking], its messages' short and unsubscribe links
followed over HTTP on a real uvicorn server, and what the next commands see."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner

from winlang.cli import cli
from winlang.links import Tracking, message_id

from .support import (
    FIRST,
    SECOND,
    SECRET,
    listening,
    make_project,
    outbox,
    rows,
    run,
    serving,
    winlang,
)


@pytest.fixture
def loop(tmp_path: Path, smtp_server, monkeypatch):
    """A project whose base URL is a server about to listen, after its first real run."""
    monkeypatch.setenv("WINLANG_TRACKING_SECRET", SECRET)
    smtp = smtp_server()
    sock = listening()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    project = make_project(tmp_path, base, smtp.port)
    summary = run(project, FIRST)
    assert summary["delivery"]["sent"] == 3
    mails = {
        str(m["To"]).split("@")[0]: m
        for m in (
            email.message_from_bytes(e.content, policy=policy.default)
            for e in smtp.handler.envelopes
        )
    }
    with serving(project, sock) as url:
        yield project, url, mails, smtp


def html_of(mail) -> str:
    return mail.get_body(("html",)).get_content()


def link_in(mail, path: str) -> str:
    html = html_of(mail)
    found = [part.split('"')[0] for part in html.split('href="')[1:]]
    return next(link for link in found if urlsplit(link).path.startswith(path))


def clicks(project: Path) -> list[tuple]:
    return rows(project, "SELECT customer_id, channel, campaign, template FROM ingested_events"
                " WHERE type = 'click'")  # fmt: skip


def test_a_short_link_from_a_real_message_redirects_and_records_one_click(loop) -> None:
    project, url, mails, _ = loop
    link = link_in(mails["ana"], "/r/")
    token = urlsplit(link).path.removeprefix("/r/")
    kept = rows(project, "SELECT idempotency_key, message_id FROM messages WHERE customer_id = '1'")
    assert link == f"{url}/r/{token}" and kept == [(kept[0][0], message_id(kept[0][0]))]
    assert token == kept[0][1]
    with httpx.Client() as client:
        first = client.get(link)
        again = client.get(link)  # a double click
    target = "https://shop.example.com/back?src=mail&wl_c=back&wl_r=daily&wl_m=" + token
    assert (first.status_code, first.headers["location"]) == (302, target)
    assert (again.status_code, again.headers["location"]) == (302, target)
    assert first.headers["cache-control"] == "no-store"
    assert clicks(project) == [("1", "email", "back", "mail")]
    report = winlang(project, "report", str(project / "back.win"), "--now", SECOND)
    daily = next(r for r in report["rules"] if r["name"] == "daily")
    assert daily["clicked"] == 1 and daily["sent"] == 3


def test_a_click_is_seen_by_clicked_conditions_and_explain_at_once(loop) -> None:
    project, _, mails, _ = loop
    assert httpx.get(link_in(mails["bo"], "/r/")).status_code == 302
    explained = winlang(
        project, "explain", str(project / "back.win"), "--customer", "2", "--now", SECOND
    )
    assert explained["chosen"] == "thanks"
    assert next(r for r in explained["rules"] if r["name"] == "thanks")["value"] is True
    summary = run(project, SECOND)
    assert summary["rules"][0]["sent"] == 1  # thanks, to Bo alone
    assert [m["text"] for m in outbox(project, "sms")] == ["Thanks for coming back, Bo!"]


def test_an_unknown_or_forged_token_is_404_and_the_target_never_comes_from_the_request(
    loop,
) -> None:
    project, url, mails, _ = loop
    link = link_in(mails["cy"], "/r/")
    with httpx.Client(base_url=url) as client:
        for path in ("/r/aaaaaaaaaaaa", "/r/short", "/r/" + "x" * 200, "/r/..%2f..%2fetc",
                     "/r/https:%2f%2fevil.example", "/u/aaaaaaaaaaaa", "/u/"):  # fmt: skip
            assert client.get(path).status_code == 404, path
        tricked = client.get(
            urlsplit(link).path + "?next=https://evil.example&url=https://evil.example",
            headers={"Host": "evil.example", "Referer": "https://evil.example"},
        )
    assert tricked.status_code == 302
    assert tricked.headers["location"].startswith("https://shop.example.com/back?src=mail&")
    assert clicks(project) == [("3", "email", "back", "mail")]


def test_unsubscribe_page_then_one_click_post_stops_that_channel_only(loop) -> None:
    project, _, mails, smtp = loop
    mail = mails["ana"]
    link = link_in(mail, "/u/")
    assert mail["List-Unsubscribe"] == f"<{link}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with httpx.Client() as client:
        page = client.get(link)
        assert page.status_code == 200 and '<form method="post"' in page.text
        assert "email" in page.text
        assert rows(project, "SELECT * FROM suppressions") == []  # a GET changes nothing
        done = client.post(
            link,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200 and "unsubscribed" in done.text
        assert client.post(link).status_code == 200  # again: nothing new
    assert rows(project, "SELECT customer_id, channel, campaign FROM suppressions") == [
        ("1", "email", "back")
    ]
    smtp.handler.envelopes.clear()
    summary = run(project, SECOND)
    daily = summary["rules"][1]
    assert daily["channels"] == {"email": 2, "sms": 1}  # Ana on SMS: the failover
    assert sorted(e.rcpt_tos[0] for e in smtp.handler.envelopes) == [
        "bo@example.com",
        "cy@example.com",
    ]
    assert [m["customer_id"] for m in outbox(project, "sms")] == ["1"]


def test_a_forged_unsubscribe_signature_is_404_and_records_nothing(loop) -> None:
    project, url, mails, _ = loop
    token = rows(project, "SELECT message_id FROM messages WHERE customer_id = '2'")[0][0]
    forged = Tracking(url, b"another secret").unsubscribe_link(token)
    genuine = Tracking(url, SECRET.encode()).unsubscribe_link(token)
    assert forged != genuine and genuine == link_in(mails["bo"], "/u/")
    with httpx.Client() as client:
        assert client.get(forged).status_code == 404
        assert client.post(forged, content=b"List-Unsubscribe=One-Click").status_code == 404
        assert client.post(genuine[:-1] + ("a" if genuine[-1] != "a" else "b")).status_code == 404
    assert rows(project, "SELECT * FROM suppressions") == []


def test_a_head_request_redirects_without_recording_a_click(loop) -> None:
    project, _, mails, _ = loop
    answer = httpx.head(link_in(mails["ana"], "/r/"))
    assert answer.status_code == 302 and answer.headers["location"].startswith("https://shop.")
    assert clicks(project) == []


def test_a_real_run_without_the_secret_stops_before_writing(tmp_path: Path) -> None:
    project = make_project(tmp_path, "https://go.example.com", 9)
    command = ["run", str(project / "back.win"), "--now", FIRST]
    config = ["--config", str(project / "winlang.toml")]
    unset = {"WINLANG_TRACKING_SECRET": None}
    result = CliRunner().invoke(cli, [*command, *config], env=unset)
    assert result.exit_code == 2, result.output
    assert "WINLANG_TRACKING_SECRET is not set" in result.stderr
    assert not (project / "state.db").exists() or rows(project, "SELECT * FROM messages") == []
    dry = CliRunner().invoke(cli, [*command, "--dry-run", "--format", "json", *config], env=unset)
    assert dry.exit_code == 0, dry.output  # a dry run signs with a stand-in of the same length
