"""``winlang preview FILE --customer ID | --sample N``: the messages customers would get now."""

from __future__ import annotations

from pathlib import Path

import click

from ..evaluate import evaluate_campaign
from ..runs import ledger
from ..schema import safe_url
from .common import USER_ERRORS, clock, fail, load_checked, now_option, show
from .options import config_option, engine_option, format_option


@click.command("preview")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--customer", "customers", multiple=True, metavar="ID", help="A customer's id (repeatable)."
)
@click.option(
    "--sample",
    "count",
    type=click.IntRange(min=1),
    help="N customers a rule matches, the same ones on every call.",
)
@now_option
@format_option
@engine_option
@config_option
def preview(
    file: Path,
    customers: tuple[str, ...],
    count: int | None,
    now_text: str | None,
    output: str,
    engine: str,
    config_path: Path | None,
) -> None:
    """Show the messages customers would get from FILE now, rendered as a run sends them
    (rule, channel after failover, address, text, SMS parts, tracking link), or why they
    get none. Writes nothing."""
    from ..explain import CustomerNotFound
    from ..preview import chosen_customers, preview_customers, render_text

    if not customers and not count:
        raise click.UsageError("give --customer ID (repeatable) or --sample N")
    now = clock(now_text)
    project, checked = load_checked(file, config_path)
    try:
        source = project.store()
        evaluation = evaluate_campaign(checked, source, now, engine, state=ledger(project))
        campaign = checked.campaign.name or ""
        chosen = chosen_customers(evaluation, campaign, [c.strip() for c in customers], count or 0)
        result = preview_customers(
            checked,
            file.read_text(encoding="utf-8"),
            evaluation,
            source,
            project.config,
            project.saved_state(),
            chosen,
        )
    except CustomerNotFound as error:
        fail(error.where(safe_url(project.config.store.url)))
    except USER_ERRORS as error:
        fail(error)
    show(result, output, render_text)
