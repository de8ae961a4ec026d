"""``winlang init``: the project it writes checks, tests, formats and runs at once; its CI
workflow and pre-commit hooks name commands that pass on it; it never overwrites a file; a
``--store`` that does not open is refused before anything is written."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli

WRITTEN = (
    "winlang.toml",
    "schema.json",
    "shop.db",
    "campaigns/winback.win",
    "campaigns/winback.test.toml",
    ".github/workflows/winlang.yml",
    ".pre-commit-config.yaml",
    ".gitignore",
)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("init") / "shop"
    result = invoke("init", str(folder), "--customers", "300")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def project(made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the project made by init, as the working directory."""
    folder = tmp_path / "project"
    shutil.copytree(made, folder)
    monkeypatch.chdir(folder)
    return folder


def test_init_writes_the_project_and_says_what_to_do_next(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    result = invoke("init", str(folder), "--customers", "50")
    assert result.exit_code == 0, result.output
    assert sorted(snapshot(folder)) == sorted(WRITTEN)
    assert "50 customers" in result.output
    next_steps = result.output.split("Next:\n", 1)[1]
    assert f"cd {folder}" in next_steps
    for command in ("winlang check", "winlang test", "winlang run campaigns/winback.win --dry-run"):
        assert command in next_steps


def test_the_configuration_is_commented_and_names_the_sample_store(made: Path) -> None:
    text = (made / "winlang.toml").read_text(encoding="utf-8")
    assert 'url = "sqlite:///shop.db"' in text
    assert 'schema = "schema.json"' in text
    for table in ("[store]", "[state]", "[fields]", "[channels.sms]", "[limits]", "[defaults]"):
        assert table in text
    assert text.count('plugin = "outbox"') == 3
    assert sum(line.lstrip().startswith("#") or " # " in line for line in text.splitlines()) > 10


def test_the_project_checks_tests_and_is_formatted(project: Path) -> None:
    checked = invoke("check", "campaigns")
    assert checked.exit_code == 0, checked.output
    assert "0 errors, 0 warnings" in checked.output
    tested = invoke("test")  # the current folder by default
    assert tested.exit_code == 0, tested.output
    assert "winback.test.toml: 6 steps on numpy and sql" in tested.output
    assert "passed" in tested.output
    formatted = invoke("fmt", "--check", "campaigns")
    assert formatted.exit_code == 0, formatted.output


def test_the_campaign_plans_then_delivers_to_the_outbox(project: Path) -> None:
    planned = invoke("run", "campaigns/winback.win", "--dry-run")
    assert planned.exit_code == 0, planned.output
    assert "dry run" in planned.output
    assert not (project / "outbox").exists()
    assert not (project / "winlang-state.db").exists()
    ran = invoke("run", "campaigns/winback.win")
    assert ran.exit_code == 0, ran.output
    sms = (project / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert sms and all(line.startswith("{") for line in sms)


def test_the_test_file_fails_when_a_threshold_moves(project: Path) -> None:
    campaign = project / "campaigns" / "winback.win"
    text = campaign.read_text(encoding="utf-8")
    campaign.write_text(text.replace("between 30 and 59", "between 31 and 59"), encoding="utf-8")
    result = invoke("test")
    assert result.exit_code == 1, result.output
    assert "customer 1" in result.output


def _workflow_commands(text: str) -> list[str]:
    return [m[1].strip() for m in re.finditer(r"^\s+(?:- )?run: (.+)$", text, re.M)]


def test_the_workflow_runs_check_and_test_with_annotations(made: Path) -> None:
    text = (made / ".github" / "workflows" / "winlang.yml").read_text(encoding="utf-8")
    assert "\t" not in text
    top = [line.split(":")[0] for line in text.splitlines() if re.match(r"^[a-z]", line)]
    assert top == ["name", "on", "jobs"]
    assert re.search(r"^  pull_request:$", text, re.M)
    assert "uses: actions/checkout@v4" in text
    commands = _workflow_commands(text)
    assert commands[0].startswith("pip install") and "winlang==" in commands[0]
    assert commands[1:] == [
        "winlang check --format github campaigns",
        "winlang test --format github campaigns",
    ]


def test_the_workflow_commands_pass_on_the_project(project: Path) -> None:
    text = (project / ".github" / "workflows" / "winlang.yml").read_text(encoding="utf-8")
    for command in _workflow_commands(text)[1:]:
        words = shlex.split(command)
        result = invoke(*words[1:])
        assert result.exit_code == 0, (command, result.output)
        assert "::error" not in result.output


def test_the_pre_commit_hooks_check_and_format_check_campaigns(project: Path) -> None:
    text = (project / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "\t" not in text
    assert re.search(r"^repos:$", text, re.M)
    assert re.search(r"^  - repo: local$", text, re.M)
    hooks = re.findall(
        r"- id: (\S+)\n\s+name: .+\n\s+entry: (.+)\n\s+language: (\S+)\n\s+files: (.+)", text
    )
    assert [(hook, entry) for hook, entry, _, _ in hooks] == [
        ("winlang-check", "winlang check"),
        ("winlang-fmt", "winlang fmt --check"),
    ]
    for _, entry, language, files in hooks:
        assert language == "system"
        assert re.search(files, "campaigns/winback.win")
        assert not re.search(files, "campaigns/winback.test.toml")
        # pre-commit appends the changed files that match to the entry
        result = invoke(*shlex.split(entry)[1:], "campaigns/winback.win")
        assert result.exit_code == 0, (entry, result.output)


def test_a_second_init_refuses_and_changes_nothing(made: Path) -> None:
    before = snapshot(made)
    result = invoke("init", str(made))
    assert result.exit_code == 2
    assert "winlang.toml" in result.stderr and "campaigns/winback.win" in result.stderr
    assert "writes nothing over existing files" in result.stderr
    assert snapshot(made) == before


def test_one_file_in_the_way_is_enough_to_write_nothing(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = snapshot(tmp_path)
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 2
    assert ".pre-commit-config.yaml" in result.stderr
    assert "notes.txt" not in result.stderr
    assert snapshot(tmp_path) == before


def test_a_ledger_in_the_folder_is_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "winlang-state.db").write_bytes(b"")  # the configuration would use it
    result = invoke("init", str(tmp_path))
    assert result.exit_code == 2
    assert "winlang-state.db" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["winlang-state.db"]


def test_a_folder_that_cant_be_written_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder\n", encoding="utf-8")
    result = invoke("init", str(tmp_path / "file" / "project"))
    assert result.exit_code == 2
    assert result.stderr.startswith("winlang: can't write the project in ")
    assert "Traceback" not in result.output


def test_runs_outputs_are_kept_out_of_git(made: Path) -> None:
    ignored = (made / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"/winlang-state.db*", "/outbox/", "/shop.db*"} <= set(ignored)


def test_a_gitignore_already_there_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n", encoding="utf-8")
    result = invoke("init", str(tmp_path), "--customers", "20")
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "node_modules/\n"
    assert "keep these out of git: winlang-state.db*, outbox/, shop.db*" in result.output
    assert "  .gitignore" not in result.output


def test_init_without_a_folder_uses_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # an empty folder that exists is fine
    result = invoke("init", "--customers", "20")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "winlang.toml").is_file()
    assert "cd " not in result.output
    assert invoke("check", "campaigns").exit_code == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///missing.db", "there is no file"),
        ("nosuch://store", "no data source understands the store URL 'nosuch://store'"),
        ("postgresql://nobody@127.0.0.1:1/shop", "postgresql://nobody@127.0.0.1:1/shop"),
    ],
)
def test_a_store_that_does_not_open_is_refused(tmp_path: Path, url: str, message: str) -> None:
    folder = tmp_path / "mine"
    result = invoke("init", str(folder), "--store", url)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("winlang: --store: ")
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not folder.exists()
    assert not (tmp_path / "missing.db").exists()


