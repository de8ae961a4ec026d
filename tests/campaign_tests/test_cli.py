"""``winlang test`` end to end: exit statuses, the three formats, and broken test files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli

CAMPAIGN = """campaign "nudge"
  quiet hours 21:00 to 09:00

template nudge sms "Hi {first_name|there}, {discount}% off today"

rule nudge: when orders >= 3 and not purchased within 30 days
            then send sms nudge with discount = 10
"""

TEST = """campaign = "nudge.win"
engines = ["numpy"]

[defaults]
phone = "+40722000001"
consent_sms = true
timezone = "UTC"

[[customer]]
id = "c-1"
first_name = "Ana"
orders = 3

[[customer]]
id = "c-2"
orders = 2

[[customer]]
id = "c-3"
orders = 5
timezone = "Asia/Seoul"

[[event]]
customer = "c-1"
type = "purchase"
at = "31 days ago"
amount = 12.5

[[step]]
at = "2026-11-01T13:00:00Z"            # 22:00 in Seoul
expect = [
  { customer = "c-1", rule = "nudge", channel = "sms", text = "Hi Ana, 10% off today" },
  { customer = "c-3", result = "deferred", until = "2026-11-02T00:00:00Z" },
  { customer = "c-2", result = "nothing" },
]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder outside any project: fields inferred from the fixtures."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nudge.win").write_text(CAMPAIGN, encoding="utf-8")
    (tmp_path / "nudge.test.toml").write_text(TEST, encoding="utf-8")
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(cli, ["test", *args])


def test_a_passing_file_exits_0(project: Path) -> None:
    result = invoke(".")
    assert result.exit_code == 0, result.output
    assert "nudge.test.toml: 1 step on numpy, 3 checks: passed" in result.output


def test_a_failure_names_the_line_expected_actual_and_a_hint(project: Path) -> None:
    path = project / "nudge.test.toml"
    path.write_text(TEST.replace('"Hi Ana, 10% off today"', '"Hi Ana, 15% off today"'))
    result = invoke(str(path))
    assert result.exit_code == 1
    line = (
        TEST.splitlines().index(next(x for x in TEST.splitlines() if 'customer = "c-1", rule' in x))
        + 1
    )
    assert (
        f"nudge.test.toml:{line}: step 1 at 2026-11-01T13:00:00Z (numpy): customer c-1: "
        'expected text "Hi Ana, 15% off today", got "Hi Ana, 10% off today"' in result.output
    )
    assert 'expected: text = "Hi Ana, 15% off today"' in result.output
    assert "= hint:" in result.output


def test_a_moved_threshold_fails(project: Path) -> None:
    (project / "nudge.win").write_text(CAMPAIGN.replace("orders >= 3", "orders >= 4"))
    result = invoke()
    assert result.exit_code == 1
    assert 'customer c-1: expected result "sent", got "nothing"' in result.output


def test_json_and_github(project: Path) -> None:
    (project / "nudge.win").write_text(CAMPAIGN.replace("within 30 days", "within 31 days"))
    report = json.loads(invoke("--format", "json").output)
    assert report["failed"] == 1 and report["passed"] == 0
    failure = report["files"][0]["failures"][0]
    assert failure["customer"] == "c-1" and failure["engines"] == ["numpy"]
    assert failure["expected"] == {"result": "sent", "rule": "nudge"} and failure["actual"] == {
        "result": "nothing"
    }
    github = invoke("--format", "github")
    assert github.exit_code == 1
    assert github.output.startswith("::error file=nudge.test.toml,line=")
    assert "customer c-1: expected result" in github.output


def test_both_engines_agree(project: Path) -> None:
    path = project / "nudge.test.toml"
    path.write_text(TEST.replace('engines = ["numpy"]', 'engines = ["numpy", "sql"]'))
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "on numpy and sql, 6 checks: passed" in result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("orders = 2", "ordrs = 2"), "customer c-2: the campaign reads no field `ordrs`"),
        (('rule = "nudge"', 'rule = "nudg"'), "unknown rule `nudg`"),
        (('result = "nothing"', 'result = "nothin"'), "unknown result `nothin`"),
        (('at = "31 days ago"', 'at = "31 dayz ago"'), "is not a duration"),
        (('campaign = "nudge.win"', 'campaign = "nudge2.win"'), "campaign file `nudge2.win`"),
        (("[[step]]\nat =", "[[step]]\nwhen ="), "unknown key `when` in step 1"),
        (("expect = [", "expect = [[["), "invalid TOML"),
    ],
)
def test_a_broken_test_file_exits_2_at_its_line(project: Path, change, message) -> None:
    path = project / "nudge.test.toml"
    path.write_text(TEST.replace(*change))
    result = invoke(str(path))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    line = int(result.output.split(":")[1])
    assert line > 1 or "campaign" in message


