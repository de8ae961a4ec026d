"""``winlang serve``: the dashboard of the project on http://127.0.0.1:8000 (docs/serve.md).

It binds the loopback address unless told otherwise: the pages show customers' data and
have no login of their own, so a team reaches them through a reverse proxy that
authenticates (docs/serve.md shows nginx, Caddy and oauth2-proxy)."""

from __future__ import annotations

import importlib
import ipaddress
import sys
from pathlib import Path

import click

from .common import clock
from .options import config_option

SERVE_MODULES = ("starlette", "uvicorn", "jinja2", "plotly")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(min=0, max=65_535), default=8000, show_default=True)
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="The clock the pages start at (dry runs, reports, explain); default: the time of "
    "each request. A page's own ?now= wins.",
)
@click.option(
    "--window",
    type=click.IntRange(min=1, max=3650),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="The reports' reactivation window.",
)
@config_option
def serve(
    paths: tuple[Path, ...],
    host: str,
    port: int,
    now_text: str | None,
    window: int,
    config_path: Path | None,
) -> None:
    """Serve the dashboard: the campaigns (PATHS, default: the project's folder) and how
    they check, dry runs, previews, reports with charts, customers; and the short links
    (/r/) and unsubscribe links (/u/) of [tracking] base_url. Read-only but for the
    tracking endpoints. Stop it with Ctrl-C.

    Exit status: 0 when stopped, 2 when the `serve` extra is not installed."""
    _require_extra()
    import uvicorn

    from ..project import open_project
    from ..serve.app import create_app

    now = clock(now_text) if now_text else None
    project = open_project(config_path)
    # a project with errors is served all the same: its pages show the diagnostics
    app = create_app(project, paths=paths, now=now, window=window)
    if not _loopback(host):
        click.echo(
            f"winlang: note: listening on {host}: anyone who reaches this machine sees the "
            "dashboard, which has no login; put it behind a reverse proxy that authenticates "
            "(docs/serve.md)",
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"winlang: serving the dashboard on http://{shown}:{port}/ (Ctrl-C stops)", err=True)
    if project.config.tracking is None:
        click.echo(
            "winlang: note: no [tracking] base_url in winlang.toml, so no message links here",
            err=True,
        )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
    except KeyboardInterrupt:  # uvicorn handles Ctrl-C itself; this is a second one
        sys.exit(130)


def _require_extra() -> None:
    """One line naming the extra when a library of it is missing; exit 2."""
    missing = []
    for module in SERVE_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        click.echo(
            f"winlang: the dashboard needs {', '.join(missing)}, not installed: "
            "pip install 'winlang[serve]'",
            err=True,
        )
        sys.exit(2)


def _loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``.

    >>> _loopback("127.0.0.1"), _loopback("::1"), _loopback("localhost"), _loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
