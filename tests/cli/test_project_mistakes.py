"""``winlang check`` is the CI gate: every project mistake that stops ``winlang run`` stops the
check too, with a finding at the file, line and column to fix.

Each case changes one thing in the own-names project (tests/e2e/own_names.py), then asserts
that ``check`` fails with the code at the place, and that ``run`` (dry and real) fails too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.e2e.own_names import CONFIG, NOW, write_own_names
from winlang.cli import cli


@dataclass(frozen=True)
class Mistake:
    name: str
    edit: Callable[[str], str]  # the config text, changed
    code: str
    key: str  # the start of the line the finding points at, in winlang.toml
    message: str  # a part of the message that run prints too
    at: str = ""  # the text of that line it points at, when not the line's start


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text
        return text.replace(old, new, 1)

    return edit


SMS = '[channels.sms]\nplugin = "outbox"\n'

MISTAKES = [
    Mistake(
        "plugin not installed",
        replace(SMS, '[channels.sms]\nplugin = "carrier-pigeon"\n'),
        "E708",
        'plugin = "carrier',
        "no installed plugin provides `carrier-pigeon`",
    ),
    Mistake(
        "webhook without url",
        replace(SMS, '[channels.sms]\nplugin = "webhook"\n'),
        "E708",
        "[channels.sms]",
        "`url` is required",
    ),
    Mistake(
        "webhook url of the wrong scheme",
        replace(SMS, '[channels.sms]\nplugin = "webhook"\nurl = "ftp://sms.example.com"\n'),
        "E708",
        'url = "ftp',
        "`url` must be an http:// or https:// URL",
    ),
    Mistake(
        "smtp without sender",
        replace(SMS, '[channels.sms]\nplugin = "smtp"\n'),
        "E708",
        "[channels.sms]",
        "`sender` is required",
    ),
    Mistake(
        "batch size of zero",
        replace(SMS, SMS + "batch_size = 0\n"),
        "E708",
        "batch_size",
        "`batch_size` must be an integer >= 1",
    ),
    Mistake(
        "outbox path that is a folder",
        replace('path = "outbox/sms.jsonl"', 'path = "."'),
        "E708",
        "path",
        "which is a folder",
    ),
    Mistake(
        "customers without their id column",
        replace('id = "client_ref"', 'id = "customer_ref"'),
        "E709",
        "id",
        "the store's `clients` table has no column `customer_ref`",
    ),
    Mistake(
        "mapped zone column missing",
        replace('timezone = "tz"', 'timezone = "zone"'),
        "E709",
        "timezone",
        "has no column `zone`",
    ),
    Mistake(
        "events without their time column",
        replace('occurred_at = "at"', 'occurred_at = "when"'),
        "E709",
        "occurred_at",
        "the store's `activity` table has no column `when`",
    ),
    Mistake(
        "zone column that is not text",
        replace('timezone = "tz"', 'timezone = "last_order_at"'),
        "E709",
        "timezone",
        "the zone column `clients`.`last_order_at` holds timestamp values",
    ),
    Mistake(
        "consent column of text",
        replace('consent = "sms_optin"', 'consent = "first_name"'),
        "E709",
        "sms",  # the send in the campaign
        "the consent column `first_name` of channel `sms` holds text values",
    ),
    Mistake(
        "address column that is not text",
        replace('address = "mobile"', 'address = "sms_optin"'),
        "E709",
        "sms",
        "the address column `sms_optin` of channel `sms` holds number values",
    ),
    Mistake(
        "delivery setting out of range",
        lambda text: text + "\n[delivery]\nmax_attempts = 0\n",
        "E703",
        "max_attempts",
        "`max_attempts` must be a whole number of at least 1",
        at="0",
    ),
]


def invoke(*args: str | Path) -> Result:
    runner = CliRunner(env={"WINLANG_STORE_URL": None, "WINLANG_STATE_URL": None})
    return runner.invoke(cli, [str(a) for a in args])


def position(path: Path, key: str, at: str = "") -> tuple[int, int]:
    """Line and column of the first line of ``path`` that starts with ``key`` (the column
    of ``at`` in it), or of the channel of its first ``send KEY``."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith(key):
            return number, line.index(at, len(key)) + 1 if at else 1
        if f"send {key}" in line:
            return number, line.index(f"send {key}") + len("send ") + 1
    raise AssertionError(f"{key} is not in {path}")


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_run_fails_and_check_fails(mistake: Mistake, tmp_path: Path) -> None:
    config = write_own_names(tmp_path, "sqlite", mistake.edit(CONFIG))
    campaign = tmp_path / "own-names.win"
    checked = invoke("check", "--config", config, campaign, "--format", "json")
    assert checked.exit_code == 1, checked.output
    findings = [f for f in json.loads(checked.output) if f["code"] == mistake.code]
    assert findings, checked.output
    (finding,) = findings
    assert mistake.message in finding["message"]
    in_campaign = mistake.key == "sms"
    assert finding["file"].endswith("own-names.win" if in_campaign else "winlang.toml")
    line, column = position(campaign if in_campaign else config, mistake.key, mistake.at)
    assert (finding["line"], finding["column"]) == (line, column)
    for dry in (["--dry-run"], []):
        ran = invoke("run", "--config", config, campaign, "--now", NOW, *dry)
        # 1: the campaign file is wrong; 2: the project (config, store, channels) can't be used
        assert ran.exit_code == (1 if in_campaign else 2), ran.output
        assert mistake.message in ran.output
        assert "internal error" not in ran.output and "Traceback" not in ran.output
    assert not (tmp_path / "outbox").exists()


