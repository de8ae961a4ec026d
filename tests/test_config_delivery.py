"""``[delivery]`` in ``winlang.toml``: how the sending loop paces and retries. Every value is
validated; a bad one is an E703 at its key and the default stands."""

from __future__ import annotations

from pathlib import Path

import pytest

from winlang.config import Config, DeliverySettings, load_config
from winlang.diagnostics import Diagnostic


def load(tmp_path: Path, text: str, name: str = "winlang.toml") -> tuple[Config, list[Diagnostic]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    config, diagnostics = load_config(path)
    return config, list(diagnostics)


def underlined(text: str, finding: Diagnostic) -> str:
    line = text.splitlines()[finding.line - 1]
    return line[finding.column - 1 : finding.end_column - 1]


def test_defaults_without_a_delivery_table(tmp_path: Path) -> None:
    config, diagnostics = load(tmp_path, '[defaults]\ntimezone = "UTC"\n')
    assert diagnostics == []
    assert config.delivery == DeliverySettings()
    assert load_config(None)[0].delivery == DeliverySettings()


def test_every_delivery_key_is_read(tmp_path: Path) -> None:
    text = (
        "[delivery]\nconcurrency = 8\nmax_attempts = 3\nbackoff_seconds = 0.5\n"
        "backoff_max_seconds = 60\nlease_seconds = 90\nplan_batch = 500\n"
    )
    config, diagnostics = load(tmp_path, text)
    assert diagnostics == []
    assert config.delivery == DeliverySettings(
        concurrency=8,
        max_attempts=3,
        backoff_seconds=0.5,
        backoff_max_seconds=60.0,
        lease_seconds=90.0,
        plan_batch=500,
    )


def test_whole_seconds_become_floats_and_zero_backoff_is_allowed(tmp_path: Path) -> None:
    config, diagnostics = load(tmp_path, "[delivery]\nbackoff_seconds = 0\nlease_seconds = 1\n")
    assert diagnostics == []
    assert (config.delivery.backoff_seconds, config.delivery.lease_seconds) == (0.0, 1.0)
    assert isinstance(config.delivery.backoff_seconds, float)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("concurrency = 0", "`concurrency` must be a whole number of at least 1"),
        ("concurrency = 2.5", "`concurrency` must be a whole number of at least 1"),
        ('concurrency = "4"', "`concurrency` must be a whole number of at least 1"),
        ("max_attempts = true", "`max_attempts` must be a whole number of at least 1"),
        ("max_attempts = -3", "`max_attempts` must be a whole number of at least 1"),
        ("plan_batch = 0", "`plan_batch` must be a whole number of at least 1"),
        ("backoff_seconds = -1", "`backoff_seconds` must be a number from 0 to 1e9"),
        ('backoff_seconds = "2s"', "`backoff_seconds` must be a number from 0 to 1e9"),
        ("backoff_max_seconds = -0.5", "`backoff_max_seconds` must be a number from 0 to 1e9"),
        ("backoff_max_seconds = false", "`backoff_max_seconds` must be a number from 0 to 1e9"),
        ("lease_seconds = 0.5", "`lease_seconds` must be a number from 1 to 1e9"),
        ("lease_seconds = [300]", "`lease_seconds` must be a number from 1 to 1e9"),
    ],
)
def test_a_bad_value_is_an_e703_at_its_key(tmp_path: Path, line: str, message: str) -> None:
    text = f"[delivery]\n# how runs send\n{line}  # tuned\n"
    config, diagnostics = load(tmp_path, text)
    (finding,) = diagnostics
    assert (finding.code, finding.message, finding.line) == ("E703", message, 3)
    assert finding.file.endswith("winlang.toml")
    assert underlined(text, finding) == line.split(" = ")[1]
    assert config.delivery == DeliverySettings()  # the default stands


def test_one_bad_value_leaves_the_others_read(tmp_path: Path) -> None:
    text = "[delivery]\nconcurrency = 0\nmax_attempts = 9\nbackoff_seconds = -2\n"
    config, diagnostics = load(tmp_path, text)
    assert [(d.code, d.line) for d in diagnostics] == [("E703", 2), ("E703", 4)]
    assert config.delivery == DeliverySettings(max_attempts=9)


def test_an_unknown_delivery_key_warns_with_a_suggestion(tmp_path: Path) -> None:
    text = "[delivery]\nmax_attempt = 3\n"
    config, diagnostics = load(tmp_path, text)
    (finding,) = diagnostics
    assert (finding.code, finding.line) == ("W702", 2)
    assert finding.message == "unknown key `max_attempt` in [delivery]"
    assert finding.hint == "did you mean `max_attempts`?"
    assert underlined(text, finding) == "max_attempt"
    assert config.delivery == DeliverySettings()


def test_delivery_must_be_a_table(tmp_path: Path) -> None:
    config, diagnostics = load(tmp_path, "delivery = 5\n")
    (finding,) = diagnostics
    assert (finding.code, finding.message, finding.line) == (
        "E703",
        "`delivery` must be a table",
        1,
    )
    assert config.delivery == DeliverySettings()


def test_the_pyproject_tool_table(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n\n[tool.winlang.delivery]\nconcurrency = 2\nlease_seconds = 0\n'
    config, diagnostics = load(tmp_path, text, "pyproject.toml")
    (finding,) = diagnostics
    assert (finding.code, finding.line) == ("E703", 6)
    assert config.delivery == DeliverySettings(concurrency=2)


@pytest.mark.parametrize(
    "line",
    [
        "backoff_seconds = nan",
        "backoff_max_seconds = nan",
        "lease_seconds = nan",
        "lease_seconds = inf",
    ],
)
def test_a_number_that_is_not_finite_is_an_e703(tmp_path: Path, line: str) -> None:
    config, diagnostics = load(tmp_path, f"[delivery]\n{line}\n")
    assert [(d.code, d.line) for d in diagnostics] == [("E703", 2)]
    assert config.delivery == DeliverySettings()
