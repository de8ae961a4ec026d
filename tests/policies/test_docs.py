"""Every example of docs/policies.md runs and shows what the page says."""

from __future__ import annotations

import doctest
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "policies.md"


def test_policies_page_examples():
    failures, tried = doctest.testfile(str(PAGE), module_relative=False, verbose=False)
    assert tried >= 15
    assert failures == 0
