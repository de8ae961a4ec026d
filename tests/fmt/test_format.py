"""`winlang fmt`'s printer: it prints every node, never changes what a campaign means, keeps
every comment, and formatting twice changes nothing more than formatting once.

Checked on generated campaigns (tests/fmt/campaigns.py), on mutations of the real ones that
still parse, on every campaign in campaigns/ and on every campaign block of the docs.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings

from tests.docs_helpers import REPO, SHARED, code_blocks
from tests.fmt.campaigns import campaign_text
from tests.test_fuzz_parse import mutated_campaign
from winlang import ast as A
from winlang.fmt import format_campaign, format_text, shape
from winlang.fmt.comments import comments_of
from winlang.fmt.expressions import EXPRESSION_PRINTERS
from winlang.fmt.layout import PRINTED_PARTS, ItemPrinter
from winlang.parse import parse_campaign

CAMPAIGNS = sorted((REPO / "campaigns").glob("*.win"))
DOC_PAGES = [
    *sorted((REPO / "docs").glob("*.md")),
    REPO / "README.md",
    SHARED / "design" / "language.md",
]


def doc_campaigns() -> list[tuple[str, str]]:
    """Every code block of the docs that parses as a campaign (some show mistakes on purpose)."""
    found = []
    for page in DOC_PAGES:
        if not page.is_file():
            continue
        for block in code_blocks(page):
            if block.tag in ("", "win") and parse_campaign(block.text).diagnostics == ():
                found.append((block.id, block.text))
    return found


def _comment_words(text: str) -> str:
    return re.sub(r"\s+", "", "".join(c.text for c in comments_of(text)))


def assert_formats_faithfully(text: str, path: str = "x.win") -> str:
    before = parse_campaign(text, path)
    assert before.campaign is not None and before.diagnostics == (), before.diagnostics
    formatted = format_text(text, path).text
    assert formatted is not None
    after = parse_campaign(formatted, path)
    assert after.campaign is not None, after.diagnostics
    assert shape(after.campaign) == shape(before.campaign), formatted
    assert format_text(formatted, path).text == formatted, "formatting again changed the text"
    assert _comment_words(formatted) == _comment_words(text), "a comment was lost or moved"
    # without the source text (canonical literals) the tree survives too
    bare = format_campaign(before.campaign)
    assert shape(parse_campaign(bare, path).campaign) == shape(before.campaign), bare
    return formatted


# ---- every node type has a printer --------------------------------------------------------


def _ast_dataclasses() -> set[type]:
    return {
        value
        for value in vars(A).values()
        if isinstance(value, type)
        and dataclasses.is_dataclass(value)
        and value.__module__ == A.__name__
    }


def test_every_expression_node_has_a_printer() -> None:
    expressions = {t for t in _ast_dataclasses() if issubclass(t, A.Expr) and t is not A.Expr}
    assert expressions - set(EXPRESSION_PRINTERS) == set()


def test_every_item_has_a_printer() -> None:
    for kind in A.Item.__args__:
        assert hasattr(ItemPrinter, f"_{kind.__name__}"), kind


def test_every_ast_dataclass_is_printed_somewhere() -> None:
    """A new node type fails here until the printer knows it."""
    covered = set(EXPRESSION_PRINTERS) | set(A.Item.__args__) | PRINTED_PARTS | {A.Expr}
    assert _ast_dataclasses() - covered == set()


# ---- properties ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaign_text())
def test_generated_campaigns(text: str) -> None:
    assert_formats_faithfully(text)


@settings(max_examples=150, deadline=None)
@given(mutated_campaign())
def test_mutated_real_campaigns_that_still_parse(text: str) -> None:
    parsed = parse_campaign(text)
    assume(parsed.campaign is not None and not parsed.diagnostics)
    assert_formats_faithfully(text)


# ---- the shipped examples ----------------------------------------------------------------------


@pytest.mark.parametrize("path", CAMPAIGNS, ids=lambda p: p.name)
def test_example_campaigns(path: Path) -> None:
    assert_formats_faithfully(path.read_text(encoding="utf-8"), path.name)


@pytest.mark.parametrize(("block_id", "text"), doc_campaigns(), ids=lambda v: str(v)[:40])
def test_doc_campaigns(block_id: str, text: str) -> None:
    assert_formats_faithfully(text, block_id)


def test_docs_have_campaign_blocks() -> None:
    assert len(doc_campaigns()) >= 10


# ---- golden files ----------------------------------------------------------------------------

GOLDEN = REPO / "tests" / "golden" / "fmt"


@pytest.mark.parametrize("before", sorted(GOLDEN.glob("*.before.win")), ids=lambda p: p.name)
def test_golden(before: Path) -> None:
    after = before.with_name(before.name.replace(".before.", ".after.")).read_text("utf-8")
    assert format_text(before.read_text("utf-8")).text == after
    assert format_text(after).text == after


def test_golden_files_exist() -> None:
    assert len(list(GOLDEN.glob("*.before.win"))) >= 3
