"""docs/testing.md's example test file runs and passes against campaigns/ladder.win."""

from __future__ import annotations

from pathlib import Path

from tests.docs_helpers import REPO, code_blocks
from winlang.campaign_tests import report, run_test_file


def test_the_documented_test_file_passes(tmp_path: Path) -> None:
    blocks = [b for b in code_blocks(REPO / "docs" / "testing.md") if b.tag == "toml"]
    assert len(blocks) == 1
    path = tmp_path / "ladder.test.toml"
    path.write_text(blocks[0].text, encoding="utf-8")
    # Outside any project: no winlang.toml, so the fields' types are inferred from the values.
    (tmp_path / "ladder.win").write_text(
        (REPO / "campaigns" / "ladder.win").read_text(encoding="utf-8"), encoding="utf-8"
    )
    result = run_test_file(path)
    assert result.passed, report.result_text(result)
    assert result.checks == 2 * 6