def test_check_prints_the_place_of_a_channel_mistake(tmp_path: Path) -> None:
    config = write_own_names(tmp_path, "sqlite", CONFIG + "batch_size = 0\n")
    result = invoke("check", "--config", config, tmp_path / "own-names.win")
    assert result.exit_code == 1
    line = len(CONFIG.splitlines()) + 1
    assert f"winlang.toml:{line}:1: error[E708]: channel `sms` (outbox): `batch_size`" in (
        result.output
    )


def test_a_secret_is_left_to_the_real_run(tmp_path: Path, monkeypatch) -> None:
    """CI has no secrets: check and a dry run pass; the real run names the variable."""
    monkeypatch.delenv("NO_SUCH_SMS_SECRET", raising=False)
    webhook = '[channels.sms]\nplugin = "webhook"\nurl = "http://127.0.0.1:9/sms"\n'
    webhook += 'secret_env = "NO_SUCH_SMS_SECRET"\n'
    config = write_own_names(tmp_path, "sqlite", replace(SMS, webhook)(CONFIG))
    campaign = tmp_path / "own-names.win"
    assert invoke("check", "--config", config, campaign).exit_code == 0
    assert invoke("run", "--config", config, campaign, "--now", NOW, "--dry-run").exit_code == 0
    real = invoke("run", "--config", config, campaign, "--now", NOW)
    assert real.exit_code == 2  # a project that can't be used as it is
    assert "names environment variable NO_SUCH_SMS_SECRET, which is not set" in real.output


def test_run_checks_the_store_itself_when_check_used_a_schema_file(tmp_path: Path) -> None:
    """A schema file that says the store has a column it lacks: check (which trusts the
    file) passes, the run refuses the store with the same message check would give."""
    schema = {
        "customers": {
            "client_ref": "text",
            "first_name": "text",
            "mobile": "text",
            "sms_optin": "number",
            "tz": "text",
            "zone": "text",
            "last_order_at": "timestamp",
        },
        "events": {"who": "text", "kind": "text", "via": "text", "at": "timestamp"},
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    text = replace('timezone = "tz"', 'timezone = "zone"')(CONFIG)
    text = replace('events = "activity"\n', 'events = "activity"\nschema = "schema.json"\n')(text)
    config = write_own_names(tmp_path, "sqlite", text)
    campaign = tmp_path / "own-names.win"
    assert invoke("check", "--config", config, campaign).exit_code == 0
    ran = invoke("run", "--config", config, campaign, "--now", NOW, "--dry-run")
    assert ran.exit_code == 2
    assert "the store's `clients` table has no column `zone`" in ran.output
    assert "E709" in ran.output


def test_two_files_with_one_campaign_name(tmp_path: Path) -> None:
    config = write_own_names(tmp_path, "sqlite")
    second = tmp_path / "copy.win"
    second.write_text("# the same campaign, copied\n" + (tmp_path / "own-names.win").read_text())
    result = invoke("check", "--config", config, tmp_path / "own-names.win", second)
    assert result.exit_code == 1
    assert 'copy.win:2:1: error[E613]: campaign "own-names" is also the campaign of ' in (
        result.output
    )
    assert "own-names.win; the two would share one ledger" in result.output


def test_without_a_project_a_placeholder_is_not_an_error(tmp_path: Path, monkeypatch) -> None:
    """No winlang.toml, no schema: fields are unknown, so `{first_name}` is W707's concern."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hi.win").write_text(
        'campaign "hi"\ntemplate t sms "Hi {first_name}"\nwhen orders > 1 then send sms t\n'
    )
    result = invoke("check", "hi.win", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [f["code"] for f in json.loads(result.output)] == ["W707"]
