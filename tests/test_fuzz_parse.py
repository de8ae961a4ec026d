"""Property: whatever the text, ``parse_campaign`` and then ``check_campaign`` only ever return
diagnostics; they never raise. Inputs are random text, random sequences of the language's own
words, and mutations of the real campaigns (tokens deleted, duplicated or swapped, characters
inserted). Every diagnostic has a known code, a position inside the text, and renders.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from winlang.check import Fields, check_campaign
from winlang.config import Config
from winlang.diagnostics import CODES, Diagnostic, SourceText, render_github, render_text
from winlang.parse import parse_campaign
from winlang.parse.words import KEYWORDS
from winlang.project import open_project

REPO = Path(__file__).resolve().parents[1]
CAMPAIGNS = sorted((REPO / "campaigns").glob("*.win"))
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\w+|==|!=|<=|>=|\S|\s+')

OPERATORS = ["=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "(", ")", ",", ".", ":"]
MISTAKES = ["=>", "<>", "&&", "||", "!", ";", "'KR'", '"open', "WHEN", "{", "}", "|", "@"]
NAMES = [
    "orders",
    "tier",
    "country",
    "days_since_purchase",
    "last_purchase_at",
    "birthday",
    "consent_sms",
    "coupon",
    "survey",
    "sms",
    "email",
    "push",
    "lapsed",
    "days_since",
    "lower",
    "coalesce",
    "purchase",
    "view",
    "amount",
    "product_name",
    "x",
]
LITERALS = ['"KR"', '"2026-01-01"', '"{first_name|Hi} {link}"', "0", "90", "1.5", "10%"]
LITERALS += ["30 days", "2 weeks", "1 year", "21:00", "25:99", '"https://shop.example.com"']
WORDS = sorted(KEYWORDS) + OPERATORS + MISTAKES + NAMES + LITERALS + ["\n", "  ", "# note\n"]


@cache
def project_parts() -> tuple[Fields, Config]:
    project = open_project(REPO / "winlang.toml", REPO / "campaigns" / "schema.json")
    return project.fields, project.config


@cache
def campaign_tokens() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(_TOKENS.findall(p.read_text(encoding="utf-8"))) for p in CAMPAIGNS)


def assert_only_diagnostics(text: str) -> None:
    """Parse and check ``text``: whatever happens, the result is a tuple of good diagnostics."""
    fields, config = project_parts()
    parsed = parse_campaign(text, "fuzz.win", fields.symbols)
    found: tuple[Diagnostic, ...] = parsed.diagnostics
    if parsed.campaign is not None and not parsed.diagnostics:
        result = check_campaign(parsed.campaign, SourceText("fuzz.win", text), fields, config)
        found = result.diagnostics
        assert (result.checked is None) == any(d.is_error for d in found)
    else:
        assert found, "a file that does not parse gets at least one diagnostic"
    lines = text.split("\n")
    for diagnostic in found:
        assert diagnostic.code in CODES
        assert 1 <= diagnostic.line <= len(lines)
        assert diagnostic.column >= 1 and diagnostic.end_line >= diagnostic.line
        assert render_text(diagnostic) and render_github(diagnostic)


# ---- strategies -------------------------------------------------------------------------------

word_soup = st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join)
headed_soup = word_soup.map(lambda body: 'campaign "fuzz"\n' + body)


@st.composite
def mutated_campaign(draw: st.DrawFn) -> str:
    """A real campaign with a few tokens deleted, duplicated, swapped or characters inserted."""
    tokens = list(draw(st.sampled_from(campaign_tokens())))
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        at = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace"]))
        if action == "delete":
            del tokens[at]
        elif action == "duplicate":
            tokens.insert(at, tokens[at])
        elif action == "swap":
            other = draw(st.integers(0, len(tokens) - 1))
            tokens[at], tokens[other] = tokens[other], tokens[at]
        elif action == "insert":
            tokens.insert(at, draw(st.text(min_size=1, max_size=3)))
        else:
            tokens[at] = draw(st.sampled_from(WORDS))
    return "".join(tokens)


# ---- properties -------------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    assert_only_diagnostics(text)


@given(st.one_of(word_soup, headed_soup))
def test_sequences_of_the_languages_words(text: str) -> None:
    assert_only_diagnostics(text)


@given(mutated_campaign())
def test_mutated_real_campaigns(text: str) -> None:
    assert_only_diagnostics(text)


def test_real_campaigns_are_clean_without_their_body_files() -> None:
    # the unmutated inputs parse; their only findings need the body files (read by the CLI)
    for tokens in campaign_tokens():
        assert_only_diagnostics("".join(tokens))
