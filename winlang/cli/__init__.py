"""The ``winlang`` command line: one click group, one module per command.

Exit codes (the README's table): 0 done, 1 findings or a message failed for good, 2 usage
or a state that can't be used, 3 internal error (a bug), 130 interrupted.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from .check import check
from .demo import demo
from .diff import diff
from .explain import explain_command
from .fmt import fmt
from .ingest import ingest
from .init import init
from .lsp import lsp
from .plugins import plugins
from .preview import preview
from .report import report
from .run import run
from .schedule import schedule
from .schema import schema
from .serve import serve
from .test import test_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="winlang")
def cli() -> None:
    """Campaigns as code: check, preview, explain and deliver win-back campaigns."""


cli.add_command(check)
cli.add_command(run)
cli.add_command(explain_command)
cli.add_command(demo)
cli.add_command(plugins)
cli.add_command(schema)
cli.add_command(ingest)
cli.add_command(report)
cli.add_command(schedule)
cli.add_command(lsp)
cli.add_command(preview)
cli.add_command(fmt)
cli.add_command(diff)
cli.add_command(test_command)
cli.add_command(init)
cli.add_command(serve)


def main() -> None:
    """Console entry point: a bug shows as one clear line, not a traceback, unless debugging."""
    try:
        cli.main(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as error:  # pragma: no cover - the last line of defence
        if os.environ.get("WINLANG_DEBUG"):
            raise
        click.echo(
            f"winlang: internal error: {type(error).__name__}: {error} "
            "(set WINLANG_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(3)
