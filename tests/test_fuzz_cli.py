"""Fuzzing the commands end to end: whatever the campaign, the configuration or the event file,
``check``, configuration loading, ``run --dry-run`` (on a tiny store, both engines) and
``ingest`` end in a result or a clear message with exit 0, 1 or 2; never an internal error
(exit 3) or a traceback.

Inputs are mutations of the project's own files (the example campaigns, ``winlang.toml``, good
event records) with hostile values mixed in: the values of issue 10 (a 4,301-digit number,
1e-300, nan, /dev/zero, a NUL, a list where text goes...). The budget is fixed, whatever the
hypothesis profile: a set number of examples, drawn deterministically (``derandomize``), so CI
runs the same inputs every time in about half a minute. ``tests/test_fuzz_parse.py`` fuzzes
the parser and checker as functions; this file fuzzes the commands around them.
"""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_fuzz_parse import CAMPAIGNS, REPO, campaign_tokens, mutated_campaign
from winlang.cli import cli
from winlang.config import load_config
from winlang.diagnostics import CODES
from winlang.project import open_project

NOW = "2026-03-01T10:00:00Z"
ENGINES = ["numpy", "sql"]

# Values that broke a command once (issue 10), and their neighbours.
HOSTILE_TOML = [
    "9" * 4301,
    "1e12",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "-1",
    "0",
    "1000000000",
    "true",
    "[]",
    "[1, 1e12]",
    "[1, 1000000000000]",
    "[true, 7]",
    "{}",
    '""',
    '"/dev/zero"',
    '"/proc/self/environ"',
    '"."',
    '"not a url"',
    '"bar"',
    '"days_since("',
    '"\\u0000"',
    '"' + "x" * 5000 + '"',
    "1979-05-27T07:32:00Z",
]
HOSTILE_JSON = [
    None,
    "",
    "\u0000",
    "e\u00001",
    "\u202e",
    " 1",
    "x" * 300,
    ["open"],
    {"type": "open"},
    True,
    1.5,
    float("nan"),
    10**30,
    -1,
    "2026-02-30",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "yesterday",
    "open",
    "click",
    "purchase",
    "cart_add",
]
FIELDS = ["event_id", "customer_id", "type", "occurred_at", "channel", "campaign", "amount"]
FIELDS += ["template", "product_name", "amout"]

# A fixed budget: the same inputs on every run, whatever HYPOTHESIS_PROFILE says.
BUDGET = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def assert_no_internal_error(result: Result) -> None:
    """Exit 0, 1 or 2 by click's own hand: no exception escaped the command."""
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    assert escaped is None, f"{type(escaped).__name__}: {escaped}\n{result.output[-2000:]}"
    assert result.exit_code in (0, 1, 2), result.output[-2000:]
    assert "Traceback" not in result.output and "internal error" not in result.output


def invoke(*args: str | Path) -> Result:
    runner = CliRunner(env={"WINLANG_STORE_URL": None, "WINLANG_STATE_URL": None})
    return runner.invoke(cli, [str(a) for a in args])


# ---- configurations ---------------------------------------------------------------------------

_ASSIGNMENT = re.compile(r"^(\s*[\w\".-]+\s*=\s*)(.*)$")


@cache
def config_lines() -> tuple[str, ...]:
    """The lines of the repository's winlang.toml and of a project using every section."""
    extra = [
        "[limits]",
        "global_cap = [3, 7]",
        "sms_placeholder_length = 10",
        "[delivery]",
        "concurrency = 4",
        "backoff_seconds = 2.0",
        "[channels.sms]",
        "rate_per_second = 20",
        "batch_size = 100",
        "[store.columns]",
        'id = "id"',
    ]
    text = (REPO / "winlang.toml").read_text(encoding="utf-8")
    return (*text.splitlines(), *extra)


