"""``winlang ingest``: what it prints, its exit codes, and one clear line for every failure."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from winlang.cli import cli
from winlang.state import tables as T

GOOD = [
    {"event_id": "e1", "customer_id": 1, "type": "open", "occurred_at": "2026-11-20T10:00:00Z"},
    {"event_id": "e2", "customer_id": 2, "type": "cart_add", "occurred_at": "2026-11-20"},
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "winlang.toml").write_text(
        '[state]\nurl = "sqlite:///state.db"\n[events]\ntypes = ["cart_add"]\n', "utf-8"
    )
    return tmp_path


def ingest(project: Path, *args: str | Path) -> Result:
    runner = CliRunner(env={"WINLANG_STATE_URL": None, "WINLANG_STORE_URL": None})
    config = ["--config", str(project / "winlang.toml")]
    return runner.invoke(cli, ["ingest", *map(str, args), *config], catch_exceptions=False)


def write(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def count(project: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{project / 'state.db'}")
    with engine.connect() as connection:
        found = connection.execute(sa.select(sa.func.count()).select_from(T.ingested_events))
        return found.scalar()


def test_a_good_file_is_stored_and_summarized(project):
    path = write(project / "events.jsonl", GOOD)
    result = ingest(project, path)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: 2 read, 2 new, 0 already ingested, 0 conflicting, 0 invalid\n"
    assert result.stderr == ""
    again = ingest(project, path)
    assert again.exit_code == 0
    assert "2 read, 0 new, 2 already ingested" in again.stdout
    assert count(project) == 2


def test_invalid_records_are_listed_and_nothing_is_stored(project):
    path = project / "events.jsonl"
    path.write_text(json.dumps(GOOD[0]) + "\n{\n" + json.dumps(GOOD[1] | {"type": "x"}) + "\n")
    result = ingest(project, path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:2: not valid JSON: unexpected end of data at column 2",
        f"{path}:3: unknown event type `x` "
        "(other types are declared in winlang.toml under [events] types)",
        f"winlang: nothing was ingested from {path}: it has 2 invalid records "
        "(fix them, or pass --skip-invalid to store the valid ones)",
    ]
    assert "3 read, 0 new, 0 already ingested, 0 conflicting, 2 invalid" in result.stdout
    assert count(project) == 0


def test_skip_invalid_stores_the_rest_and_succeeds(project):
    path = write(project / "events.jsonl", [GOOD[0], {"event_id": "e9"}])
    result = ingest(project, path, "--skip-invalid")
    assert result.exit_code == 0
    assert result.stderr == f"{path}:2: missing `customer_id`\n"
    assert "2 read, 1 new, 0 already ingested, 0 conflicting, 1 invalid" in result.stdout
    assert count(project) == 1


def test_conflicts_are_reported_with_exit_status_1(project):
    ingest(project, write(project / "first.jsonl", GOOD))
    path = write(project / "second.jsonl", [GOOD[0] | {"customer_id": 7}])
    result = ingest(project, path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:1: event `e1` was ingested before with another `customer_id`: '1' then, '7' here\n"
    )
    assert "1 read, 0 new, 0 already ingested, 1 conflicting, 0 invalid" in result.stdout


def test_many_problems_are_cut_short(project):
    path = project / "events.jsonl"
    path.write_text("[]\n" * 105, encoding="utf-8")
    result = ingest(project, path)
    lines = result.stderr.splitlines()
    assert len(lines) == 102
    assert lines[100] == f"{path}: ... and 5 more invalid records"


def test_csv_by_extension_or_by_flag(project):
    text = "event_id,customer_id,type,occurred_at,amount\ne1,1,purchase,2026-11-20,9.5\n"
    (project / "events.csv").write_text(text, encoding="utf-8")
    assert ingest(project, project / "events.csv").exit_code == 0
    (project / "export.txt").write_text(text.replace("e1", "e2"), encoding="utf-8")
    assert ingest(project, project / "export.txt", "--format", "csv").exit_code == 0
    assert count(project) == 2


def test_a_wrong_csv_header_is_one_clear_failure(project):
    path = project / "events.csv"
    path.write_text("id,customer_id,type,occurred_at\n1,1,open,2026-11-20\n", encoding="utf-8")
    result = ingest(project, path, "--skip-invalid")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:1: unknown column `id`",
        f"{path}:1: no `event_id` column",
        f"winlang: nothing was ingested from {path}: its header is wrong",
    ]


def test_gzip_files_are_read(project):
    path = project / "events.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as file:
        file.write("".join(json.dumps(r) + "\n" for r in GOOD))
    assert ingest(project, path).exit_code == 0
    assert count(project) == 2


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("events.txt", "", "can't tell the format of events.txt from its extension"),
        ("events.jsonl", None, "does not exist"),
    ],
)
def test_usage_errors_exit_2(project, name, text, message):
    if text is not None:
        (project / name).write_text(text, encoding="utf-8")
    result = ingest(project, project / name)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_unknown_format_flag_is_a_usage_error(project):
    result = ingest(project, write(project / "events.jsonl", GOOD), "--format", "xml")
    assert result.exit_code == 2


def test_a_corrupt_gzip_file_is_one_line(project):
    path = project / "events.jsonl.gz"
    path.write_bytes(b"not gzip at all")
    result = ingest(project, path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"winlang: can't read {path}: Not a gzipped file")
    assert len(result.stderr.splitlines()) == 1


def test_a_state_that_cannot_be_opened_is_one_line(project):
    (project / "winlang.toml").write_text(
        '[state]\nurl = "sqlite:////nonexistent/folder/state.db"\n', "utf-8"
    )
    result = ingest(project, write(project / "events.jsonl", GOOD[:1]))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "winlang: can't create the state database /nonexistent/folder/state.db: "
        "no folder /nonexistent/folder"
    )
    assert len(result.stderr.splitlines()) == 1


def test_a_broken_configuration_stops_before_anything_is_read(project):
    (project / "winlang.toml").write_text("[state\n", "utf-8")
    result = ingest(project, write(project / "events.jsonl", GOOD))
    assert result.exit_code == 1
    assert "invalid TOML" in result.stderr
    assert "the configuration has errors; fix them first" in result.stderr


def test_undeclared_types_need_the_configuration(project):
    (project / "winlang.toml").write_text('[state]\nurl = "sqlite:///state.db"\n', "utf-8")
    result = ingest(project, write(project / "events.jsonl", GOOD))
    assert result.exit_code == 1
    assert "unknown event type `cart_add`" in result.stderr


# ---- hostile files (each was an internal error or a wrong store) ------------------------------

LIST_TYPE = {"event_id": "e9", "customer_id": 1, "type": ["open"], "occurred_at": "2026-11-20"}


@pytest.mark.parametrize("skip", [False, True])
def test_a_type_that_is_a_list_is_an_invalid_record(project, skip):
    path = write(project / "events.jsonl", [GOOD[0], LIST_TYPE])
    result = ingest(project, path, *(["--skip-invalid"] if skip else []))
    assert f"{path}:2: `type` must be text, not a list" in result.stderr
    assert result.exit_code == (0 if skip else 1)
    assert count(project) == (1 if skip else 0)


@pytest.mark.parametrize("character", ["\u0000", "\n", "\u001b", "\u007f", "\u0085"])
@pytest.mark.parametrize("field", ["event_id", "customer_id", "channel", "product_name"])
def test_control_characters_in_text_are_refused(project, character, field):
    record = {**GOOD[0], field: f"a{character}b"}
    path = write(project / "events.jsonl", [record])
    result = ingest(project, path)
    assert result.exit_code == 1
    assert f"`{field}` holds a control character ({character!r})" in result.stderr
    assert count(project) == 0


def test_a_file_ingested_twice_after_a_refused_nul_stores_each_event_once(project):
    path = write(project / "events.jsonl", [GOOD[0], {**GOOD[1], "event_id": "e\u00002"}])
    assert ingest(project, path, "--skip-invalid").exit_code == 0
    again = ingest(project, path, "--skip-invalid")
    assert again.exit_code == 0, again.output
    assert "1 already ingested" in again.stdout and count(project) == 1


def test_a_huge_number_id_is_an_invalid_record(project):
    line = '{"event_id": 1' + "0" * 4400 + ', "customer_id": 1, "type": "open",'
    path = project / "events.jsonl"
    path.write_text(line + ' "occurred_at": "2026-11-20"}\n', "utf-8")
    result = ingest(project, path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"{path}:1: ")


def test_a_truncated_gzip_file_is_one_line_and_stores_nothing(project):
    data = gzip.compress(
        "".join(json.dumps(GOOD[0] | {"event_id": f"e{i}"}) + "\n" for i in range(5000)).encode()
    )
    path = project / "events.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    result = ingest(project, path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"winlang: can't read {path}: the compressed file is cut")
    assert len(result.stderr.splitlines()) == 1 and "Aborted" not in result.output
    assert not (project / "state.db").exists() or count(project) == 0
