"""No input crashes ``winlang check``: every odd file, configuration or store gives a diagnostic
(with a position where one makes sense), never a traceback."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from winlang.cli import cli
from winlang.diagnostics import CODES

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "campaigns" / "schema.json"
MEGABYTE = 1_000_000


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with a copy of the example schema."""
    shutil.copy(SCHEMA, tmp_path / "schema.json")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WINLANG_STORE_URL", raising=False)
    return tmp_path


def check(*args: str) -> Result:
    """Run the command; an exception escaping it fails the test (never a traceback)."""
    return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)


def findings(path: Path, *args: str) -> list[dict]:
    result = check(str(path.name), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    found = json.loads(result.output)
    for finding in found:
        assert finding["code"] in CODES
        assert finding["line"] >= 1 and finding["column"] >= 1
    return found


def codes_of(path: Path, *args: str) -> list[str]:
    return [f["code"] for f in findings(path, "--schema", "schema.json", *args)]


# ---- odd campaign files -----------------------------------------------------------------------


def test_empty_file(folder: Path) -> None:
    path = folder / "empty.win"
    path.write_text("", encoding="utf-8")
    assert codes_of(path) == ["E601"]


def test_only_comments_and_blank_lines(folder: Path) -> None:
    path = folder / "blank.win"
    path.write_text("# nothing here yet\n\n   \n", encoding="utf-8")
    assert codes_of(path) == ["E601"]


def test_binary_file(folder: Path) -> None:
    path = folder / "binary.win"
    path.write_bytes(bytes(range(256)) * 8)
    assert codes_of(path) == ["E111"]


def test_invalid_utf8_is_reported_with_line_and_column(folder: Path) -> None:
    path = folder / "latin1.win"
    path.write_bytes(b'campaign "x"\nwhen city = "caf\xe9" then add to list "a"\n')
    (finding,) = findings(path, "--schema", "schema.json")
    assert (finding["code"], finding["line"], finding["column"]) == ("E111", 2, 17)


def test_utf8_byte_order_mark_is_accepted(folder: Path) -> None:
    path = folder / "bom.win"
    path.write_bytes(b'\xef\xbb\xbfcampaign "x"\nwhen orders > 1 then add to list "a"\n')
    assert codes_of(path) == []


def test_windows_and_old_mac_line_endings(folder: Path) -> None:
    path = folder / "crlf.win"
    path.write_bytes(b'campaign "x"\r\nwhen orders => 1 then add to list "a"\r\n')
    (finding,) = findings(path, "--schema", "schema.json")
    assert (finding["code"], finding["line"], finding["column"]) == ("E104", 2, 13)


def test_odd_whitespace_does_not_shift_lines(folder: Path) -> None:
    path = folder / "odd.win"
    path.write_text(
        'campaign "x" # a\x0cb\u2028c\nwhen orders => 1 then add to list "a"\n', encoding="utf-8"
    )
    result = check(path.name, "--schema", "schema.json")
    assert "    2 | when orders => 1 then" in result.output


def test_nul_and_control_characters_after_the_start(folder: Path) -> None:
    path = folder / "nul.win"
    path.write_text('campaign "x"\n' + "#" * 9000 + '\nwhen orders > 1\x00 then add to list "a"\n')
    assert codes_of(path) == ["E101"]


def test_megabyte_name_on_one_line(folder: Path) -> None:
    path = folder / "name.win"
    path.write_text('campaign "x" when ' + "x" * MEGABYTE + ' > 1 then add to list "a"')
    (finding,) = findings(path, "--schema", "schema.json")
    assert finding["code"] == "E201" and len(finding["message"]) < 120
    text = check(path.name, "--schema", "schema.json").output
    assert max(len(line) for line in text.splitlines()) < 300  # the source line is cut


def test_megabyte_broken_token_on_one_line(folder: Path) -> None:
    path = folder / "token.win"
    path.write_text('campaign "x" ' + "x" * MEGABYTE)
    (finding,) = findings(path, "--schema", "schema.json")
    assert finding["code"] == "E100" and len(finding["message"]) < 200


def test_megabyte_sms_template(folder: Path) -> None:
    path = folder / "sms.win"
    path.write_text(
        'campaign "x" template t sms "' + "a" * MEGABYTE + '" when orders > 1 then send sms t'
    )
    assert codes_of(path) == ["E502"]


def test_megabyte_comment(folder: Path) -> None:
    path = folder / "comment.win"
    path.write_text('campaign "x" # ' + "x" * MEGABYTE + '\nwhen orders > 1 then add to list "a"')
    assert codes_of(path) == []


def test_ten_thousand_nested_parentheses(folder: Path) -> None:
    path = folder / "parens.win"
    depth = 10_000
    path.write_text(
        'campaign "x"\nwhen ' + "(" * depth + "orders > 1" + ")" * depth + ' then add to list "a"'
    )
    assert codes_of(path) == []


def test_ten_thousand_unclosed_parentheses(folder: Path) -> None:
    path = folder / "open.win"
    path.write_text('campaign "x"\nwhen ' + "(" * 10_000 + 'orders > 1 then add to list "a"')
    (finding,) = findings(path, "--schema", "schema.json")
    assert finding["code"] == "E100" and "(" in finding["hint"]


def test_ten_thousand_nested_nots(folder: Path) -> None:
    path = folder / "nots.win"
    path.write_text('campaign "x"\nwhen ' + "not " * 10_000 + 'consent_sms then add to list "a"')
    assert codes_of(path) == ["E112"]


def test_ten_thousand_nested_minus_signs(folder: Path) -> None:
    path = folder / "minus.win"
    path.write_text('campaign "x"\nwhen orders > ' + "-" * 10_000 + '1 then add to list "a"')
    assert codes_of(path) == ["E112"]


def test_unknown_keywords(folder: Path) -> None:
    path = folder / "words.win"
    path.write_text(
        'campaign "x"\nunless orders > 1 do send sms x\nforeach customer select *\n'
        'when orders > 1 then add to list "a"\n'
    )
    found = findings(path, "--schema", "schema.json")
    assert found and {f["code"] for f in found} <= {"E100", "E101"}
    assert found[0]["line"] == 2


def test_many_broken_items_are_capped(folder: Path) -> None:
    path = folder / "broken.win"
    path.write_text('campaign "x"\n' + 'when orders => 1 then add to list "a"\n' * 500)
    found = findings(path, "--schema", "schema.json")
    assert 1 < len(found) <= 50


# ---- configuration and store ------------------------------------------------------------------


CAMPAIGN = 'campaign "x"\nwhen orders > 1 then add to list "a"\n'


def test_missing_config_given_explicitly(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    result = check("a.win", "--config", "missing.toml", "--schema", "schema.json")
    assert result.exit_code == 1
    assert "error[E701]: can't read the configuration" in result.output


def test_config_path_that_is_a_folder(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "conf").mkdir()
    result = check("a.win", "--config", "conf", "--schema", "schema.json")
    assert result.exit_code == 2 and "is a directory" in result.output


def test_config_that_is_not_toml(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "winlang.toml").write_bytes(b"\x00\xff not toml [[[")
    result = check("a.win", "--schema", "schema.json")
    assert result.exit_code == 1 and "error[E701]" in result.output


def test_missing_sqlite_store(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "winlang.toml").write_text('[store]\nurl = "sqlite:///nowhere/shop.db"\n')
    result = check("a.win")
    assert result.exit_code == 1
    assert "error[E705]" in result.output and "does not exist" in result.output


def test_unreachable_database_server(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:9/shop?connect_timeout=2"
    (folder / "winlang.toml").write_text(f'[store]\nurl = "{url}"\n')
    result = check("a.win")
    assert result.exit_code == 1 and "error[E705]" in result.output
    assert "secret" not in result.output  # the password is never printed


def test_unknown_database_driver(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "winlang.toml").write_text('[store]\nurl = "nosuchdb://host/db"\n')
    result = check("a.win")
    assert result.exit_code == 1 and "error[E705]" in result.output


def test_schema_file_that_is_not_a_schema(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "bad.json").write_text('{"customers": {"orders": "integer"}}')
    result = check("a.win", "--schema", "bad.json")
    assert result.exit_code == 1 and "error[E706]" in result.output
    (folder / "worse.json").write_bytes(b"\xff\xfe")
    assert "error[E706]" in check("a.win", "--schema", "worse.json").output


def test_unreadable_campaign_among_good_ones(folder: Path) -> None:
    (folder / "good.win").write_text(CAMPAIGN)
    (folder / "dir.win").mkdir()  # a folder named like a campaign is skipped, not read
    (folder / "bad.win").write_bytes(b"\xff")
    result = check(".", "--schema", "schema.json")
    assert result.exit_code == 1
    assert "bad.win:1:1: error[E111]" in result.output
    assert "checked 2 files" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_campaign_without_read_permission(folder: Path) -> None:
    path = folder / "secret.win"
    path.write_text(CAMPAIGN)
    path.chmod(0)
    assert codes_of(path) == ["E111"]


# ---- each of these was an internal error (exit 3) -----------------------------------------------


def test_a_number_of_4301_digits_in_a_campaign(folder: Path) -> None:
    path = folder / "big.win"
    path.write_text('campaign "x"\nwhen orders > ' + "9" * 4301 + ' then add to list "a"\n')
    (finding,) = findings(path, "--schema", "schema.json")
    assert (finding["code"], finding["line"], finding["column"]) == ("E114", 2, 15)
    assert "4,301 digits" in finding["message"]


@pytest.mark.parametrize("number", ["9" * 4301, "1" + "0" * 15, "1" * 16 + ".5"])
def test_a_number_too_large_in_a_derived_field(folder: Path, number: str) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "winlang.toml").write_text(f'[fields]\nbig = "orders + {number}"\n')
    result = check("a.win", "--schema", "schema.json")
    assert result.exit_code == 1 and "error[E114]: derived field `big`" in result.output


def test_fifteen_digits_are_fine(folder: Path) -> None:
    path = folder / "ok.win"
    path.write_text('campaign "x"\nwhen lifetime_value > 999999999999999.25 then add to list "a"\n')
    assert codes_of(path) == []


@pytest.mark.parametrize(
    "limits, message",
    [
        ("global_cap = [1, 1000000000000]", "`global_cap` is [messages, days]"),
        ("global_cap = [1, 1e12]", "`global_cap` is [messages, days]"),
        ("global_cap = [true, 7]", "`global_cap` is [messages, days]"),
        ("sms_placeholder_length = 1000000000", "`sms_placeholder_length` must be a whole"),
        ("sms_max_parts = 100000000", "`sms_max_parts` must be a whole number of at most 255"),
    ],
)
def test_limits_out_of_range(folder: Path, limits: str, message: str) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "winlang.toml").write_text(f"[limits]\n{limits}\n")
    result = check("a.win", "--schema", "schema.json")
    assert result.exit_code == 1 and "error[E703]" in result.output and message in result.output


@pytest.mark.parametrize("where", ["/dev/zero", "folder", "fifo", "huge.json"])
def test_a_schema_path_that_is_no_small_file(folder: Path, where: str) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "folder").mkdir()
    os.mkfifo(folder / "fifo")
    with (folder / "huge.json").open("wb") as huge:
        huge.truncate(20_000_000)  # sparse: no disk used
    (folder / "winlang.toml").write_text(f'[store]\nschema = "{where}"\n')
    result = check("a.win")
    assert result.exit_code == 1 and "error[E706]" in result.output
    assert re.search(r"device or pipe|a folder|Is a directory|larger than", result.output)


