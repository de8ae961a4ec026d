"""``winlang lsp``: the language server for editors, over standard input and output."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path

import click

from .options import config_option

INSTALL_HINT = (
    "winlang lsp needs the language server libraries: "
    "pip install 'winlang[lsp]' (pygls and lsprotocol)"
)


@click.command("lsp")
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Schema file from `winlang schema export`, for every file (default: each file's project).",
)
@click.option("--stdio", is_flag=True, hidden=True, help="Accepted for editors that pass it.")
@config_option
def lsp(schema_path: Path | None, stdio: bool, config_path: Path | None) -> None:
    """Run the language server on stdin/stdout, for an editor to start.

    Each campaign's project is found from the file's folder, as every command finds it, unless
    --config or --schema says otherwise. Exit status: 0 when the editor ends it, 2 when the
    `lsp` extra is not installed.
    """
    if find_spec("pygls") is None or find_spec("lsprotocol") is None:
        click.echo(f"winlang: {INSTALL_HINT}", err=True)
        sys.exit(2)
    from ..lsp.server import serve

    serve(
        config_path.resolve() if config_path else None,
        schema_path.resolve() if schema_path else None,
    )
