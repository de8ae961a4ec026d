"""After `winlang demo` its customers react (seeded), so `winlang report` shows a funnel and a
lift at once: deliveries and opens as the provider's events, clicks through the short links as
`winlang serve` records them, a few unsubscribes, purchases in the shop's events table."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.e2e.support import NOW

LATER = "2026-11-24T10:00:00Z"  # the reactions happen within two days of the run


def demo(winlang, folder: Path, *extra: str) -> dict:
    args = ("demo", "--customers", "3000", "--dir", folder, "--now", NOW, "--format", "json")
    result = winlang(*args, *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def state_rows(folder: Path, query: str) -> list[tuple]:
    with closing(sqlite3.connect(folder / "winlang-state.db")) as db:
        return db.execute(query).fetchall()


def test_report_after_the_demo_shows_a_funnel_and_a_lift(winlang, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    summary = demo(winlang, folder)
    reactions = summary["reactions"]
    sent = summary["delivery"]["sent"]
    assert sent > reactions["delivered"] > reactions["opened"] > reactions["clicked"] > 0
    assert reactions["unsubscribed"] > 0 and reactions["purchases"] > 0
    result = winlang("report", folder / "ladder.win", "--now", LATER, "--format", "json",
                     "--config", folder / "winlang.toml")  # fmt: skip
    assert result.exit_code == 0, result.output
    total = json.loads(result.stdout)["total"]
    assert total["sent"] == sent
    assert (total["delivered"], total["opened"], total["clicked"]) == (
        reactions["delivered"],
        reactions["opened"],
        reactions["clicked"],
    )
    lift = total["lift"]
    assert lift is not None and lift["points"] > 0 and lift["p_value"] < 0.05
    # clicks are the server's own events: one per message, named by its message id
    clicks = state_rows(folder, "SELECT event_id, template FROM ingested_events"
                        " WHERE type = 'click'")  # fmt: skip
    assert len(clicks) == reactions["clicked"]
    assert all(event.startswith("winlang/click/") and template for event, template in clicks)
    unsubscribed = state_rows(folder, "SELECT channel FROM suppressions")
    assert len(unsubscribed) == reactions["unsubscribed"]


def test_the_reactions_are_the_same_every_time(winlang, tmp_path: Path) -> None:
    first = demo(winlang, tmp_path / "a")
    second = demo(winlang, tmp_path / "b")
    assert first["reactions"] == second["reactions"]
    query = "SELECT event_id, customer_id, type, occurred_at FROM ingested_events ORDER BY 1"
    assert state_rows(tmp_path / "a", query) == state_rows(tmp_path / "b", query)
    # the folder is still the demo's: it may make itself again without --force
    assert demo(winlang, tmp_path / "a")["reactions"] == first["reactions"]


def test_report_right_after_the_demo_counts_them_without_a_clock(winlang, tmp_path: Path) -> None:
    """The README's quick start: `winlang demo`, then `winlang report ladder.win` (now)."""
    folder = tmp_path / "demo"
    result = winlang("demo", "--customers", "2000", "--dir", folder, "--format", "json")
    assert result.exit_code == 0, result.output
    reactions = json.loads(result.stdout)["reactions"]
    report = winlang("report", folder / "ladder.win", "--format", "json",
                     "--config", folder / "winlang.toml")  # fmt: skip
    total = json.loads(report.stdout)["total"]
    assert total["clicked"] == reactions["clicked"] > 0
    assert total["delivered"] == reactions["delivered"]
