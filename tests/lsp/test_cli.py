"""``winlang lsp`` without the `lsp` extra: one line saying how to install it, exit 2."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from winlang.cli import cli

# `sys.modules[name] = None` is how Python marks a module as not importable.
WITHOUT_PYGLS = (
    "import sys; sys.modules['pygls'] = None; sys.argv = ['winlang', 'lsp']; "
    "from winlang.cli import main; main()"
)


def test_without_the_extra_lsp_says_how_to_install_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYGLS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip() == (
        "winlang: winlang lsp needs the language server libraries: "
        "pip install 'winlang[lsp]' (pygls and lsprotocol)"
    )


def test_lsp_is_a_command() -> None:
    result = CliRunner().invoke(cli, ["lsp", "--help"])
    assert result.exit_code == 0
    assert "language server" in result.output
