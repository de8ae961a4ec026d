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

format_option = click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def engine_option(function):
    from ..evaluate import ENGINES

    return click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="auto",
        show_default=True,
        help="auto: SQL pushdown for SQL stores, NumPy for files.",
    )(function)
