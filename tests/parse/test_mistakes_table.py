"""The table of syntax mistakes: each entry's examples come to that entry (a dead entry, or
one shadowed by an earlier one, fails), and every entry has examples."""

from __future__ import annotations

import pytest
from lark import UnexpectedToken

from winlang.diagnostics import SourceText
from winlang.parse import parse_campaign, parser
from winlang.parse.errors import (
    EXAMPLE_HEAD,
    EXAMPLE_VOCABULARY,
    MISTAKES,
    mistake_of,
    seen_of,
)

EXAMPLES = [(m, example) for m in MISTAKES for example in m.examples]


def _error(text: str) -> UnexpectedToken:
    with pytest.raises(UnexpectedToken) as caught:
        parser().parse(text, start="start")
    return caught.value


def test_the_mistakes_have_unique_names_and_examples():
    assert len({m.name for m in MISTAKES}) == len(MISTAKES)
    assert all(m.examples for m in MISTAKES)


@pytest.mark.parametrize(
    ("mistake", "example"), EXAMPLES, ids=[f"{m.name}: {e}" for m, e in EXAMPLES]
)
def test_each_example_is_its_mistake(mistake, example):
    text = EXAMPLE_HEAD + example + "\n"
    error = _error(text)
    source = SourceText("t.win", text)
    found = mistake_of(error, seen_of(error, source, parser(), EXAMPLE_VOCABULARY))
    assert found is not None and found.name == mistake.name
    first = parse_campaign(text, "t.win", EXAMPLE_VOCABULARY).diagnostics[0]
    assert first.code == mistake.code
    assert first.line == 3  # the example's own line
