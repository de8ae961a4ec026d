"""``winlang demo``: make a sample store on the spot and run the 30/60/90 ladder on it,
delivering to the outbox files in the demo folder (or only planning, ``--dry-run``)."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from importlib import resources
from pathlib import Path

import click
import orjson

from ..evaluate import evaluate_campaign
from ..report.summary import render_text, summary
from .common import USER_ERRORS, clock, fail, load_checked, now_option

REACTIONS_SPAN = timedelta(days=2)  # winlang.demo.reactions.MOST: the reactions' last moment


def _package_text(name: str) -> str:
    return (resources.files("winlang.demo") / name).read_text(encoding="utf-8")


@click.command()
@click.option(
    "--customers",
    type=click.IntRange(min=1),
    default=20_000,
    show_default=True,
    help="How many customers to make (about ten events each).",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Where to write the sample project.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--dry-run", is_flag=True, help="Plan only: make the sample project, but send nothing."
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the files an earlier demo made in the folder even if they were changed "
    "since; files it did not make, and a ledger of real runs, are never touched.",
)
@now_option
@click.option(
    "--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def demo(
    customers: int,
    folder: Path,
    seed: int,
    dry_run: bool,
    force: bool,
    now_text: str | None,
    output: str,
) -> None:
    """Write a sample store (SQLite) with a winlang.toml and the ladder campaign, then run the
    ladder on it: messages go to the outbox files in the folder (JSON lines), never out.

    The folder must be empty, new, or one an earlier demo made (it keeps a list of what it
    wrote, with hashes, in .winlang-demo.json): nothing else in it is ever replaced."""
    from ..demo import generate, write_sqlite
    from ..demo.folder import MADE, Manifest, describe, digest, remove_outputs, write_manifest

    now = clock(now_text)
    if now_text is None:  # whole hours, so a rerun within the hour reproduces the numbers
        now = now.replace(minute=0, second=0)
    left_alone = _clear_to_write(folder, force)
    folder.mkdir(parents=True, exist_ok=True)
    write_manifest(folder, Manifest(dict.fromkeys(MADE)))  # claimed before it is written
    remove_outputs(folder)
    started = time.perf_counter()
    data = generate(customers, seed=seed, now=now)
    write_sqlite(data, folder / "shop.db")
    made = time.perf_counter() - started
    (folder / "winlang.toml").write_text(_package_text("project.toml"), encoding="utf-8")
    campaign = folder / "ladder.win"
    campaign.write_text(_package_text("ladder.win"), encoding="utf-8")
    manifest = Manifest({name: digest(folder / name) for name in MADE})
    write_manifest(folder, manifest)

    project, checked = load_checked(campaign, folder / "winlang.toml")
    reactions = None
    started = time.perf_counter()
    try:
        source = project.store()
        evaluation = evaluate_campaign(checked, source, now)
        if dry_run:
            from ..deliver.run import preview_campaign

            outcome, preview = preview_campaign(checked, evaluation, source, project.config, None)
            report = summary(evaluation, dry_run=True, outcome=outcome, preview=preview)
        else:
            from ..deliver.run import deliver_campaign

            config = project.config
            delivery = deliver_campaign(checked, evaluation, source, config, project.state())
            write_manifest(folder, Manifest(manifest.files, (delivery.run_id,)))
            report = summary(delivery.evaluation, False, delivery.outcome, delivery)
            reactions = _react(project, folder, checked, delivery.run_id, now, seed)
            # the shop's purchases changed the store: its new hash, so it is still the demo's
            files = {**manifest.files, "shop.db": digest(folder / "shop.db")}
            write_manifest(folder, Manifest(files, (delivery.run_id,)))
    except USER_ERRORS as error:
        fail(error)
    ran = time.perf_counter() - started
    if left_alone:
        click.echo(
            f"winlang: left alone in {folder}/: {describe(left_alone)} (not made by winlang demo)",
            err=True,
        )
    if output == "json":
        if reactions is not None:
            report = {**report, "reactions": reactions.as_json()}
        click.echo(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        return
    click.echo(
        f"made {customers:,} customers and {data.events.num_rows:,} events in "
        f"{folder / 'shop.db'} ({made:.1f} s)\n"
    )
    click.echo(render_text(report))
    done = "planned" if dry_run else "delivered"
    click.echo(f"\n{done} in {ran:.2f} s.")
    for path in sorted((folder / "outbox").glob("*.jsonl")):
        lines = path.read_bytes().count(b"\n")
        click.echo(f"  {path}: {lines:,} messages, one JSON object per line")
    if reactions is not None:
        click.echo(f"Then {reactions.describe()}.")
    later = "" if now_text is None else f" --now {_iso(now + REACTIONS_SPAN)}"
    click.echo(
        "Next:\n"
        f"  cd {folder}\n"
        f"  winlang report ladder.win{later}   # the funnel, reactivation and lift\n"
        f"  winlang explain ladder.win --customer 42 --now {report['now']}\n"
        f"  winlang run ladder.win --now {report['now']}   # again: nothing is sent twice\n"
        "  winlang serve   # answers the short links (http://127.0.0.1:8000/r/...)"
    )


def _react(project, folder: Path, checked, run_id: int, now, seed: int):
    """The simulated customers' reactions to the run (:mod:`winlang.demo.reactions`)."""
    from ..demo.reactions import react
    from ..times import naive_utc

    campaign = checked.campaign.name or ""
    return react(project.state(), folder / "shop.db", campaign, run_id, naive_utc(now), seed)


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _clear_to_write(folder: Path, force: bool) -> tuple[str, ...]:
    """Exit 2, saying why, unless the demo may write into ``folder``; the files it will
    leave alone (with ``--force``, those it did not make)."""
    from ..demo.folder import refusal, survey

    found = survey(folder)
    reasons = refusal(folder, found, force)
    if reasons:
        click.echo("winlang: " + "\n  ".join(reasons), err=True)
        sys.exit(2)
    return found.foreign
