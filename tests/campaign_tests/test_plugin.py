"""The pytest plugin: test files collected one item per engine, failures reported readably,
broken files as failures, and ``-p no:winlang`` turning it off."""

from __future__ import annotations

import pytest

from tests.campaign_tests.test_cli import CAMPAIGN, TEST

pytest_plugins = ["pytester"]


@pytest.fixture
def folder(pytester: pytest.Pytester):
    # The inner session's own settings, as pyproject.toml gives the suite's (pytest-asyncio
    # warns in every inner run without its loop scope).
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makefile(".win", nudge=CAMPAIGN)
    pytester.path.joinpath("nudge.test.toml").write_text(
        TEST.replace('engines = ["numpy"]', 'engines = ["numpy", "sql"]'), encoding="utf-8"
    )
    return pytester


def test_each_engine_is_an_item(folder: pytest.Pytester) -> None:
    result = folder.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*nudge.test.toml::numpy PASSED*", "*nudge.test.toml::sql PASSED*"]
    )


def test_a_failure_reads_like_winlang_test(folder: pytest.Pytester) -> None:
    folder.path.joinpath("nudge.win").write_text(CAMPAIGN.replace(">= 3", ">= 4"))
    result = folder.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(['*customer c-1: expected result "sent", got "nothing"*'])
    assert "Traceback" not in result.stdout.str()


def test_a_broken_file_is_a_failure_with_its_problems(folder: pytest.Pytester) -> None:
    path = folder.path / "nudge.test.toml"
    path.write_text(path.read_text().replace('rule = "nudge"', 'rule = "nudj"'))
    result = folder.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["*error: unknown rule `nudj`*", "*hint: the campaign's rules: nudge*"]
    )


def test_the_plugin_can_be_turned_off(folder: pytest.Pytester) -> None:
    result = folder.runpytest("-p", "no:winlang", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
