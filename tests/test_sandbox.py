"""The project folder is a sandbox: `body file` and outbox paths can't reach outside it, nor
name a device, a pipe or a huge file; the outbox appends only to its own JSON-lines files.
Check and run refuse the same paths through the same functions."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from winlang.channels.outbox import OutboxChannel
from winlang.cli import cli
from winlang.contracts.errors import ChannelError
from winlang.sandbox import MAX_BODY_BYTES
from winlang.testing import make_messages

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "campaigns" / "schema.json"
CONFIG = '[store]\nschema = "schema.json"\n'


def campaign(body_file: str) -> str:
    return (
        'campaign "c"\n'
        f'template hello email subject "Hi" body file "{body_file}"\n'
        "rule hello: when orders > 1 then send email hello\n"
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder (with winlang.toml) holding campaigns/ and templates inside it."""
    folder = tmp_path / "project"
    (folder / "campaigns" / "templates").mkdir(parents=True)
    shutil.copy(SCHEMA, folder / "schema.json")
    (folder / "winlang.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "campaigns" / "templates" / "hi.html").write_text("<p>Hi</p>", encoding="utf-8")
    return folder


def check(project: Path, body_file: str) -> tuple[int, list[dict]]:
    path = project / "campaigns" / "c.win"
    path.write_text(campaign(body_file), encoding="utf-8")
    config = ["--config", str(project / "winlang.toml")]
    result = CliRunner().invoke(cli, ["check", str(path), "--format", "json", *config])
    return result.exit_code, json.loads(result.stdout)


def codes(findings: list[dict]) -> list[str]:
    return [f["code"] for f in findings]


@pytest.mark.parametrize(
    "body_file",
    [
        "/proc/self/environ",
        "../../etc/passwd",
        "../../../etc/passwd",
        "/etc/hostname",
        "../../x.html",
    ],
)
def test_a_body_file_outside_the_project_is_refused(project, body_file):
    status, findings = check(project, body_file)
    assert status == 1 and codes(findings) == ["E410"]
    [finding] = findings
    assert "outside the project folder" in finding["message"]
    assert (finding["line"], finding["column"]) == (2, 45)  # the file "..." string


def test_inside_the_project_is_fine_even_above_the_campaign(project):
    (project / "shared.html").write_text("<p>Hi</p>", encoding="utf-8")
    assert check(project, "templates/hi.html") == (0, [])
    assert check(project, "../shared.html") == (0, [])


def test_a_symbolic_link_is_judged_by_where_it_points(project, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SMTP_PASSWORD=hunter2", encoding="utf-8")
    templates = project / "campaigns" / "templates"
    (templates / "out.html").symlink_to(secret)
    (templates / "in.html").symlink_to(templates / "hi.html")
    status, findings = check(project, "templates/out.html")
    assert status == 1 and codes(findings) == ["E410"]
    assert "hunter2" not in json.dumps(findings)
    assert check(project, "templates/in.html") == (0, [])


def test_a_file_over_the_limit_is_refused(project):
    big = project / "campaigns" / "templates" / "big.html"
    big.write_bytes(b"<p>" + b"x" * (2 * MAX_BODY_BYTES) + b"</p>")
    status, findings = check(project, "templates/big.html")
    assert status == 1 and codes(findings) == ["E410"]
    assert "1 MiB" in findings[0]["message"]
    big.write_bytes(b"x" * MAX_BODY_BYTES)  # exactly the limit is fine
    assert check(project, "templates/big.html")[0] == 0


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_devices_and_pipes_are_refused_without_reading_them(project, special):
    """In a real process with a time limit: reading /dev/zero or opening a pipe with no writer
    would never end, so a pass here means the file was never read or opened."""
    if special == "fifo":
        os.mkfifo(project / "campaigns" / "templates" / "pipe.html")
        special = "templates/pipe.html"
    else:
        (project / "campaigns" / "templates" / "zero.html").symlink_to("/dev/zero")
        special = "templates/zero.html"  # /dev/zero itself is outside: reach it from inside
    path = project / "campaigns" / "c.win"
    path.write_text(campaign(special), encoding="utf-8")
    command = [sys.executable, "-m", "winlang", "check", str(path), "--format", "json"]
    done = subprocess.run(
        [*command, "--config", str(project / "winlang.toml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    [finding] = json.loads(done.stdout)
    assert finding["code"] == "E410"
    if special == "templates/zero.html":
        assert "outside the project folder" in finding["message"]  # resolved to /dev/zero
    else:
        assert "not a regular file" in finding["message"]


def test_without_a_config_the_campaign_folder_is_the_project(tmp_path):
    (tmp_path / "above.html").write_text("<p>Hi</p>", encoding="utf-8")
    folder = tmp_path / "campaigns"
    folder.mkdir()
    path = folder / "c.win"
    path.write_text(campaign("../above.html"), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["check", str(path), "--schema", str(SCHEMA), "--format", "json"]
    )
    assert result.exit_code == 1 and "E410" in codes(json.loads(result.stdout))


def test_a_campaign_outside_the_project_reads_beside_itself_only(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "templates").mkdir(parents=True)
    (elsewhere / "templates" / "hi.html").write_text("<p>Hi</p>", encoding="utf-8")
    (tmp_path / "above.html").write_text("<p>Hi</p>", encoding="utf-8")
    config = ["--config", str(project / "winlang.toml"), "--format", "json"]
    for body_file, status in (("templates/hi.html", 0), ("../above.html", 1)):
        path = elsewhere / "c.win"
        path.write_text(campaign(body_file), encoding="utf-8")
        result = CliRunner().invoke(cli, ["check", str(path), *config])
        assert result.exit_code == status, result.output
    [finding] = json.loads(result.stdout)
    assert "outside the project folder and the campaign's folder" in finding["message"]


# ---- a run refuses the same files ------------------------------------------------------------


def make_store(project: Path) -> None:
    with sqlite3.connect(project / "shop.db") as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, orders INTEGER, email TEXT,"
            " consent_email BOOLEAN)"
        )
        db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
        db.execute("INSERT INTO customers VALUES (1, 2, 'ana@example.com', 1)")
    db.close()


def run(project: Path, *config: str):
    (project / "winlang.toml").write_text(
        '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n'
        + "".join(config),
        encoding="utf-8",
    )
    return CliRunner().invoke(
        cli,
        ["run", str(project / "campaigns" / "c.win"), "--now", "2026-11-22T10:00:00Z",
         "--config", str(project / "winlang.toml")],
    )  # fmt: skip


def test_a_run_refuses_a_body_file_outside_and_sends_nothing(project):
    make_store(project)
    (project / "campaigns" / "c.win").write_text(campaign("/proc/self/environ"), encoding="utf-8")
    result = run(project)
    assert result.exit_code == 1
    assert "E410" in result.output and "outside the project folder" in result.output
    assert not (project / "outbox").exists() and not (project / "state.db").exists()


def test_an_outbox_may_not_write_the_configuration(project):
    make_store(project)
    (project / "campaigns" / "c.win").write_text(campaign("templates/hi.html"), encoding="utf-8")
    result = run(project, '[channels.email]\nplugin = "outbox"\npath = "winlang.toml"\n')
    assert result.exit_code == 2, result.output  # a project that can't be used
    assert "E708" in result.output and "is not a .jsonl file" in result.output
    before = (project / "winlang.toml").read_text(encoding="utf-8")
    assert "idempotency_key" not in before  # nothing was appended
    status, findings = check_config(project)
    assert status == 1 and codes(findings) == ["E708"]
    assert findings[0]["line"] == 7  # the `path` setting


def check_config(project: Path) -> tuple[int, list[dict]]:
    config = ["--config", str(project / "winlang.toml"), "--schema", str(SCHEMA)]
    path = project / "campaigns" / "c.win"
    result = CliRunner().invoke(cli, ["check", str(path), "--format", "json", *config])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("path", "problem"),
    [("../outside.jsonl", "outside the project folder"),
     ("/tmp/x.jsonl", "outside the project folder"),
     ("notes.jsonl", "is not an outbox file"),
     ("campaigns", "which is a folder")],
)  # fmt: skip
def test_outbox_paths_are_checked(project, path, problem):
    (project / "notes.jsonl").write_text('{"note": "mine"}\n', encoding="utf-8")
    (project / "winlang.toml").write_text(
        CONFIG + f'[channels.email]\nplugin = "outbox"\npath = "{path}"\n', encoding="utf-8"
    )
    (project / "campaigns" / "c.win").write_text(campaign("templates/hi.html"), encoding="utf-8")
    status, findings = check_config(project)
    assert status == 1 and codes(findings) == ["E708"] and problem in findings[0]["message"]
    with pytest.raises(ChannelError, match=problem):  # the run refuses the same way
        OutboxChannel.from_settings("email", {"path": path, "root": str(project)})
    assert (project / "notes.jsonl").read_text(encoding="utf-8") == '{"note": "mine"}\n'


def test_the_outbox_keeps_a_last_line_without_its_newline(tmp_path):
    path = tmp_path / "email.jsonl"
    first, second = make_messages(2)
    whole = orjson.dumps(first.as_json())
    path.write_bytes(whole)  # a whole line, its newline lost (written by another tool)
    outbox = OutboxChannel.from_settings("email", {"path": "email.jsonl", "root": str(tmp_path)})
    outbox.send([first, second])
    outbox.close()
    lines = path.read_bytes().splitlines()
    assert [orjson.loads(line)["idempotency_key"] for line in lines] == [
        first.idempotency_key,
        second.idempotency_key,
    ]
    assert lines[0] == whole
