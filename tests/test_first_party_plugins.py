"""First-party plugins (``plugins/*``) are separate distributions: each declares a ``winlang``
entry point, and its own test suite passes. The suite runs in a subprocess with the plugin's
folder on the path, so it works whether or not the plugin is installed (when it is, its
entry-point test checks that winlang finds it by itself)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLUGINS = sorted(p.parent for p in (REPO / "plugins").glob("*/pyproject.toml"))


@pytest.mark.parametrize("folder", PLUGINS, ids=lambda p: p.name)
def test_declares_a_winlang_entry_point_that_imports(folder, monkeypatch):
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    entry_points = project["entry-points"]["winlang"]
    assert entry_points, f"{folder.name} declares no winlang entry point"
    monkeypatch.syspath_prepend(str(folder))
    for target in entry_points.values():
        module = importlib.import_module(target.partition(":")[0])
        assert hasattr(module, "winlang_plugin_names")


@pytest.mark.parametrize("folder", PLUGINS, ids=lambda p: p.name)
def test_its_own_suite_passes(folder):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