def test_a_campaign_with_errors_fails(project: Path) -> None:
    (project / "nudge.win").write_text(CAMPAIGN.replace("orders >= 3", "ordrs >= 3"))
    result = invoke()
    assert result.exit_code == 1
    assert "error[E201]" in result.output and "does not check" in result.output


def test_usage(project: Path) -> None:
    assert invoke("missing").exit_code == 2
    (project / "nudge.test.toml").unlink()
    result = invoke(".")
    assert result.exit_code == 2
    assert "no campaign test files" in result.output


def test_an_sms_too_long_to_send(project: Path) -> None:
    path = project / "nudge.test.toml"
    text = TEST.replace(
        "[[event]]",
        '[[customer]]\nid = "c-4"\norders = 4\nfirst_name = "' + "Ana" * 200 + '"\n\n[[event]]',
    ).replace(
        'result = "nothing" },',
        'result = "nothing" },\n  { customer = "c-4", result = "too_long" },',
    )
    path.write_text(text)
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    path.write_text(text.replace('result = "too_long"', 'result = "sent"'))
    result = invoke(str(path))
    assert result.exit_code == 1
    assert 'customer c-4: expected result "sent", got "too_long"' in result.output
    assert "sms_max_parts" in result.output


def test_an_engine_the_file_does_not_name_skips_it(project: Path) -> None:
    result = invoke("--engine", "sql")
    assert result.exit_code == 0
    assert "nudge.test.toml: skipped: it runs on numpy only" in result.output


def test_an_unsubscribed_customer(project: Path) -> None:
    path = project / "nudge.test.toml"
    text = TEST.replace(
        "[[event]]",
        '[[customer]]\nid = "c-5"\norders = 4\n\n[[event]]\ncustomer = "c-5"\n'
        'type = "unsubscribe"\nchannel = "sms"\nat = "2 days ago"\n\n[[event]]',
    ).replace(
        'result = "nothing" },',
        'result = "nothing" },\n  { customer = "c-5", rule = "nudge", result = "unsubscribed" },',
    )
    path.write_text(text)
    result = invoke(str(path))
    assert result.exit_code == 0, result.output


def test_types_declare_a_field_no_customer_writes(project: Path) -> None:
    path = project / "nudge.test.toml"
    path.write_text(
        'campaign = "nudge.win"\nengines = ["numpy"]\n\n'
        '[types]\norders = "number"\nfirst_name = "text"\n\n'
        '[[customer]]\nid = 1\n\n[[step]]\nat = "2026-11-01T10:00:00Z"\n'
        'expect = [{ customer = 1, result = "nothing" }]\n'
    )
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    path.write_text(path.read_text().replace('"number"', '"numbr"'))
    result = invoke(str(path))
    assert result.exit_code == 2
    assert "`orders`: unknown type `numbr`" in result.output
    path.write_text(path.read_text().replace('orders = "numbr"\n', ""))
    result = invoke(str(path))
    assert result.exit_code == 1  # the campaign reads a field the store does not have
    assert "error[E201]" in result.output


def test_a_broken_file_in_json_and_github(project: Path) -> None:
    path = project / "nudge.test.toml"
    path.write_text(TEST.replace('rule = "nudge"', 'rule = "nudg"'))
    report = json.loads(invoke("--format", "json").output)
    assert report["broken"] == 1
    error = report["files"][0]["errors"][0]
    assert error["message"] == "unknown rule `nudg`" and error["line"] > 1
    github = invoke("--format", "github")
    assert github.exit_code == 2
    assert github.output.startswith("::error file=nudge.test.toml,line=")
    assert "unknown rule `nudg`" in github.output
