"""docs/plugins.md: every code block runs, and every hook has a heading and a test."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from winlang import hookspecs

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "plugins.md"
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
FILE = re.compile(r"#\s*file:\s*(\S+)")


def blocks() -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in FENCE.finditer(PAGE.read_text())]


def hook_names() -> list[str]:
    return [name for name in dir(hookspecs) if name.startswith("winlang_")]


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The page's files written out, the folder on the import path."""
    for _, text in blocks():
        match = FILE.match(text)
        if match:
            (tmp_path / match[1]).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / match[1]).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("winlang_shout")]:
        del sys.modules[name]


def test_every_python_block_runs(scratch):
    namespace: dict = {}
    ran = 0
    for language, text in blocks():
        if language == "python" and not FILE.match(text):
            exec(compile(text, str(PAGE), "exec"), namespace)
            ran += 1
    assert ran >= 4


def test_every_toml_block_parses():
    for language, text in blocks():
        if language == "toml":
            tomllib.loads(text)


def test_the_example_test_file_passes(scratch):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=scratch, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": f"{scratch}:{REPO}", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "6 passed" in done.stdout or "5 passed" in done.stdout


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_heading(hook):
    assert re.search(rf"^#+ {hook}\s*$", PAGE.read_text(), re.M), f"no heading for {hook}"


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_exercised_by_a_test(hook):
    """A test calls ``hook.NAME(`` through a plugin manager."""
    tests = [*REPO.glob("tests/**/*.py"), *REPO.glob("plugins/*/tests/*.py")]
    calls = [p for p in tests if f"hook.{hook}(" in p.read_text()]
    assert calls, f"no test calls hook.{hook}(...)"


def test_hookspecs_are_all_documented_in_code():
    tree = ast.parse(Path(hookspecs.__file__).read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("winlang_"):
            assert ast.get_docstring(node), node.name
