"""The tables of syntax mistakes (tokens in the wrong place, characters the lexer can't
read): each entry's examples come to that entry (a dead entry, or one shadowed by an earlier
one, fails), and every entry has examples."""

from __future__ import annotations

import pytest
from lark import UnexpectedCharacters, UnexpectedToken

from winlang.diagnostics import SourceText
from winlang.parse import parse_campaign, parser
from winlang.parse.errors import (
    CHARACTER_MISTAKES,
    EXAMPLE_HEAD,
    EXAMPLE_VOCABULARY,
    MISTAKES,
    Unread,
    character_mistake_of,
    mistake_of,
    seen_of,
)

EXAMPLES = [(m, example) for m in MISTAKES for example in m.examples]
CHARACTER_EXAMPLES = [(m, example) for m in CHARACTER_MISTAKES for example in m.examples]


def _error(text: str, kind: type = UnexpectedToken):
    with pytest.raises(kind) as caught:
        parser().parse(text, start="start")
    return caught.value


@pytest.mark.parametrize("table", [MISTAKES, CHARACTER_MISTAKES])
def test_the_mistakes_have_unique_names_and_examples(table):
    assert len({m.name for m in table}) == len(table)
    assert all(m.examples for m in table)


@pytest.mark.parametrize(
    ("mistake", "example"), EXAMPLES, ids=[f"{m.name}: {e}" for m, e in EXAMPLES]
)
def test_each_example_is_its_mistake(mistake, example):
    text = EXAMPLE_HEAD + example + "\n"
    error = _error(text)
    source = SourceText("t.win", text)
    found = mistake_of(seen_of(error, source, parser(), EXAMPLE_VOCABULARY))
    assert found is not None and found.name == mistake.name
    first = parse_campaign(text, "t.win", EXAMPLE_VOCABULARY).diagnostics[0]
    assert first.code == mistake.code
    assert first.line == 3  # the example's own line


@pytest.mark.parametrize(
    ("mistake", "example"),
    CHARACTER_EXAMPLES,
    ids=[f"{m.name}: {e}" for m, e in CHARACTER_EXAMPLES],
)
def test_each_character_example_is_its_mistake(mistake, example):
    text = EXAMPLE_HEAD + example + "\n"
    error = _error(text, UnexpectedCharacters)
    unread = Unread(SourceText("t.win", text), error.pos_in_stream, EXAMPLE_VOCABULARY)
    found = character_mistake_of(unread)
    assert found is not None and found.name == mistake.name
    first = parse_campaign(text, "t.win", EXAMPLE_VOCABULARY).diagnostics[0]
    assert first.code == mistake.code
    assert first.line == 3