@st.composite
def mutated_config(draw: st.DrawFn) -> str:
    """winlang.toml with lines deleted, duplicated, moved, or values replaced by hostile ones."""
    lines = list(config_lines())
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "value", "value", "delete", "copy", "text"]))
        if action == "value" and (found := _ASSIGNMENT.match(lines[at])):
            lines[at] = found[1] + draw(st.sampled_from(HOSTILE_TOML))
        elif action == "delete":
            del lines[at]
        elif action == "copy":
            lines.insert(draw(st.integers(0, len(lines))), lines[at])
        elif action == "text":
            lines.insert(at, draw(st.text(max_size=20)))
    prefix = draw(st.sampled_from(["", "\ufeff"]))  # a byte order mark, sometimes
    return prefix + "\n".join(lines) + "\n"


@BUDGET
@given(text=mutated_config())
def test_config_loading_gives_only_diagnostics(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("config")
    path = folder / "winlang.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    config, diagnostics = load_config(path)
    assert all(d.code in CODES for d in diagnostics)
    project = open_project(path, REPO / "campaigns" / "schema.json")
    assert all(d.code in CODES for d in project.diagnostics)
    assert config.limits.sms_placeholder_length <= 1_000


def test_every_hostile_value_in_every_config_key(tmp_path: Path) -> None:
    """The corpus in full, deterministically: each key of the configuration set to each
    hostile value, one at a time."""
    path = tmp_path / "winlang.toml"
    lines = config_lines()
    for at, line in enumerate(lines):
        if not (found := _ASSIGNMENT.match(line)):
            continue
        for value in HOSTILE_TOML:
            text = "\n".join([*lines[:at], found[1] + value, *lines[at + 1 :]])
            path.write_text(text, encoding="utf-8")
            _, diagnostics = load_config(path)
            assert all(d.code in CODES for d in diagnostics), (line, value)


# ---- campaigns: check, and a dry run on a tiny store --------------------------------------------


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory) -> Path:
    """A demo store of 60 customers with the example campaigns' body files beside it."""
    folder = tmp_path_factory.mktemp("tiny")
    made = invoke("demo", "--customers", "60", "--dir", folder, "--dry-run", "--now", NOW)
    assert made.exit_code == 0, made.output
    shutil.copytree(REPO / "campaigns" / "templates", folder / "templates")
    return folder


HOSTILE_CAMPAIGN_WORDS = ["9" * 4301, "1" + "0" * 20, "0.000000001", '"\u0000"', "{nope}"]


@st.composite
def hostile_campaign(draw: st.DrawFn) -> str:
    """A mutated example campaign, sometimes with a hostile word put in place of a token."""
    text = draw(mutated_campaign())
    if draw(st.booleans()):
        words = text.split(" ")
        at = draw(st.integers(0, len(words) - 1))
        words[at] = draw(st.sampled_from(HOSTILE_CAMPAIGN_WORDS))
        text = " ".join(words)
    return text


EDGE_NUMBERS = ["0", "-1", "0.5", "999999999999999", "0.000001", "100000", "36500"]
EDGE_TEXTS = ['""', '"x"', '"KR"', '"é💥"', '"{first_name|} {link}"', '"ß"', '"%_"']


@st.composite
def edged_campaign(draw: st.DrawFn) -> str:
    """A real campaign whose numbers and texts are swapped for edge values: it still checks,
    more often than not, so the dry run gets to evaluate it."""
    tokens = list(draw(st.sampled_from(campaign_tokens())))
    literals = [i for i, t in enumerate(tokens) if t[:1] == '"' or t.isdigit()]
    for at in draw(st.lists(st.sampled_from(literals), min_size=1, max_size=3)):
        pool = EDGE_TEXTS if tokens[at][:1] == '"' else EDGE_NUMBERS
        tokens[at] = draw(st.sampled_from(pool))
    return "".join(tokens)


@BUDGET
@given(text=hostile_campaign(), output=st.sampled_from(["text", "json", "github"]))
def test_check_never_fails_inside(tiny_project: Path, text: str, output: str) -> None:
    (tiny_project / "fuzz.win").write_text(text, encoding="utf-8", errors="surrogatepass")
    config = tiny_project / "winlang.toml"
    result = invoke("check", tiny_project / "fuzz.win", "--format", output, "--config", config)
    assert_no_internal_error(result)


