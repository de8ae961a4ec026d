"""`winlang schedule`: campaigns on cron expressions, deferred messages sent when due, and one
scheduler at a time per state database — with a clock that travels, so nothing waits."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.deliver.test_deferred import make_project, sent_to
from tests.deliver.test_run_cli import outbox
from winlang.cli import cli
from winlang.config import load_config
from winlang.schedule import Job, Lease, Scheduler, TravelClock
from winlang.state import open_state

SCHEDULE = '[schedule]\n"c.win" = "0 8 * * *"\n'


def scheduled(folder: Path, state_url: str | None = None) -> Path:
    project = make_project(folder)
    config = project / "winlang.toml"
    text = config.read_text(encoding="utf-8")
    if state_url:
        text = text.replace('url = "sqlite:///state.db"', f'url = "{state_url}"')
    config.write_text(text + SCHEDULE, encoding="utf-8")
    return project


def schedule(project: Path, *args: str):
    config = ["--config", str(project / "winlang.toml")]
    return CliRunner().invoke(cli, ["schedule", *config, *args])


def test_a_day_of_schedule_runs_the_cron_job_and_wakes_for_each_deferral(tmp_path):
    project = scheduled(tmp_path)
    result = schedule(project, "--now", "2026-11-22T07:00:00Z", "--until", "2026-11-23T09:00:00Z")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if not line.startswith("scheduled ")]
    assert lines == [
        "2026-11-22T08:00:00Z c.win: scheduled run: sent 1 · failed 0 · deferred 6",
        "2026-11-22T14:00:00Z c.win: deferred messages due: sent 3 · failed 0 · deferred 3",
        "2026-11-22T15:00:00Z c.win: deferred messages due: sent 1 · failed 0 · deferred 2",
        "2026-11-22T16:00:00Z c.win: deferred messages due: sent 1 · failed 0 · deferred 1",
        "2026-11-22T17:00:00Z c.win: deferred messages due: sent 1 · failed 0",
        "2026-11-23T08:00:00Z c.win: scheduled run: sent 0 · failed 0",
    ]
    assert sent_to(project) == ["1", "2", "3", "4", "5", "6", "7"]
    sent_at = {m["customer_id"] for m in outbox(project, "sms")}
    assert len(sent_at) == 7  # each once


def test_once_does_what_is_due_now_and_stops(tmp_path):
    project = scheduled(tmp_path)
    first = schedule(project, "--now", "2026-11-22T08:00:00Z", "--once")
    assert first.exit_code == 0, first.output
    assert "scheduled run: sent 1" in first.stdout and sent_to(project) == ["7"]
    idle = schedule(project, "--now", "2026-11-22T10:00:00Z", "--once")  # nothing due
    assert idle.exit_code == 0 and "sent" not in idle.stdout
    due = schedule(project, "--now", "2026-11-22T15:30:00Z", "--once")
    assert "deferred messages due: sent 4" in due.stdout
    assert sent_to(project) == ["1", "2", "5", "6", "7"]  # 08:30 in Denver: not yet


def test_a_bad_cron_expression_is_a_diagnostic_at_its_key(tmp_path):
    (tmp_path / "c.win").write_text('campaign "c"\n', encoding="utf-8")
    config = tmp_path / "winlang.toml"
    config.write_text(
        '[schedule]\n"c.win" = "0 25 * * *"\n"d.win" = "0 9 * * *"\n"c.win " = 9\n',
        encoding="utf-8",
    )
    _, found = load_config(config)
    assert [(d.code, d.line) for d in found] == [("E711", 2), ("E711", 3), ("E711", 4)]
    assert "`c.win` can't be read: `0 25 * * *` is not a cron expression" in found[0].message
    assert "(23)" in found[0].message and "minute hour day month weekday" in found[0].hint
    assert "a table with `cron` and `timezone`" in found[2].message
    assert "`d.win` in [schedule] is not a campaign file" in found[1].message
    result = CliRunner().invoke(cli, ["schedule", "--config", str(config), "--once"])
    assert result.exit_code == 2 and "E711" in result.stderr


def test_weekdays_are_numbered_as_in_crontab(tmp_path):
    monday = Job.of(Path("c.win"), "0 9 * * 1")
    ran = []

    class Recorder:
        def run(self, campaign, now, only_deferred):
            ran.append(now)

        def next_due(self, campaign):
            return None

    start = datetime(2026, 11, 20, tzinfo=UTC)  # a Friday
    until = datetime(2026, 12, 1, tzinfo=UTC)
    Scheduler([monday], Recorder(), TravelClock(start), until).serve()
    assert ran == [datetime(2026, 11, 23, 9, tzinfo=UTC), datetime(2026, 11, 30, 9, tzinfo=UTC)]


def test_the_lease_is_held_by_one_process_until_released_or_expired(tmp_path):
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    now = [datetime(2026, 11, 22, 8)]
    a, b = (Lease(state.engine, seconds=60, wall=lambda: now[0]) for _ in range(2))
    assert a.acquire() is None
    assert b.acquire() == a.holder and a.acquire() is None  # renewing is taking again
    now[0] = datetime(2026, 11, 22, 8, 2)  # a stopped renewing a minute ago
    assert b.acquire() is None and a.acquire() == b.holder
    b.release()
    assert a.acquire() is None


def _two_at_once(project: Path) -> list[subprocess.CompletedProcess]:
    args = ["schedule", "--config", str(project / "winlang.toml")]
    window = ["--now", "2026-11-22T07:00:00Z", "--until", "2026-11-22T18:00:00Z"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "winlang", *args, *window],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    done = []
    for process in started:
        out, err = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def _assert_never_overlapping(done, engine: sa.Engine, project: Path) -> None:
    assert [p.returncode for p in done] == [0, 0], [p.stderr for p in done]
    assert sum("waiting to take over" in p.stderr for p in done) == 1
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT pid, started_at, finished_at FROM runs ORDER BY started_at")
        ).all()
    spans: dict[int, list] = {}
    for pid, started, finished in rows:
        spans.setdefault(pid, []).append((started, finished))
    assert len(spans) == 2  # both ran their window, one after the other
    first, second = sorted(spans.values(), key=lambda s: s[0][0])
    assert max(f for _, f in first) <= min(s for s, _ in second)
    assert sent_to(project) == ["1", "2", "3", "4", "5", "6", "7"]  # and nothing twice
    assert len(outbox(project, "sms")) == 7


def test_two_schedulers_at_once_on_sqlite_never_overlap(tmp_path):
    project = scheduled(tmp_path)
    done = _two_at_once(project)
    engine = sa.create_engine(f"sqlite:///{project / 'state.db'}")
    _assert_never_overlapping(done, engine, project)
    engine.dispose()


@pytest.mark.postgres
def test_two_schedulers_at_once_on_postgresql_never_overlap(tmp_path, postgres_engine):
    url = postgres_engine.url.render_as_string(hide_password=False)
    project = scheduled(tmp_path, state_url=url)
    done = _two_at_once(project)
    _assert_never_overlapping(done, postgres_engine, project)


def test_a_campaign_with_errors_is_refused_at_start_and_skipped_later(tmp_path):
    from winlang.cli.schedule import ProjectRunner

    project = scheduled(tmp_path)
    good = (project / "c.win").read_text(encoding="utf-8")
    (project / "c.win").write_text(good.replace("send sms hi", "send sms hello"), "utf-8")
    refused = schedule(project, "--now", "2026-11-22T08:00:00Z", "--once")
    assert refused.exit_code == 1 and "has errors" in refused.stderr
    said = []
    runner = ProjectRunner(project / "winlang.toml", echo=lambda text, err=False: said.append(text))
    runner.run(project / "c.win", datetime(2026, 11, 22, 8, tzinfo=UTC), False)
    assert runner.failures == 1 and "E202" in said[0]
    assert said[-1] == "2026-11-22T08:00:00Z c.win: scheduled run skipped: the file has errors"
    (project / "c.win").write_text(good, "utf-8")  # fixed: the next run goes through
    runner.run(project / "c.win", datetime(2026, 11, 22, 8, tzinfo=UTC), False)
    assert said[-1].endswith("scheduled run: sent 1 · failed 0 · deferred 6")


def test_a_scheduler_that_lost_its_lease_runs_nothing_more():
    class Recorder:
        def run(self, campaign, now, only_deferred):
            raise AssertionError("ran after losing the lease")

        def next_due(self, campaign):
            return None

    job = Job.of(Path("c.win"), "* * * * *")
    start = datetime(2026, 11, 22, 8, tzinfo=UTC)
    assert Scheduler([job], Recorder(), TravelClock(start), None, lambda: True).serve() == 0


def test_without_a_schedule_the_command_says_how_to_write_one(tmp_path):
    project = make_project(tmp_path)
    result = schedule(project, "--once")
    assert result.exit_code == 2 and '"ladder.win" = "0 9 * * *"' in result.stderr


def test_a_schedule_may_be_read_in_a_time_zone(tmp_path):
    (tmp_path / "c.win").write_text('campaign "c"\n', encoding="utf-8")
    config = tmp_path / "winlang.toml"
    config.write_text(
        '[schedule]\n"c.win" = { cron = "0 9 * * *", timezone = "Europe/Bucharest" }\n',
        encoding="utf-8",
    )
    loaded, found = load_config(config)
    assert found == ()
    (entry,) = loaded.schedule.values()
    job = Job.of(tmp_path / "c.win", entry.cron, entry.timezone)
    ran = []

    class Recorder:
        def run(self, campaign, now, only_deferred):
            ran.append(now.isoformat())

        def next_due(self, campaign):
            return None

    start = datetime(2026, 3, 28, tzinfo=UTC)  # the EU clocks go forward on the 29th
    Scheduler([job], Recorder(), TravelClock(start), datetime(2026, 3, 31, tzinfo=UTC)).serve()
    assert ran == ["2026-03-28T07:00:00+00:00", "2026-03-29T06:00:00+00:00",
                   "2026-03-30T06:00:00+00:00"]  # fmt: skip
    config.write_text(
        '[schedule]\n"c.win" = { cron = "0 9 * * *", timezone = "Europe/Bucuresti" }\n',
        encoding="utf-8",
    )
    _, found = load_config(config)
    assert [d.code for d in found] == ["E711"] and "unknown time zone" in found[0].message
