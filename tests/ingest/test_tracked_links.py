"""`winlang ingest` takes the wl_c / wl_r / wl_m a tracked link carries: the ledger says whose
message it was, on which channel and template."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
from click.testing import CliRunner

from tests.deliver.test_run_cli import make_project, outbox, report
from winlang.cli import cli

CAMPAIGN = """campaign "c"
  link "https://shop.example.com/back"
template hi sms "hi {first_name|there}: {link}"
rule hello: when orders > 0 then send sms hi
rule again: when clicked hi then add to list "clickers"
"""


def make_linked_project(folder: Path) -> Path:
    """The run tests' project, its events table with the columns `clicked hi` reads."""
    project = make_project(folder, campaign=CAMPAIGN)
    with closing(sqlite3.connect(project / "shop.db")) as db:
        for column in ("channel", "campaign", "template"):
            db.execute(f"ALTER TABLE events ADD COLUMN {column} TEXT")
        db.commit()
    return project


def ingest(project: Path, name: str, text: str):
    path = project / name
    path.write_text(text, encoding="utf-8")
    config = ["--config", str(project / "winlang.toml")]
    return CliRunner().invoke(cli, ["ingest", str(path), *config])


def link_parameters(message: dict) -> dict[str, str]:
    link = message["text"].split(": ")[-1]
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def test_a_click_with_the_link_parameters_alone_is_placed_by_the_ledger(tmp_path: Path) -> None:
    project = make_linked_project(tmp_path)
    report(project)
    ana = next(m for m in outbox(project, "sms") if m["customer_id"] == "1")
    wl = link_parameters(ana)
    assert wl == {"wl_c": "c", "wl_r": "hello", "wl_m": ana["message_id"]}
    record = {"event_id": "web-1", "type": "click", "occurred_at": "2026-11-22T14:00:00Z", **wl}
    result = ingest(project, "clicks.jsonl", orjson.dumps(record).decode() + "\n")
    assert result.exit_code == 0, result.output
    assert "1 new" in result.stdout
    later = report(project, now="2026-11-22T15:00:00Z")
    assert later["rules"][1]["matched"] == 1  # `clicked hi` sees Ana's click


def test_a_wrong_or_unknown_message_is_an_invalid_record(tmp_path: Path) -> None:
    project = make_linked_project(tmp_path)
    report(project)
    ana = next(m for m in outbox(project, "sms") if m["customer_id"] == "1")
    at = "2026-11-22T14:00:00Z"
    lines = [
        {"event_id": "a", "type": "click", "occurred_at": at, "wl_m": "aaaaaaaaaaaa"},
        {"event_id": "b", "type": "click", "occurred_at": at, "wl_m": ana["message_id"],
         "wl_r": "other"},
        {"event_id": "c", "type": "click", "occurred_at": at, "wl_m": ana["message_id"],
         "customer_id": "3"},
        {"event_id": "d", "type": "click", "occurred_at": at, "wl_m": "not an id"},
    ]  # fmt: skip
    text = "".join(orjson.dumps(line).decode() + "\n" for line in lines)
    result = ingest(project, "bad.jsonl", text)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:4] == [
        f"{project / 'bad.jsonl'}:1: `wl_m` aaaaaaaaaaaa names no message in the ledger (is "
        "this the state database of the runs that sent it?)",
        f"{project / 'bad.jsonl'}:2: `wl_r` is `other`, but message {ana['message_id']} was "
        "sent by rule `hello`",
        f"{project / 'bad.jsonl'}:3: `customer_id` is `3`, but message {ana['message_id']} "
        "went to customer `1`",
        f"{project / 'bad.jsonl'}:4: `wl_m` is not a message id: 'not an id' (the 12 "
        "characters after wl_m= in the link)",
    ]


def test_a_csv_of_clicks_needs_no_customer_column_when_it_has_wl_m(tmp_path: Path) -> None:
    project = make_linked_project(tmp_path)
    report(project)
    ids = [m["message_id"] for m in outbox(project, "sms")]
    rows = [f"web-{n},click,2026-11-22T14:00:00Z,c,hello,{i}" for n, i in enumerate(ids)]
    text = "event_id,type,occurred_at,wl_c,wl_r,wl_m\n" + "\n".join(rows) + "\n"
    result = ingest(project, "clicks.csv", text)
    assert result.exit_code == 0, result.output
    assert f"{len(ids)} new" in result.stdout
