"""Reading test files: positions of problems, both ways of writing expectations, fields
checked against the project's schema file."""

from __future__ import annotations

from pathlib import Path

import pytest

from winlang.campaign_tests import TestFileError, read_test_file, run_test_file
from winlang.campaign_tests.locate import Locator

CAMPAIGNS = Path(__file__).resolve().parents[2] / "campaigns"

TABLES = """campaign = "LADDER"

[[customer]]
id = 1
country = "RO"
lifetime_value = 100
phone = "+40722000000"
consent_sms = true
last_purchase_at = "30 days ago"

[[step]]
at = "2026-11-01T10:00:00Z"

[[step.expect]]
customer = 1
rule = "survey"
contains = ["Hi Ana", "thank-you gift"]

[[step]]
after = "1 day"
expect = []
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.test.toml"
    path.write_text(text.replace("LADDER", str(CAMPAIGNS / "ladder.win")), encoding="utf-8")
    return path


def test_locator_finds_items_of_arrays_and_tables() -> None:
    text = 'a = 1\n[[step]]\nexpect = [\n  { customer = 1,\n    rule = "x" },\n]\n'
    text += "[[step]]\n[[step.expect]]\ncustomer = 2\n"
    where = Locator(text)
    assert where.line("step", 0, "expect", 0) == 4
    assert where.line("step", 0, "expect", 0, "rule") == 5
    assert where.line("step", 1) == 7
    assert where.line("step", 1, "expect", 0, "customer") == 9
    assert where.line("nothing", "here") == 1


def test_expectations_as_tables(tmp_path: Path) -> None:
    test = read_test_file(write(tmp_path, TABLES))
    expect = test.steps[0].expect[0]
    assert expect.line == 14 and expect.result == "sent"
    assert expect.message["contains"] == ("Hi Ana", "thank-you gift")
    result = run_test_file(write(tmp_path, TABLES), engines=("numpy",))
    assert not result.passed  # the customer has no first name: the text has no "Hi Ana"
    assert result.failures[0].line == 14
    assert 'contains "Hi Ana"' in result.failures[0].message


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("lifetime_value = 100", "lifetime_valu = 100"), 6, "unknown field `lifetime_valu`"),
        (("lifetime_value = 100", 'lifetime_value = "a lot"'), 6, "is a number field"),
        (("consent_sms = true", 'consent_sms = "yes"'), 8, "is true or false"),
        (('"30 days ago"', '"last month"'), 9, "`last month` is not a time"),
        (('after = "1 day"', 'after = "1 fortnight"'), 20, "not a duration"),
        (('after = "1 day"', 'at = "2026-10-01T00:00:00Z"'), 20, "can't go back in time"),
        (('rule = "survey"', 'rule = "survey"\nresult = "held_out"'), 14, "gets no message"),
        (("customer = 1\nrule", "customer = 5\nrule"), 14, "unknown customer `5`"),
        (("id = 1", 'id = "c-1"'), 4, "the store's ids are numbers"),
    ],
)
def test_problems_are_at_their_line(tmp_path: Path, change, line, message) -> None:
    path = write(tmp_path, TABLES.replace(*change))
    with pytest.raises(TestFileError) as caught:
        run_test_file(path, engines=("numpy",))
    found = [(p.line, p.message) for p in caught.value.problems]
    assert any(n == line and message in text for n, text in found), found


def test_an_unknown_field_gets_a_suggestion_from_the_schema_file(tmp_path: Path) -> None:
    path = write(tmp_path, TABLES.replace("country", "contry"))
    with pytest.raises(TestFileError) as caught:
        run_test_file(path)
    assert caught.value.problems[0].hint == "did you mean `country`?"
