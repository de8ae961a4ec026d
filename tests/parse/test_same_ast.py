"""The parser builds the AST inline, during the LALR parse; it must give exactly what the
tree-building parser gave (``tests/parse/reference.py``, kept as the oracle): the same nodes
with the same spans, and the same diagnostics, for every campaign of the repository, every
golden file, every ``win`` block of the docs, generated campaigns of every construct, and
broken ones (mutations and word soup, which take the error paths).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.generate import campaign as generated_campaign
from tests.differential.strategies import condition
from tests.docs_helpers import code_blocks
from tests.fmt.campaigns import campaign_text
from tests.parse import reference
from tests.test_fuzz_parse import headed_soup, mutated_campaign, word_soup
from winlang.parse import parse_campaign, parse_expression
from winlang.parse.errors import EXAMPLE_VOCABULARY

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(
    p.relative_to(REPO)
    for p in REPO.glob("**/*.win")
    if ".venv" not in p.parts and "node_modules" not in p.parts
)
DOC_PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
WIN_BLOCKS = [b for page in DOC_PAGES for b in code_blocks(page) if b.tag == "win"]


def assert_same(text: str, vocabulary=EXAMPLE_VOCABULARY) -> None:
    new = parse_campaign(text, "same.win", vocabulary)
    old = reference.parse_campaign(text, "same.win", vocabulary)
    assert new == old


def test_the_corpus_is_there() -> None:
    """The comparisons below read real files (a glob that found nothing would prove nothing)."""
    assert len(FILES) > 50 and len(WIN_BLOCKS) > 20
    assert any("mistakes" in p.parts for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=str)
def test_every_campaign_file(path: Path) -> None:
    assert_same((REPO / path).read_text(encoding="utf-8"))


def test_every_win_block_of_the_docs() -> None:
    for block in WIN_BLOCKS:
        assert_same(block.text)


def test_a_generated_campaign_of_every_shape() -> None:
    text = generated_campaign(rules=300)
    assert parse_campaign(text, "same.win").campaign is not None
    assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        # spans that start or end on a keyword or a bracket the builder does not keep
        "when (a or b) and (c) then send sms t with v = (1 + 2), w = (3)",
        "rule r: when ((a)) then unsubscribe and unsubscribe from sms repeat every 2 days",
        'when x in (1, (2)) and not y not in ("a") then split 50% send sms a 50% add to list "l"',
        'when opened t more than 3 days ago and did "x" any within 2 days then send sms t',
        'when last(view.product_name email within 1 day).x = f() and count("a") > -(1)\n'
        "then send sms t",
        "when (f(1, (2)) is not null) and ((3), 4) = x and t after 2 hours ago then send sms t",
        'template a email subject "s" body file "b.html"\ntemplate b push body "x"',
        # numbers too long: the first one is reported, unless the file has a syntax error
        "when a > 1234567890123456 and b > 99999999999999999 then send sms t",
        "cap 1234567890123456 per 9999999999999999 days",
        "when a > 1234567890123456 then then",
        "when a > 1 then then\nwhen b > 1234567890123456 then send sms t",
        # nesting too deep, and the same depth in brackets
        "when " + "not " * 205 + "a then send sms t",
        "when " + "(" * 205 + "a" + ")" * 205 + " then send sms t",
        "",
        "# only a comment",
    ],
)
def test_edges(text: str) -> None:
    assert_same(text)
    assert_same(f'campaign "x"\n{text}')


@settings(max_examples=150, deadline=None)
@given(campaign_text())
def test_generated_campaigns(text: str) -> None:
    assert_same(text)


@settings(max_examples=150, deadline=None)
@given(st.one_of(mutated_campaign(), word_soup, headed_soup, st.text(max_size=200)))
def test_broken_campaigns(text: str) -> None:
    assert_same(text)


@settings(max_examples=150, deadline=None)
@given(st.one_of(condition(3), st.text(max_size=40)))
def test_expressions(text: str) -> None:
    assert parse_expression(text, "e", ()) == reference.parse_expression(text, "e", ())


def test_the_fast_paths_run() -> None:
    """The comparisons above are of the fast lexer step and LALR loop, not of Lark's fallbacks
    (a Lark release that changed what they build on would turn them off silently)."""
    from winlang.parse import parser
    from winlang.parse.lalr import FastParser
    from winlang.parse.lexer import FastBasicLexer

    parse_campaign(generated_campaign(rules=20), "fast.win")
    frontend = parser().parser
    loop = frontend.parser.parser
    assert isinstance(loop, FastParser) and isinstance(loop._table, dict)
    used = [lexer for lexer in frontend.lexer.lexers.values() if lexer._fast is not False]
    assert used and all(isinstance(lexer, FastBasicLexer) and lexer._fast for lexer in used)
