"""``winlang schedule``: a small daemon running the campaigns of ``[schedule]`` on their cron
expressions (UTC) and sending deferred messages when they fall due; one per state database."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import click

from ..contracts.errors import ChannelError
from ..diagnostics import render_text as render_finding
from ..diagnostics import sort_key
from ..project import check_file, open_project
from .common import USER_ERRORS, clock
from .options import config_option


class ProjectRunner:
    """Runs a campaign of the project as `winlang run` would, each time reading the
    configuration and the campaign again (an edit is picked up by the next run)."""

    def __init__(self, config_path: Path | None, echo=click.echo) -> None:
        self.config_path = config_path
        self.echo = echo
        self.failures = 0
        self._names: dict[Path, str | None] = {}

    def run(self, campaign: Path, now: datetime, only_deferred: bool) -> None:
        from ..runs import execute

        what = "deferred messages due" if only_deferred else "scheduled run"
        stamp = now.isoformat().replace("+00:00", "Z")
        project = open_project(self.config_path)
        result = check_file(campaign, project)
        findings = sorted((*project.diagnostics, *result.diagnostics), key=sort_key)
        errors = [f for f in findings if f.is_error]
        if errors or result.checked is None:
            self.failures += 1
            for finding in errors:
                self.echo(render_finding(finding), err=True)
            self.echo(f"{stamp} {campaign.name}: {what} skipped: the file has errors", err=True)
            return
        self._names[campaign] = result.checked.campaign.name
        try:
            report = execute(project, result.checked, now, only_deferred=only_deferred)
        except (*USER_ERRORS, ChannelError) as error:
            self.failures += 1
            self.echo(f"{stamp} {campaign.name}: {what} failed: {error}", err=True)
            return
        totals = report["delivery"]
        waiting = f" · deferred {totals['deferred']}" if totals["deferred"] else ""
        self.echo(
            f"{stamp} {campaign.name}: {what}: sent {totals['sent']} · failed "
            f"{totals['failed']}{waiting}"
        )

    def next_due(self, campaign: Path) -> datetime | None:
        from ..config import find_config, load_config
        from ..parse import parse_campaign
        from ..state import read_state

        if campaign not in self._names:
            try:
                parsed = parse_campaign(campaign.read_text(encoding="utf-8"), str(campaign))
                self._names[campaign] = parsed.campaign.name if parsed.campaign else None
            except (OSError, UnicodeDecodeError):
                self._names[campaign] = None
        name = self._names[campaign]
        if name is None:
            return None
        # Only the state's address is needed: no store to open, no schema to reflect.
        config, _ = load_config(self.config_path or find_config())
        state = read_state(config.state_url)
        if state is None:
            return None
        try:
            return state.next_due(name)
        finally:
            state.close()


@click.command()
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="Travel in time from this moment: each event runs at once, without waiting "
    "(for trying a schedule out, and for tests); default: the real clock.",
)
@click.option("--until", "until_text", metavar="ISO", help="Stop after this moment.")
@click.option("--once", is_flag=True, help="Do what is due now, then stop.")
@config_option
def schedule(
    now_text: str | None, until_text: str | None, once: bool, config_path: Path | None
) -> None:
    """Run the campaigns listed under [schedule] in winlang.toml on their cron expressions
    (UTC unless a timezone is given), and send each campaign's deferred messages when their
    quiet hours end. Only one scheduler runs per state database; another waits and takes
    over if it stops."""
    from ..schedule import Job, Keeper, Scheduler, TravelClock, WallClock

    start = clock(now_text) if now_text else None
    until = clock(until_text) if until_text else None
    project = open_project(config_path)
    errors = [f for f in project.diagnostics if f.is_error]
    for finding in errors:
        click.echo(render_finding(finding), err=True)
    if errors:
        sys.exit(2)
    if not project.config.schedule:
        click.echo(
            "winlang: nothing to schedule: list campaigns under [schedule] in winlang.toml, e.g.\n"
            '  [schedule]\n  "ladder.win" = "0 9 * * *"',
            err=True,
        )
        sys.exit(2)
    try:
        jobs = [Job.of(path, s.cron, s.timezone) for path, s in project.config.schedule.items()]
    except ImportError:
        click.echo(
            "winlang: `winlang schedule` needs APScheduler: pip install 'winlang[schedule]'",
            err=True,
        )
        sys.exit(2)
    for job in jobs:  # refuse to start on a campaign that can't run
        result = check_file(job.campaign, project)
        if any(f.is_error for f in result.diagnostics) or result.checked is None:
            click.echo(
                f"winlang: {job.campaign} has errors; fix them first (winlang check)", err=True
            )
            sys.exit(1)
    the_clock = TravelClock(start) if start else WallClock()
    if once:
        until = the_clock.now()
    try:
        state = project.state()
    except USER_ERRORS as error:
        click.echo(f"winlang: {error}", err=True)
        sys.exit(2)
    lease = state.lease(seconds=project.config.delivery.lease_seconds)
    runner = ProjectRunner(config_path)
    try:
        _take(lease)
        with Keeper(lease) as keeper:
            for job in jobs:
                click.echo(f"scheduled {job.campaign.name}: {job.cron} ({job.timezone})")
            Scheduler(jobs, runner, the_clock, until, keeper.lost.is_set).serve()
            if keeper.lost.is_set():
                click.echo("winlang: another scheduler took the lock over; stopping", err=True)
                sys.exit(1)
    except KeyboardInterrupt:
        click.echo("winlang: scheduler stopped", err=True)
        sys.exit(130)
    sys.exit(1 if runner.failures else 0)


def _take(lease) -> None:
    """Wait until this process holds the lease; say once who holds it meanwhile."""
    said = False
    while (holder := lease.acquire()) is not None:
        if not said:
            click.echo(
                f"winlang: another scheduler runs on this state ({holder.rsplit(':', 1)[0]}); "
                "waiting to take over",
                err=True,
            )
            said = True
        time.sleep(min(1.0, lease.seconds / 3))
