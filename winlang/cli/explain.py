"""``winlang explain FILE --customer ID``: why a customer was or wasn't picked."""

from __future__ import annotations

from pathlib import Path

import click

from ..evaluate import choose_backend
from ..runs import ledger
from ..schema import safe_url
from .common import USER_ERRORS, clock, fail, load_checked, now_option, show
from .options import config_option


@click.command("explain")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--customer", "customer", required=True, help="The customer's id.")
@now_option
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
def explain_command(
    file: Path, customer: str, now_text: str | None, output: str, config_path: Path | None
) -> None:
    """Show every condition of every rule for one customer, and which rule wins and why."""
    from ..contracts.state import EmptyState
    from ..explain import CustomerNotFound, explain, render_text

    now = clock(now_text)
    project, checked = load_checked(file, config_path)
    try:
        source = project.store()
        result = explain(
            checked,
            file.read_text(encoding="utf-8"),
            source,
            customer,  # as typed: the store's id type decides what it means
            now,
            ledger(project) or EmptyState(),
            choose_backend("numpy", source),
            project.saved_state(),
        )
    except CustomerNotFound as error:
        fail(error.where(safe_url(project.config.store.url)))
    except USER_ERRORS as error:
        fail(error)
    show(result, output, render_text)