def test_the_users_store_is_named_and_no_sample_is_made(
    made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(made / "shop.db", tmp_path / "ours.db")
    folder = tmp_path / "project"
    url = f"sqlite:///{tmp_path / 'ours.db'}"
    result = invoke("init", str(folder), "--store", url)
    assert result.exit_code == 0, result.output
    assert not (folder / "shop.db").exists()
    assert f'url = "{url}"\n' in (folder / "winlang.toml").read_text(encoding="utf-8")
    assert "sample store" not in result.output
    assert "does not check" not in result.output
    assert "shop.db" not in (folder / ".gitignore").read_text(encoding="utf-8")
    monkeypatch.chdir(folder)
    for command in (
        ["check", "campaigns"],
        ["test"],
        ["run", "campaigns/winback.win", "--dry-run"],
    ):
        outcome = invoke(*command)
        assert outcome.exit_code == 0, (command, outcome.output)


def test_a_store_without_the_campaigns_fields_is_named_in_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "crm.db") as db:
        db.execute(
            "create table customers (id integer primary key, firstname text, country text,"
            " lifetime_value real, last_purchase_at timestamp, phone text, consent_sms boolean,"
            " timezone text, email text, consent_email boolean, push_token text,"
            " consent_push boolean)"
        )
        db.execute(
            "create table events (id integer primary key, customer_id integer, type text,"
            " channel text, campaign text, template text, occurred_at timestamp)"
        )
    folder = tmp_path / "project"
    result = invoke("init", str(folder), "--store", f"sqlite:///{tmp_path / 'crm.db'}")
    assert result.exit_code == 0, result.output
    assert "campaigns/winback.win does not check on your store yet (3 errors" in result.output
    monkeypatch.chdir(folder)  # where `winlang check` finds the project's winlang.toml
    checked = invoke("check", "campaigns")
    assert checked.exit_code == 1
    assert "did you mean `firstname`?" in checked.output


def test_the_test_file_catches_every_changed_threshold_and_negation(project: Path) -> None:
    """The mutants of tests/campaign_tests/test_mutations.py, on the campaign init writes."""
    from tests.campaign_tests.test_mutations import mutation_outcome

    campaign = project / "campaigns" / "winback.win"
    test_file = project / "campaigns" / "winback.test.toml"
    text = campaign.read_text(encoding="utf-8")
    survived, killed = mutation_outcome(text, test_file, project / "campaigns")
    assert killed > 10
    assert survived == []
