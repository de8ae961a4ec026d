"""``winlang serve``: the web app on ``--host`` and ``--port`` (extra ``serve``)."""

from __future__ import annotations

import sys
from importlib.util import find_spec
from pathlib import Path

import click

from .options import config_option

INSTALL_HINT = (
    "winlang serve needs the web libraries: pip install 'winlang[serve]' "
    "(starlette, jinja2, uvicorn)"
)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port."
)
@config_option
def serve(host: str, port: int, config_path: Path | None) -> None:
    """Answer the short links (/r/) and unsubscribe links (/u/) of [tracking] base_url.

    Exit status: 0 when stopped, 2 when the `serve` extra is not installed or the project
    can't be used."""
    if any(find_spec(name) is None for name in ("starlette", "jinja2", "uvicorn")):
        click.echo(f"winlang: {INSTALL_HINT}", err=True)
        sys.exit(2)
    import uvicorn

    from ..diagnostics import render_text
    from ..project import open_project
    from ..serve.app import create_app

    project = open_project(config_path)
    errors = [d for d in project.diagnostics if d.is_error]
    if errors:
        for finding in errors:
            click.echo(render_text(finding), err=True)
        sys.exit(2)
    if project.config.tracking is None:
        click.echo(
            "winlang: note: no [tracking] base_url in winlang.toml, so no message links here",
            err=True,
        )
    uvicorn.run(create_app(project), host=host, port=port, log_level="info")
