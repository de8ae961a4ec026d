"""A run's own work is not its history: what a campaign wrote at the run's clock (messages
planned or sent, list members, unsubscribes) does not feed the decisions of a run of that
campaign at the same ``now``; what other campaigns wrote, and anything earlier, does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from winlang.deliver.gather import _history
from winlang.plan import ir
from winlang.policies.suppressions import _state_rows
from winlang.state import open_state
from winlang.state import tables as T

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
AT = NOW.replace(tzinfo=None)
EARLIER = AT - timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state.db'}"
    else:
        url = request.getfixturevalue("postgres_engine").url.render_as_string(hide_password=False)
    state = open_state(url)
    with state.engine.begin() as connection:
        run = connection.execute(
            T.runs.insert().values(
                campaign="c", now=AT, dry_run=False, status="running", started_at=AT
            )
        ).inserted_primary_key[0]
        connection.execute(
            T.messages.insert(),
            [
                _message(run, "c", "1", planned=AT, sent=AT),  # this run's: not history
                _message(run, "c", "2", planned=EARLIER, sent=EARLIER),
                _message(run, "c", "3", planned=EARLIER, sent=AT),  # resumed at now
                _message(run, "other", "4", planned=AT, sent=AT),  # another campaign's
            ],
        )
        connection.execute(
            T.list_members.insert(),
            [
                {"list_name": "l", "customer_id": "1", "campaign": "c", "added_at": AT},
                {"list_name": "l", "customer_id": "2", "campaign": "c", "added_at": EARLIER},
                {"list_name": "l", "customer_id": "4", "campaign": "other", "added_at": AT},
            ],
        )
        connection.execute(
            T.suppressions.insert(),
            [
                {"customer_id": "1", "channel": "sms", "campaign": "c", "at": AT},
                {"customer_id": "2", "channel": "sms", "campaign": "c", "at": EARLIER},
                {"customer_id": "4", "channel": "*", "campaign": "other", "at": AT},
                {"customer_id": "5", "channel": "*", "campaign": None, "at": AT},  # ingested
            ],
        )
    yield state
    state.engine.dispose()


def _message(run: int, campaign: str, customer: str, planned, sent) -> dict:
    return {
        "idempotency_key": f"{campaign}/r/{customer}/0",
        "run_id": run,
        "campaign": campaign,
        "rule": "r",
        "customer_id": customer,
        "channel": "sms",
        "template": "t",
        "status": "sent",
        "attempts": 1,
        "planned_at": planned,
        "sent_at": sent,
    }


def _ids(state, flag: ir.StateFlag, campaign: str = "c", now: datetime = NOW) -> list[int]:
    """The flag's customers as numbers (the view gives ids as the ledger keeps them)."""
    return sorted(int(i) for i in np.asarray(state.view().customers(flag, campaign, now)))


def test_received_and_fired_count_what_happened_before_now(state):
    assert _ids(state, ir.StateFlag("received", "t")) == [2]
    assert _ids(state, ir.StateFlag("fired", "r")) == [2, 3]
    assert _ids(state, ir.StateFlag("received", "t"), "other") == []
    later = NOW + timedelta(minutes=1)
    assert _ids(state, ir.StateFlag("received", "t"), now=later) == [1, 2, 3]


def test_received_more_than_d_ago_needs_a_send_strictly_before_now_minus_d(state):
    """`received t more than 1 hour ago`: sent_at < now - 1 hour (customer 2 was sent an
    hour before now; 1 and 3 at now)."""
    hour = 3600.0
    older = ir.StateFlag("received", "t", older_than=hour)
    assert _ids(state, older) == []  # exactly an hour ago: not more than an hour
    assert _ids(state, older, now=NOW + timedelta(seconds=1)) == [2]
    assert _ids(state, ir.StateFlag("received", "t", older_than=hour - 1)) == [2]
    assert _ids(state, older, now=NOW + timedelta(hours=1, seconds=1)) == [1, 2, 3]
    assert _ids(state, older, now=NOW - timedelta(hours=2)) == []  # sends after now never count
    assert _ids(state, ir.StateFlag("received", "sms", by_channel=True, older_than=1)) == [2]
    assert _ids(state, older, "other", now=NOW + timedelta(days=1)) == [4]  # its own sends


def test_in_list_leaves_out_the_campaigns_own_additions_at_now(state):
    assert _ids(state, ir.StateFlag("in_list", "l")) == [2, 4]
    assert _ids(state, ir.StateFlag("in_list", "l"), "other") == [1, 2]


def test_caps_count_other_campaigns_at_now_but_not_the_runs_own_sends(state):
    history = _history(state, "c", NOW, 86_400)
    assert sorted(zip(history.customer_ids, history.campaigns, strict=True)) == [
        ("2", "c"),
        ("4", "other"),
    ]


def _suppressions(state, campaign: str, now: datetime) -> set[tuple[str, str]]:
    return {(c, channel) for c, channel, _, _ in _state_rows(state, now, campaign=campaign)}


def test_suppressions_leave_out_only_the_campaigns_own_unsubscribes_at_now(state):
    assert _suppressions(state, "c", NOW) == {("2", "sms"), ("4", "*"), ("5", "*")}
    assert ("1", "sms") in _suppressions(state, "c", NOW + timedelta(seconds=1))


def test_a_sent_time_that_cant_be_read_counts_inside_the_cap_window(tmp_path):
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    with state.engine.begin() as connection:
        run = connection.execute(
            T.runs.insert().values(
                campaign="c", now=AT, dry_run=False, status="running", started_at=AT
            )
        ).inserted_primary_key[0]
        connection.execute(T.messages.insert(), [_message(run, "c", "7", EARLIER, EARLIER)])
        # edited by hand: sorts inside the window, but is no time
        connection.exec_driver_sql("UPDATE messages SET sent_at = '2026-11-22 0x:00'")
    history = _history(state, "c", NOW + timedelta(hours=1), 86_400)
    assert history.customer_ids.tolist() == ["7"]
    assert history.sent_at.tolist() == [(NOW + timedelta(hours=1)).replace(tzinfo=None)]
    state.engine.dispose()