@settings(BUDGET, max_examples=200)
@given(text=st.one_of(edged_campaign(), hostile_campaign()), engine=st.sampled_from(ENGINES))
def test_a_dry_run_never_fails_inside(tiny_project: Path, text: str, engine: str) -> None:
    (tiny_project / "fuzz.win").write_text(text, encoding="utf-8", errors="surrogatepass")
    config = tiny_project / "winlang.toml"
    result = invoke(
        "run", tiny_project / "fuzz.win", "--dry-run", "--now", NOW, "--engine", engine,
        "--config", config, "--format", "json",
    )  # fmt: skip
    assert_no_internal_error(result)


@pytest.mark.parametrize("campaign", CAMPAIGNS, ids=lambda p: p.stem)
def test_every_example_campaign_dry_runs_on_the_tiny_store(tiny_project: Path, campaign: Path):
    """The unmutated inputs get past the checker, so the fuzzed runs start from real ones."""
    shutil.copy(campaign, tiny_project / campaign.name)
    result = invoke(
        "run", tiny_project / campaign.name, "--dry-run", "--now", NOW,
        "--config", tiny_project / "winlang.toml",
    )  # fmt: skip
    assert_no_internal_error(result)


# ---- ingest -------------------------------------------------------------------------------------

GOOD_EVENT = {
    "event_id": "e1",
    "customer_id": 7,
    "type": "open",
    "occurred_at": "2026-02-20T10:00:00Z",
    "channel": "sms",
    "campaign": "sms-reengagement-ladder",
    "template": "survey",
}


@st.composite
def event_file(draw: st.DrawFn) -> tuple[str, str]:
    """(format, text): JSON Lines or CSV of good records with hostile values and damage."""
    records = []
    for number in range(draw(st.integers(1, 6))):
        record = {**GOOD_EVENT, "event_id": f"e{number}"}
        for _ in range(draw(st.integers(0, 3))):
            record[draw(st.sampled_from(FIELDS))] = draw(st.sampled_from(HOSTILE_JSON))
        records.append(record)
    if draw(st.booleans()):
        lines = [json.dumps(r, allow_nan=True) for r in records]
        text = "\n".join(lines) + "\n"
        fmt = "jsonl"
    else:
        names = list(dict.fromkeys(k for r in records for k in r))
        rows = [",".join(names)]
        rows += [",".join(_csv_cell(r.get(n)) for n in names) for r in records]
        text = "\n".join(rows) + "\n"
        fmt = "csv"
    if draw(st.booleans()):  # damage: a cut, a stray byte, a doubled line
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", '"', ",", "\n", "{", "\u0000"])) + text[at:]
    return fmt, text


def _csv_cell(value: object) -> str:
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


@pytest.fixture(scope="module")
def ingest_project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ingest")
    (folder / "winlang.toml").write_text(
        '[state]\nurl = "sqlite:///state.db"\n[events]\ntypes = ["cart_add"]\n', "utf-8"
    )
    return folder


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("skip", [False, True])
def test_every_hostile_value_in_every_event_field(ingest_project: Path, fmt: str, skip: bool):
    """The corpus in full: one record per field and hostile value, in one file."""
    records = [
        {**GOOD_EVENT, "event_id": f"h{n}-{field}", field: value}
        for field in FIELDS
        for n, value in enumerate(HOSTILE_JSON)
    ]
    path = ingest_project / f"hostile.{fmt}"
    if fmt == "jsonl":
        text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records)
    else:
        names = list(dict.fromkeys(k for r in records for k in r))
        lines = [",".join(names), *(",".join(_csv_cell(r.get(n)) for n in names) for r in records)]
        text = "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    flags = ["--skip-invalid"] if skip else []
    result = invoke("ingest", path, *flags, "--config", ingest_project / "winlang.toml")
    assert_no_internal_error(result)
    if not skip:  # invalid records (and, in CSV, the unknown column `amout`): nothing stored
        assert result.exit_code == 1


@BUDGET
@given(found=event_file(), skip=st.booleans())
def test_ingest_never_fails_inside(ingest_project: Path, found: tuple[str, str], skip: bool):
    fmt, text = found
    path = ingest_project / f"events.{fmt}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    flags = ["--skip-invalid"] if skip else []
    result = invoke("ingest", path, *flags, "--config", ingest_project / "winlang.toml")
    assert_no_internal_error(result)
