"""The ``winlang`` command line: one click group, one module per command.

Exit codes (the README's table): 0 done, 1 findings or a message failed for good, 2 usage
or a state that can't be used, 3 internal error (a bug), 130 interrupted.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from .. import __version__

# Each command's module, imported only when the command runs (or ``--help`` lists it), so
# ``winlang check`` and ``--version`` never load what only the store's commands need
# (SQLAlchemy, PyArrow, NumPy): the command line starts in the time of its own imports.
COMMANDS = {
    "check": "check:check",
    "demo": "demo:demo",
    "diff": "diff:diff",
    "explain": "explain:explain_command",
    "fmt": "fmt:fmt",
    "ingest": "ingest:ingest",
    "init": "init:init",
    "lsp": "lsp:lsp",
    "plugins": "plugins:plugins",
    "preview": "preview:preview",
    "report": "report:report",
    "run": "run:run",
    "schedule": "schedule:schedule",
    "schema": "schema:schema",
    "serve": "serve:serve",
    "test": "test:test_command",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported by name, on first use."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            command = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
            self.add_command(command, name)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="winlang")
def cli() -> None:
    """Campaigns as code: check, preview, explain and deliver win-back campaigns."""


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
