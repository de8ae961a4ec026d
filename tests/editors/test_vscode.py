"""The VS Code extension of editors/vscode: its manifest names files that exist, its language
and grammar agree with each other and with editors/textmate, and its client starts the
command that runs the language server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from winlang.cli import cli

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
GRAMMAR = REPO / "editors" / "textmate" / "winlang.tmLanguage.json"


def manifest() -> dict:
    return json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))


def test_every_path_the_manifest_names_exists() -> None:
    package = manifest()
    contributes = package["contributes"]
    paths = [package["main"]]
    paths += [language["configuration"] for language in contributes["languages"]]
    paths += [grammar["path"] for grammar in contributes["grammars"]]
    for path in paths:
        assert (EXTENSION / path).is_file(), path


def test_the_language_and_its_grammar_agree() -> None:
    package = manifest()
    (language,) = package["contributes"]["languages"]
    (grammar,) = package["contributes"]["grammars"]
    assert language["id"] == grammar["language"] == "winlang"
    assert language["extensions"] == [".win"]
    assert package["activationEvents"] == ["onLanguage:winlang"]
    shipped = json.loads((EXTENSION / grammar["path"]).read_text(encoding="utf-8"))
    assert grammar["scopeName"] == shipped["scopeName"] == "source.winlang"
    # vsce packages only the extension's folder: it carries a copy of the one grammar
    assert (EXTENSION / grammar["path"]).read_bytes() == GRAMMAR.read_bytes()


def test_language_configuration_has_comments_and_brackets() -> None:
    config = json.loads((EXTENSION / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "#"}
    assert ["(", ")"] in config["brackets"] and ["{", "}"] in config["brackets"]
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in config["autoClosingPairs"]


def test_the_client_starts_winlang_lsp() -> None:
    package = manifest()
    assert "vscode-languageclient" in package["dependencies"]
    setting = package["contributes"]["configuration"]["properties"]["winlang.server.command"]
    assert setting["default"] == ["winlang", "lsp"]
    source = (EXTENSION / package["main"]).read_text(encoding="utf-8")
    assert 'require("vscode-languageclient/node")' in source
    assert '"winlang.restartServer"' in source
    assert [c["command"] for c in package["contributes"]["commands"]] == ["winlang.restartServer"]
    # the client passes --stdio for the stdio transport; the command accepts it
    assert CliRunner().invoke(cli, ["lsp", "--stdio", "--help"]).exit_code == 0


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to read extension.js")
def test_the_client_is_valid_javascript() -> None:
    done = subprocess.run(
        ["node", "--check", str(EXTENSION / "extension.js")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
