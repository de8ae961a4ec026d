"""Parser states lex with a shared expression before they compile their own
(``winlang/parse/lexer.py``): every token must be the one the state's own expression gives.

``test_same_ast.py`` compares the parser with the tree-building oracle in one long process,
where the busy states soon compile their own expressions; here each comparison runs with a
fresh parser whose states never do (``OWN_AFTER`` out of reach), and once with states that
always do, so both paths meet the oracle on every file, doc block, and generated or broken
campaign.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import campaign as generated_campaign
from tests.differential.strategies import condition
from tests.fmt.campaigns import campaign_text
from tests.parse import reference
from tests.parse.test_same_ast import FILES, REPO, WIN_BLOCKS, assert_same
from tests.test_fuzz_parse import headed_soup, mutated_campaign, word_soup
from winlang.parse import lexer, parse_campaign, parse_expression, parser

EXAMPLES = ("ladder.win", "one-liner.win", "ab-test.win", "birthday.win")


@pytest.fixture(params=["shared", "own"])
def lexing(request, monkeypatch) -> str:
    """A fresh parser whose states lex only with the shared expressions, or only with their
    own (as before the shared ones)."""
    monkeypatch.setattr(lexer, "OWN_AFTER", 10**9 if request.param == "shared" else 0)
    parser.cache_clear()
    yield request.param
    parser.cache_clear()


def state_lexers() -> list:
    return list({id(x): x for x in parser().parser.lexer.lexers.values()}.values())


def test_every_file_and_doc_block(lexing) -> None:
    for path in FILES:
        assert_same((REPO / path).read_text(encoding="utf-8"))
    for block in WIN_BLOCKS:
        assert_same(block.text)
    assert_same(generated_campaign(rules=200))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(campaign_text(), mutated_campaign(), word_soup, headed_soup))
def test_generated_and_broken_campaigns(lexing, text: str) -> None:
    assert_same(text)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(condition(3), st.text(max_size=40)))
def test_expressions(lexing, text: str) -> None:
    assert parse_expression(text, "e", ()) == reference.parse_expression(text, "e", ())


def test_a_small_campaign_compiles_few_expressions(monkeypatch) -> None:
    """The point of sharing: the example campaigns visit ~40 parser states, and no more than
    a handful compile an expression of their own (each ~0.2 ms of ``winlang check``)."""
    monkeypatch.setattr(lexer, "OWN_AFTER", 64)
    parser.cache_clear()
    try:
        for name in EXAMPLES:
            path = REPO / "campaigns" / name
            assert parse_campaign(path.read_text(encoding="utf-8"), name).campaign is not None
        used = [x._fast for x in state_lexers() if x._fast is not False]
        own = [fast for fast in used if fast is not None and fast.kinds is None]
        assert len(used) > 25 and len(own) <= 5
    finally:
        parser.cache_clear()


def test_a_busy_state_compiles_its_own(monkeypatch) -> None:
    """Past ``OWN_AFTER`` tokens a state reads its own expression (fewer alternatives)."""
    monkeypatch.setattr(lexer, "OWN_AFTER", 64)
    parser.cache_clear()
    try:
        text = (Path(REPO) / "campaigns" / "ladder.win").read_text(encoding="utf-8")
        for _ in range(20):
            parse_campaign(text, "ladder.win")
        own = [x for x in state_lexers() if x._fast and x._fast.kinds is None]
        assert len(own) > 5
    finally:
        parser.cache_clear()


def test_a_parser_built_from_the_grammar_makes_every_state_lexer(monkeypatch) -> None:
    """Loaded from Lark's cache, a state's lexer is made when first reached; built from the
    grammar (a first run), Lark makes and validates them all: both parse the same."""
    import lark

    import winlang.parse

    monkeypatch.setattr(
        winlang.parse, "Lark", lambda *a, **k: lark.Lark(*a, **{**k, "cache": False})
    )
    parser.cache_clear()
    try:
        assert type(parser().parser.lexer.lexers) is dict
        for path in FILES[:20]:
            assert_same((REPO / path).read_text(encoding="utf-8"))
    finally:
        parser.cache_clear()


def test_a_parser_loaded_from_the_cache_makes_state_lexers_when_reached() -> None:
    parser()  # a first run writes Lark's cache
    parser.cache_clear()
    lexers = parser().parser.lexer.lexers
    assert type(lexers) is lexer._StateLexers and not lexers
    parse_campaign("when orders > 1 then send sms hello", "x.win")
    assert 0 < len({id(x) for x in lexers.values()}) < 20
