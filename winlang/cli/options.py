"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="winlang.toml to use (default: found in this folder or above).",
)
