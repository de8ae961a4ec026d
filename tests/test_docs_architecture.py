"""docs/architecture.md stays true: its layer table is LAYERS, its paths exist, its code runs."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_layers import LAYERS

REPO = Path(__file__).resolve().parents[1]
PAGE = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_the_layer_table_is_the_tested_order():
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", PAGE, re.M)
    table = [tuple(re.findall(r"`(\w+)`", units)) for _, units in rows]
    assert [int(n) for n, _ in rows] == list(range(len(LAYERS)))
    assert tuple(table) == LAYERS


def test_every_path_named_exists():
    paths = set(re.findall(r"`(winlang/[\w/.]+)`", PAGE))
    assert paths, "the page names no path"
    missing = sorted(p for p in paths if not (REPO / p).exists())
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_python_block_runs():
    blocks = re.findall(r"^```python\n(.*?)^```$", PAGE, re.S | re.M)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/architecture.md", "exec"), {})
