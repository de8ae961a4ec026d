"""The VS Code extension builds with `vsce package` (its `npm run package`), and the .vsix
holds what VS Code loads: the manifest, the client with its language client library, the
language configuration and the grammar.

Needs node and npm; the extension's npm packages are installed once into a cache folder
named after its package.json, so the manifest's dependencies are the ones installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
FILES = [
    "package.json",
    "extension.js",
    "language-configuration.json",
    "README.md",
    ".vscodeignore",
]


@pytest.fixture(scope="module")
def build_folder() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to build the VS Code extension")
    manifest = (EXTENSION / "package.json").read_bytes()
    default = Path.home() / ".cache" / "winlang-tests"
    cache = Path(os.environ.get("WINLANG_NODE_CACHE") or default)
    folder = cache / f"vscode-{hashlib.sha256(manifest).hexdigest()[:12]}"
    if not (folder / "node_modules" / "@vscode" / "vsce").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_bytes(manifest)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not install the extension's packages: {done.stderr[-500:]}")
    return folder


def test_vsce_packages_the_extension(build_folder: Path, tmp_path: Path) -> None:
    for name in FILES:
        shutil.copy2(EXTENSION / name, build_folder / name)
    shutil.copytree(EXTENSION / "syntaxes", build_folder / "syntaxes", dirs_exist_ok=True)
    vsix = tmp_path / "winlang.vsix"
    done = subprocess.run(
        ["npm", "run", "package", "--", "--out", str(vsix)],
        cwd=build_folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    names = set(zipfile.ZipFile(vsix).namelist())
    for wanted in (
        "extension/package.json",
        "extension/extension.js",
        "extension/language-configuration.json",
        "extension/syntaxes/winlang.tmLanguage.json",
        "extension/node_modules/vscode-languageclient/node.js",
    ):
        assert wanted in names, wanted
    assert not any(n.startswith("extension/node_modules/@vscode/vsce/") for n in names)
