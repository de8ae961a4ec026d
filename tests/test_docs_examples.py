"""Every campaign example in the documentation parses and checks with no finding at all.

Two pages are read: the project's ``docs/language.md`` (blocks tagged ``win``) and the design
contract ``../shared/design/language.md`` (its blocks carry no tag and are all campaign code;
blocks tagged ``win`` count too). Fragments are completed by :func:`docs_helpers.complete`, as
``docs/language.md`` describes, and checked against ``campaigns/schema.json`` and the
repository's ``winlang.toml``.
"""

from __future__ import annotations

import pytest

from tests.docs_helpers import REPO, SHARED, Block, check_text, code_blocks, complete
from winlang.diagnostics import render_text

DOCS_PAGE = REPO / "docs" / "language.md"
CONTRACT_PAGE = SHARED / "design" / "language.md"

DOCS_BLOCKS = [b for b in code_blocks(DOCS_PAGE) if b.tag == "win"]
CONTRACT_BLOCKS = (
    [b for b in code_blocks(CONTRACT_PAGE) if b.tag in ("", "win")]
    if CONTRACT_PAGE.exists()
    else []
)


def assert_checks_cleanly(block: Block) -> None:
    text = complete(block.text)
    findings = check_text(text, f"{block.page}:{block.line}")
    shown = "\n\n".join(render_text(f) for f in findings)
    assert not findings, f"example at {block.id} does not check cleanly:\n{shown}\n\n{text}"


def test_docs_have_examples() -> None:
    assert len(DOCS_BLOCKS) >= 10


@pytest.mark.parametrize("block", DOCS_BLOCKS, ids=[b.id for b in DOCS_BLOCKS])
def test_docs_example_checks(block: Block) -> None:
    assert_checks_cleanly(block)


@pytest.mark.skipif(
    not CONTRACT_PAGE.exists(), reason=f"the design contract is not here: {CONTRACT_PAGE}"
)
@pytest.mark.parametrize("block", CONTRACT_BLOCKS, ids=[b.id for b in CONTRACT_BLOCKS])
def test_contract_example_checks(block: Block) -> None:
    assert_checks_cleanly(block)


@pytest.mark.skipif(
    not CONTRACT_PAGE.exists(), reason=f"the design contract is not here: {CONTRACT_PAGE}"
)
def test_contract_has_its_examples() -> None:
    # sections 1, 2, 4, 5, 6 and 7 each hold one block of campaign code
    assert len(CONTRACT_BLOCKS) >= 6


def test_completion_declares_what_a_fragment_leaves_out() -> None:
    fragment = (
        "rule hello: when lapsed_60 then split\n"
        "  50% send email hello_a with code = 1\n"
        "  50% send email hello_b\n"
    )
    text = complete(fragment)
    assert text.startswith('campaign "doc"\n')
    assert "segment lapsed_60 =" in text
    assert 'template hello_a email subject "Doc" body "Doc {code}"' in text
    assert "template hello_b email" in text
    assert not check_text(text)


def test_completion_of_whole_campaigns_only_declares_missing_templates() -> None:
    whole = 'campaign "x"\ntemplate hi sms "Hi"\nwhen orders > 1 then send sms hi\n'
    assert complete(whole) == whole
    missing = 'campaign "x"\nwhen orders > 1 then send sms incentive_sms\n'
    assert complete(missing) == missing + 'template incentive_sms sms "Doc"\n'