def test_a_config_that_is_a_device(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    result = check("a.win", "--config", "/dev/zero", "--schema", "schema.json")
    assert result.exit_code == 1
    assert "error[E701]: can't read the configuration: it is a device or pipe" in result.output


def test_a_config_with_a_byte_order_mark(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "winlang.toml").write_bytes(b"\xef\xbb\xbf[limits]\nsms_max_parts = 4\n")
    result = check("a.win", "--schema", "schema.json")
    assert result.exit_code == 0, result.output


UNKNOWN_PLACEHOLDERS = 33_333  # the file had 333,333; the cost is linear now


@pytest.mark.parametrize("output", ["text", "json", "github"])
def test_findings_per_file_are_capped_in_every_format(folder: Path, output: str) -> None:
    path = folder / "many.win"
    path.write_text(
        'campaign "x"\ntemplate t sms "' + "{nope}" * UNKNOWN_PLACEHOLDERS + '"\n'
        "when orders > 1 then send sms t\n"
    )
    result = check("many.win", "--schema", "schema.json", "--format", output)
    assert result.exit_code == 1
    # the rest: the unknown placeholders not shown, and the SMS that no phone can take
    more = re.compile(r"and ([\d,]+) more findings in this file \(([\d,]+) errors")
    if output == "json":
        found = json.loads(result.output)
        assert len(found) == 101 and {f["code"] for f in found} == {"E401", "E115"}
        (hidden,) = [m for f in found if (m := more.search(f["message"]))]
    else:
        assert result.output.count("E401") == 100
        (hidden,) = more.finditer(result.output)
    assert int(hidden[1].replace(",", "")) == UNKNOWN_PLACEHOLDERS - 100 + 1


def test_a_number_of_4301_digits_in_the_config(folder: Path) -> None:
    (folder / "a.win").write_text(CAMPAIGN)
    (folder / "winlang.toml").write_text("[limits]\nsms_max_parts = " + "9" * 4301 + "\n")
    result = check("a.win", "--schema", "schema.json")
    assert result.exit_code == 1
    assert "winlang.toml:2:17: error[E701]: invalid TOML: a number of more than" in result.output
