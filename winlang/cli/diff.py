"""``winlang diff OLD NEW``: what an edit to a campaign changes, on the store, sending nothing.

Exit status: 0 done; 1 errors in either campaign or data that does not fit; 2 usage, or a
state that can't be used.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..check.templates import channels_sent_on
from ..diff import compare, dry_run, render_text
from ..evaluate import ENGINES
from ..project import channel_diagnostics
from .common import USER_ERRORS, clock, fail, load_checked, now_option, refuse, show
from .options import config_option

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("diff")
@click.argument("old", type=_FILE)
@click.argument("new", type=_FILE)
@now_option
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="auto: SQL pushdown for SQL stores, NumPy for files.",
)
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def diff(
    old: Path,
    new: Path,
    now_text: str | None,
    engine: str,
    output: str,
    config_path: Path | None,
) -> None:
    """Evaluate OLD and NEW (two versions of a campaign) on the store as `run --dry-run` does
    and print the customers moving between rules, entering or leaving the campaign, and the
    messages added or removed per channel."""
    now = clock(now_text)
    versions = []
    for path in (old, new):
        project, checked = load_checked(path, config_path)
        channels = channels_sent_on(checked.campaign)
        if problems := channel_diagnostics(project.config, channels, secrets=False):
            refuse(path, problems)
        try:
            versions.append(dry_run(project, checked, now, engine))
        except USER_ERRORS as error:
            fail(error)
        except KeyboardInterrupt:
            click.echo("winlang: interrupted; nothing was written", err=True)
            sys.exit(130)
    result = compare(*versions)
    show(result, output, render_text)
