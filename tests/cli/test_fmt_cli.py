"""``winlang fmt``: rewrites in place, --check, --diff, folders, files with errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from winlang.cli import cli

MESSY = (
    'campaign "x" holdout 10%\ntemplate t sms "Hi"   # greeting\nwhen orders>1 then send sms t\n'
)
TIDY = (
    'campaign "x"\n  holdout 10%\n\n'
    'template t sms "Hi"   # greeting\n\nwhen orders > 1 then send sms t\n'
)
BROKEN = 'campaign "x"\nwhen orders > then send sms t\n'


def fmt(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["fmt", *map(str, args)])


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    path = tmp_path / "a.win"
    path.write_text(MESSY, encoding="utf-8")
    return path


def test_rewrites_the_file_in_place(messy: Path) -> None:
    result = fmt(messy)
    assert result.exit_code == 0, result.output
    assert messy.read_text("utf-8") == TIDY
    assert "reformatted" in result.stderr and "1 file reformatted" in result.stderr
    again = fmt(messy)
    assert again.exit_code == 0 and "0 files reformatted, 1 file unchanged" in again.stderr


def test_check_changes_nothing_and_names_the_file(messy: Path) -> None:
    result = fmt("--check", messy)
    assert result.exit_code == 1
    assert f"would reformat {messy}" in result.stderr
    assert messy.read_text("utf-8") == MESSY
    messy.write_text(TIDY, encoding="utf-8")
    assert fmt("--check", messy).exit_code == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(messy: Path) -> None:
    result = fmt("--diff", messy)
    assert result.exit_code == 0
    assert messy.read_text("utf-8") == MESSY
    assert f"--- {messy} (original)" in result.stdout
    assert '-campaign "x" holdout 10%' in result.stdout
    assert "+  holdout 10%" in result.stdout
    assert "+when orders > 1 then send sms t" in result.stdout
    with_check = fmt("--diff", "--check", messy)
    assert with_check.exit_code == 1 and with_check.stdout == result.stdout


def test_folders_are_searched_for_campaign_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.win").write_text(MESSY, encoding="utf-8")
    (tmp_path / "c.win").write_text(TIDY, encoding="utf-8")
    (tmp_path / "notes.txt").write_text(MESSY, encoding="utf-8")
    result = fmt("--check", tmp_path)
    assert result.exit_code == 1
    assert "sub/b.win" in result.stderr and "c.win" not in result.stderr.replace("b.win", "")
    assert "1 file would be reformatted, 1 file unchanged" in result.stderr


def test_a_file_with_syntax_errors_is_reported_and_left_untouched(tmp_path: Path) -> None:
    broken = tmp_path / "broken.win"
    broken.write_text(BROKEN, encoding="utf-8")
    fine = tmp_path / "fine.win"
    fine.write_text(MESSY, encoding="utf-8")
    result = fmt(broken, fine)
    assert result.exit_code == 1
    assert broken.read_text("utf-8") == BROKEN
    assert fine.read_text("utf-8") == TIDY  # the other files are still formatted
    assert f"{broken}:2:13: error[E100]" in result.stderr
    assert "1 file with errors left as they are" in result.stderr


def test_a_file_that_is_not_text_is_reported(tmp_path: Path) -> None:
    binary = tmp_path / "x.win"
    binary.write_bytes(b"\0\1campaign")
    result = fmt(binary)
    assert result.exit_code == 1 and "E111" in result.stderr
    assert binary.read_bytes() == b"\0\1campaign"


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "Missing argument"), (("nowhere.win",), "no such file or folder"), (("--bogus",), "")],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = fmt(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_folder_without_campaigns_is_a_usage_error(tmp_path: Path) -> None:
    result = fmt(tmp_path)
    assert result.exit_code == 2 and "no *.win files" in result.output


def test_real_process(messy: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "winlang", "fmt", "--check", str(messy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "would reformat" in done.stderr
