"""``winlang check``: exit codes, output formats, folders, configuration and a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from winlang.cli import cli

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "campaigns" / "schema.json"

CLEAN = 'campaign "ok"\ntemplate t sms "Hi {first_name|there}"\nwhen orders > 1 then send sms t\n'
WARNING = CLEAN + 'template unused sms "x"\n'
ERROR = 'campaign "bad"\ntemplate t sms "Hi"\nwhen lifetime_valu > 1 then send sms t\n'


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a winlang.toml using the example schema, as the working directory."""
    shutil.copy(SCHEMA, tmp_path / "schema.json")
    (tmp_path / "winlang.toml").write_text(
        '[store]\nschema = "schema.json"\n\n[fields]\n'
        'days_since_purchase = "days_since(last_purchase_at)"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False)


# ---- exit codes -------------------------------------------------------------------------------


def test_clean_file_exits_0(project: Path) -> None:
    write(project, "ok.win", CLEAN)
    result = run("ok.win")
    assert result.exit_code == 0
    assert result.output == "checked 1 file: 0 errors, 0 warnings\n"


def test_warnings_exit_0_unless_strict(project: Path) -> None:
    write(project, "warn.win", WARNING)
    assert run("warn.win").exit_code == 0
    strict = run("warn.win", "--strict")
    assert strict.exit_code == 1
    assert "warning[W408]" in strict.output


def test_errors_exit_1_with_a_caret(project: Path) -> None:
    write(project, "bad.win", ERROR)
    result = run("bad.win")
    assert result.exit_code == 1
    assert result.output.splitlines()[:4] == [
        "bad.win:3:6: error[E201]: unknown name `lifetime_valu`",
        "    3 | when lifetime_valu > 1 then send sms t",
        "      |      ^^^^^^^^^^^^^",
        "      = hint: did you mean `lifetime_value`?",
    ]
    assert result.output.endswith("checked 1 file: 1 error, 0 warnings\n")


def test_missing_path_is_a_usage_error(project: Path) -> None:
    result = run("nope.win")
    assert result.exit_code == 2
    assert "no such file or folder: nope.win" in result.output


def test_folder_without_campaigns_is_a_usage_error(project: Path) -> None:
    (project / "empty").mkdir()
    assert run("empty").exit_code == 2


def test_no_arguments_is_a_usage_error(project: Path) -> None:
    assert run().exit_code == 2


def test_unknown_format_is_a_usage_error(project: Path) -> None:
    write(project, "ok.win", CLEAN)
    assert run("ok.win", "--format", "xml").exit_code == 2


# ---- folders ----------------------------------------------------------------------------------


def test_folders_are_searched_recursively(project: Path) -> None:
    write(project, "c/a.win", CLEAN)
    write(project, "c/deeper/b.win", ERROR)
    write(project, "c/notes.txt", "not a campaign")
    result = run("c")
    assert result.exit_code == 1
    assert "c/deeper/b.win:3:6: error[E201]" in result.output
    assert "checked 2 files: 1 error, 0 warnings" in result.output


def test_findings_are_sorted_by_file_and_line(project: Path) -> None:
    write(project, "b.win", ERROR)
    write(project, "a.win", ERROR.replace("lifetime_valu", "ordrs"))
    result = run("b.win", "a.win", "--format", "json")
    files = [f["file"] for f in json.loads(result.output)]
    assert files == ["a.win", "b.win"]


# ---- formats ----------------------------------------------------------------------------------


def test_json_format(project: Path) -> None:
    write(project, "bad.win", ERROR)
    result = run("bad.win", "--format", "json")
    assert result.exit_code == 1
    (finding,) = json.loads(result.output)
    assert finding == {
        "file": "bad.win",
        "line": 3,
        "column": 6,
        "end_line": 3,
        "end_column": 19,
        "severity": "error",
        "code": "E201",
        "message": "unknown name `lifetime_valu`",
        "hint": "did you mean `lifetime_value`?",
    }


def test_json_format_of_a_clean_file_is_an_empty_list(project: Path) -> None:
    write(project, "ok.win", CLEAN)
    result = run("ok.win", "--format", "json")
    assert (result.exit_code, json.loads(result.output)) == (0, [])


def test_github_format(project: Path) -> None:
    write(project, "bad.win", ERROR)
    write(project, "warn.win", WARNING)
    result = run("bad.win", "warn.win", "--format", "github")
    lines = result.output.splitlines()
    assert lines[0].startswith("::error file=bad.win,line=3,col=6,endLine=3,endColumn=19,")
    assert lines[0].endswith(
        "::unknown name `lifetime_valu` (hint: did you mean `lifetime_value`?)"
    )
    assert lines[1].startswith("::warning file=warn.win,line=4,col=10,")


# ---- configuration and schema -------------------------------------------------------------------


def test_config_is_read_and_unknown_keys_warn(project: Path) -> None:
    with (project / "winlang.toml").open("a", encoding="utf-8") as config:
        config.write("\n[limits]\nsms_max_part = 1\n")
    write(project, "ok.win", CLEAN)
    result = run("ok.win")
    assert result.exit_code == 0
    assert (
        "winlang.toml:8:1: warning[W702]: unknown key `sms_max_part` in [limits]" in result.output
    )
    assert "did you mean `sms_max_parts`?" in result.output


def test_bad_config_value_fails_the_check(project: Path) -> None:
    with (project / "winlang.toml").open("a", encoding="utf-8") as config:
        config.write('\n[limits]\nsms_max_parts = "one"\n')
    write(project, "ok.win", CLEAN)
    result = run("ok.win")
    assert result.exit_code == 1
    assert "winlang.toml:8:17: error[E703]" in result.output


def test_derived_fields_from_the_config(project: Path) -> None:
    write(project, "d.win", CLEAN.replace("orders > 1", "days_since_purchase > 90"))
    assert run("d.win").exit_code == 0


def test_explicit_config_and_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ok.win", CLEAN)
    config = write(tmp_path, "conf/other.toml", "[limits]\nsms_max_parts = 2\n")
    result = run("ok.win", "--config", str(config), "--schema", str(SCHEMA))
    assert (result.exit_code, result.output) == (0, "checked 1 file: 0 errors, 0 warnings\n")


def test_no_project_warns_that_fields_were_not_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "x.win", ERROR)  # its unknown field can't be known without a schema
    result = run("x.win")
    assert result.exit_code == 0
    assert "warning[W707]: no customer schema" in result.output


def test_missing_schema_file_is_an_error(project: Path) -> None:
    write(project, "ok.win", CLEAN)
    result = run("ok.win", "--schema", "missing.json")
    assert result.exit_code == 1
    assert "error[E706]" in result.output


# ---- a real process ---------------------------------------------------------------------------


def test_example_campaigns_check_in_a_real_process() -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("WINLANG_STORE_URL", None)
    script = Path(sys.executable).with_name("winlang")  # the installed console script
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from winlang.cli import main; main()"]
    )
    completed = subprocess.run(
        [*command, "check", "campaigns/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 errors" in completed.stdout
    assert "Traceback" not in completed.stderr
