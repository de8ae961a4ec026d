"""docs/editors.md: each block is what it says it is. The shell commands run (the extra they
install exists), the VS Code setting is one the extension declares, the Helix configuration
is valid TOML that starts `winlang lsp` on `*.win`, and the Neovim snippet starts the same
command (checked by `luac -p` too, where Lua is installed)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.docs_helpers import REPO, code_blocks
from winlang.cli import cli

PAGE = REPO / "docs" / "editors.md"
BLOCKS = list(code_blocks(PAGE))


def blocks(tag: str) -> list[str]:
    found = [b.text for b in BLOCKS if b.tag == tag]
    assert found, f"no {tag} block in {PAGE.name}"
    return found


def test_every_block_is_tested() -> None:
    assert {b.tag for b in BLOCKS} == {"sh", "json", "lua", "toml"}


def test_shell_commands() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]
    for text in blocks("sh"):
        for line in text.splitlines():
            words = shlex.split(line)
            if words[:2] == ["pip", "install"]:
                extra = re.fullmatch(r"winlang\[(\w+)\]", words[2])
                assert extra and {"pygls>=2.1,<3"} <= set(extras[extra[1]]), line
            else:
                assert words[0] == "winlang", line
                result = CliRunner().invoke(cli, words[1:])
                assert result.exit_code == 0, result.output
                assert "--schema" in result.output and "--config" in result.output


def test_vscode_setting_is_the_extensions() -> None:
    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text("utf-8"))
    declared = package["contributes"]["configuration"]["properties"]
    for text in blocks("json"):
        settings = json.loads(text)
        assert set(settings) <= set(declared)
        assert settings["winlang.server.command"][-1] == "lsp"


def test_helix_configuration_starts_the_server_on_campaigns() -> None:
    (text,) = blocks("toml")
    config = tomllib.loads(text)
    (language,) = config["language"]
    assert language["file-types"] == ["win"]
    assert language["comment-token"] == "#"
    assert language["scope"] == "source.winlang"
    (server,) = language["language-servers"]
    started = config["language-server"][server]
    assert [started["command"], *started["args"]] == ["winlang", "lsp"]


def test_neovim_configuration_starts_the_server_on_campaigns(tmp_path: Path) -> None:
    (text,) = blocks("lua")
    assert 'extension = { win = "winlang" }' in text
    assert 'cmd = { "winlang", "lsp" }' in text
    assert 'filetypes = { "winlang" }' in text
    luac = next((shutil.which(n) for n in ("luac", "luac5.4", "luac5.1") if shutil.which(n)), None)
    if luac is None:
        pytest.skip("no Lua compiler to check the snippet's syntax")
    snippet = tmp_path / "init.lua"
    snippet.write_text(text, encoding="utf-8")
    done = subprocess.run([luac, "-p", str(snippet)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
