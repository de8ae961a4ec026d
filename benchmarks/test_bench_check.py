"""How long ``winlang check`` takes on a big campaign: parse and check 1,000 generated rules.

Part of ``.venv/bin/pytest benchmarks --benchmark-enable`` (see BENCHMARKS.md). The target
is well under one second on a 2-core machine; without ``--benchmark-enable`` each benchmark
runs once, as a test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import campaign
from winlang.check import check_campaign
from winlang.diagnostics import SourceText
from winlang.parse import parse_campaign
from winlang.project import Project, open_project

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project() -> Project:
    return open_project(REPO / "winlang.toml", REPO / "campaigns" / "schema.json")


@pytest.fixture(scope="module")
def text() -> str:
    return campaign(rules=1000)


def parse_and_check(text: str, project: Project) -> int:
    """Both stages, as ``winlang check`` runs them on one file; the number of findings."""
    parsed = parse_campaign(text, "bench.win", project.fields.symbols)
    assert parsed.campaign is not None, parsed.diagnostics
    result = check_campaign(
        parsed.campaign, SourceText("bench.win", text), project.fields, project.config
    )
    return len(result.diagnostics)


def info(benchmark, step: str) -> None:
    benchmark.extra_info.update(
        scenario="parse and check", campaign="1,000 rules", store=step, system="winlang"
    )


def test_parse_and_check_1000_rules(benchmark, text: str, project: Project) -> None:
    info(benchmark, "parse + check")
    findings = benchmark(parse_and_check, text, project)
    assert findings == 0  # the generated campaign is clean: the benchmark measures real work


def test_parse_1000_rules(benchmark, text: str, project: Project) -> None:
    info(benchmark, "parse")
    parsed = benchmark(parse_campaign, text, "bench.win", project.fields.symbols)
    assert len(parsed.campaign.rules) == 1000


def test_check_1000_rules(benchmark, text: str, project: Project) -> None:
    parsed = parse_campaign(text, "bench.win", project.fields.symbols)
    source = SourceText("bench.win", text)
    info(benchmark, "check")
    result = benchmark(check_campaign, parsed.campaign, source, project.fields, project.config)
    assert result.diagnostics == ()
