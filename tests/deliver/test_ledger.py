"""The ledger: runs and their liveness, the plan written once, exclusive claims, results
recorded only by the claim's holder; and migration 0002 keeping an older state's rows."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from winlang import ast as A
from winlang.deliver.ledger import Ledger, Update, messages_of, payload
from winlang.deliver.prepare import Firing, Skip
from winlang.plan import ir
from winlang.state import HEAD, MIGRATIONS, open_state
from winlang.state import tables as T
from winlang.testing import make_message

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
WALL = datetime(2026, 11, 22, 12, 0, 0)  # naive UTC, like every stored time
SPAN = A.Span(0, 0, 1, 1, 1, 2)
M = T.messages.c
R = T.runs.c


def _quick(engine: sa.Engine) -> sa.Engine:
    """No disk flush at each SQLite commit: the tests stay fast, the locking is unchanged."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA synchronous=OFF"))
        engine.dispose()
    return engine


def _open(url: str):
    state = open_state(url)
    _quick(state.engine)
    return state


def _empty_postgres(url: str) -> None:
    """The database as the ``postgres_engine`` fixture leaves it: no tables."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite state to copy: migrating for every test would be slow."""
    path = tmp_path_factory.mktemp("template") / "state.db"
    open_state(f"sqlite:///{path}").engine.dispose()
    return path


@pytest.fixture(scope="module")
def postgres_state_url(postgres_url):
    """The test server's database, migrated once for the module and emptied per test."""
    yield postgres_url
    _empty_postgres(postgres_url)


POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(params=["sqlite", POSTGRES])
def state_url(request, tmp_path) -> str:
    """A migrated state database without rows."""
    if request.param == "sqlite":
        path = tmp_path / "state.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_state_url")
    state = open_state(url)  # migrates the first time, and after the migration test
    with state.engine.begin() as connection:
        for table in reversed(T.metadata.sorted_tables):
            connection.execute(table.delete())
    state.engine.dispose()
    return url


@pytest.fixture(params=["sqlite", POSTGRES])
def empty_url(request, tmp_path) -> str:
    """A database without any table."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    url = request.getfixturevalue("postgres_state_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def state(state_url):
    state = _open(state_url)
    yield state
    state.engine.dispose()


class Wall:
    """A wall clock the test moves."""

    def __init__(self, at: datetime = WALL) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _ledger(state, campaign: str = "shop", wall: Wall | None = None, lease: float = 300.0):
    ledger = Ledger(state, campaign, NOW, lease_seconds=lease, wall=wall or Wall())
    ledger.start()
    return ledger


def _firing(
    customer: str,
    *,
    rule: str = "nudge",
    campaign: str = "shop",
    channels: tuple[str, ...] = ("sms",),
    status: str = "planned",
    variant: str | None = None,
    actions: tuple = (),
) -> Firing:
    key = f"{campaign}/{rule}/{customer}/0"
    messages = tuple(
        (
            step,
            make_message(
                campaign=campaign,
                rule=rule,
                customer_id=customer,
                channel=channel,
                to=f"{channel}-{customer}",
                idempotency_key=key if step == 0 else f"{key}/{step}",
                variant=variant,
            ),
        )
        for step, channel in enumerate(channels)
    )
    if status != "planned":
        messages = ()
    return Firing(key, rule, customer, 0, status, variant, messages, actions)


def _add(name: str) -> A.ListAction:
    return A.ListAction(op="add", list_name=name, span=SPAN)


def _remove(name: str) -> A.ListAction:
    return A.ListAction(op="remove", list_name=name, span=SPAN)


def _unsubscribe(channel: str | None = None) -> A.Unsubscribe:
    return A.Unsubscribe(channel=A.Ident(channel, SPAN) if channel else None, span=SPAN)


def _rows(state, table: sa.Table, *columns: str) -> list[tuple]:
    query = sa.select(*(table.c[c] for c in columns))
    with state.engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(query))


def _message(state, key: str) -> dict:
    with state.engine.connect() as connection:
        row = connection.execute(sa.select(T.messages).where(M.idempotency_key == key)).one()
    return dict(row._mapping)


def _run(state, run_id: int) -> dict:
    with state.engine.connect() as connection:
        return dict(connection.execute(sa.select(T.runs).where(R.id == run_id)).one()._mapping)


def _set_run(state, run_id: int, **values) -> None:
    with state.engine.begin() as connection:
        connection.execute(T.runs.update().where(R.id == run_id).values(**values))


def _planned(ledger: Ledger, count: int, **given) -> list[str]:
    firings = [_firing(str(n), **given) for n in range(1, count + 1)]
    ledger.record_plan(firings, [])
    return [f.key for f in firings]


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# ---- runs ------------------------------------------------------------------------------------


def test_start_records_the_run_with_its_host_pid_and_heartbeat(state):
    ledger = _ledger(state)
    run = _run(state, ledger.run_id)
    assert (run["campaign"], run["status"], run["dry_run"]) == ("shop", "running", False)
    assert (run["host"], run["pid"]) == (socket.gethostname(), os.getpid())
    assert run["now"] == NOW.replace(tzinfo=None)
    assert run["started_at"] == run["heartbeat_at"] == WALL


def test_heartbeat_records_the_wall_clock(state):
    wall = Wall()
    ledger = _ledger(state, wall=wall)
    wall.at = WALL + timedelta(seconds=42)
    ledger.heartbeat()
    assert _run(state, ledger.run_id)["heartbeat_at"] == WALL + timedelta(seconds=42)


def test_finish_records_the_summary_and_gives_back_unsent_claims(state):
    ledger = _ledger(state)
    keys = _planned(ledger, 2)
    first, second = ledger.claim(10)
    ledger.apply([Update(first.id, {"status": "sent", "claimed_by": None})])
    ledger.finish("failed", {"sent": 1})
    run = _run(state, ledger.run_id)
    assert (run["status"], orjson.loads(run["summary"])) == ("failed", {"sent": 1})
    assert run["finished_at"] == WALL
    assert [_message(state, k)["claimed_by"] for k in keys] == [None, None]
    assert _message(state, second.key)["status"] == "planned"


# ---- dead runs -------------------------------------------------------------------------------


def _holding(state, count: int = 2) -> tuple[Ledger, list[str]]:
    """A run that planned and claimed ``count`` messages."""
    ledger = _ledger(state)
    keys = _planned(ledger, count)
    assert len(ledger.claim(count)) == count
    return ledger, keys


def test_the_claims_of_a_run_whose_process_is_gone_are_freed(state):
    dead, keys = _holding(state)
    _set_run(state, dead.run_id, pid=_dead_pid())
    later = _ledger(state)
    assert later.release_dead_runs() == 2
    assert _run(state, dead.run_id)["status"] == "abandoned"
    assert [_message(state, k)["claimed_by"] for k in keys] == [None, None]
    assert [c.key for c in later.claim(10)] == keys


def test_the_claims_of_a_run_with_a_stale_heartbeat_are_freed(state):
    stale, keys = _holding(state)
    _set_run(state, stale.run_id, host="elsewhere", pid=1, heartbeat_at=WALL - timedelta(hours=1))
    later = _ledger(state, lease=300)
    assert later.release_dead_runs() == 2
    assert _run(state, stale.run_id)["status"] == "abandoned"
    assert _message(state, keys[0])["claimed_by"] is None


def test_a_live_run_keeps_its_claims(state):
    live, keys = _holding(state)
    _set_run(state, live.run_id, pid=os.getppid())  # this host, a process that is running
    remote = _ledger(state)
    _set_run(state, remote.run_id, host="elsewhere", heartbeat_at=WALL - timedelta(seconds=10))
    later = _ledger(state, lease=300)
    assert later.release_dead_runs() == 0
    assert _run(state, live.run_id)["status"] == "running"
    assert _run(state, remote.run_id)["status"] == "running"
    assert [_message(state, k)["claimed_by"] for k in keys] == [live.run_id] * 2


def test_a_run_never_releases_itself(state):
    ledger, keys = _holding(state)
    _set_run(state, ledger.run_id, heartbeat_at=WALL - timedelta(days=1))
    assert ledger.release_dead_runs() == 0
    assert _message(state, keys[0])["claimed_by"] == ledger.run_id


def test_a_live_run_of_this_same_process_keeps_its_claims(state):
    live, keys = _holding(state)
    other = _ledger(state, campaign="another-campaign")
    assert other.release_dead_runs() == 0
    assert _message(state, keys[0])["claimed_by"] == live.run_id


# ---- planning --------------------------------------------------------------------------------


def test_record_plan_writes_each_firing_with_its_first_step_and_payload(state):
    ledger = _ledger(state)
    firing = _firing("7", channels=("sms", "push"))
    assert ledger.record_plan([firing], []) == {"shop/nudge/7/0"}
    row = _message(state, "shop/nudge/7/0")
    assert (row["status"], row["run_id"], row["attempts"]) == ("planned", ledger.run_id, 0)
    assert (row["channel"], row["address"], row["step"]) == ("sms", "sms-7", 0)
    assert row["planned_at"] == NOW.replace(tzinfo=None)
    assert (row["claimed_by"], row["next_attempt_at"]) == (None, None)
    assert messages_of(row["payload"]) == firing.messages


def test_record_plan_twice_writes_nothing_and_acts_once(state):
    ledger = _ledger(state)
    firing = _firing("7", actions=(_add("vip"), _unsubscribe("sms")))
    assert ledger.record_plan([firing], []) == {firing.key}
    with state.engine.begin() as connection:  # undone since: the replay must not redo them
        connection.execute(T.list_members.delete())
        connection.execute(T.suppressions.delete())
    assert ledger.record_plan([firing], []) == set()
    assert _rows(state, T.list_members, "customer_id") == []
    assert _rows(state, T.suppressions, "customer_id") == []
    assert _rows(state, T.messages, "idempotency_key") == [(firing.key,)]


def test_a_firing_another_run_planned_first_is_not_this_runs(state):
    first, second = _ledger(state), _ledger(state)
    assert first.record_plan([_firing("1")], []) == {"shop/nudge/1/0"}
    both = [_firing("1", actions=(_add("vip"),)), _firing("2", actions=(_add("vip"),))]
    assert second.record_plan(both, []) == {"shop/nudge/2/0"}
    assert _rows(state, T.list_members, "customer_id") == [("2",)]
    assert _message(state, "shop/nudge/1/0")["run_id"] == first.run_id


def test_two_runs_planning_the_same_firings_at_once_write_each_once(state_url):
    states = [_open(state_url) for _ in range(2)]
    try:
        ledgers = [_ledger(s) for s in states]
        firings = [_firing(str(n), actions=(_add("vip"),)) for n in range(40)]
        written: list[set[str]] = [set(), set()]
        start = threading.Barrier(2)

        def plan(n: int) -> None:
            start.wait()
            for first in range(0, len(firings), 10):  # slices, like a real run
                written[n] |= ledgers[n].record_plan(firings[first : first + 10], [])

        threads = [threading.Thread(target=plan, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert written[0].isdisjoint(written[1])
        assert written[0] | written[1] == {f.key for f in firings}
        owners = dict(_rows(states[0], T.messages, "idempotency_key", "run_id"))
        for n, ledger in enumerate(ledgers):
            assert {owners[key] for key in written[n]} <= {ledger.run_id}
        assert len(_rows(states[0], T.list_members, "customer_id")) == 40
    finally:
        for s in states:
            s.engine.dispose()


def test_remove_after_add_in_one_rule_takes_effect_in_that_order(state):
    ledger = _ledger(state)
    ledger.record_plan(
        [
            _firing("1", status="done", actions=(_add("x"), _remove("x"))),
            _firing("2", status="done", actions=(_remove("x"), _add("x"))),
            _firing("3", status="done", actions=(_add("x"),)),
        ],
        [],
    )
    assert _members(state) == [("x", "2"), ("x", "3")]


def test_remove_takes_out_a_member_an_earlier_run_added(state):
    _ledger(state).record_plan([_firing("1", rule="join", actions=(_add("x"),))], [])
    _ledger(state).record_plan([_firing("1", rule="leave", actions=(_remove("x"),))], [])
    assert _members(state) == []
    removal = _rows(state, T.list_members, "customer_id", "removed_at", "removed_by")
    assert removal == [("1", NOW.replace(tzinfo=None), "shop")]  # kept: who left, when


def test_a_removal_is_history_to_later_runs_only(state):
    """Added an hour ago, removed by the run at NOW: in the list for a run at NOW (the
    removal is its own work), out of it for any later run; added back later: in again."""
    earlier = Ledger(state, "shop", NOW - timedelta(hours=1), wall=Wall())
    earlier.start()
    earlier.record_plan([_firing("1", rule="join", actions=(_add("x"),))], [])
    _ledger(state).record_plan([_firing("1", rule="leave", actions=(_remove("x"),))], [])
    flag = ir.StateFlag("in_list", "x")
    view = state.view()
    assert view.customers(flag, "shop", NOW).tolist() == ["1"]  # ids as stored: text
    assert view.customers(flag, "other", NOW).tolist() == []  # another campaign's run: history
    assert view.customers(flag, "shop", NOW + timedelta(seconds=1)).tolist() == []
    later = Ledger(state, "shop", NOW + timedelta(days=1), wall=Wall())
    later.start()
    later.record_plan([_firing("1", rule="back", actions=(_add("x"),))], [])
    assert view.customers(flag, "shop", NOW + timedelta(days=2)).tolist() == ["1"]
    assert view.customers(flag, "shop", NOW + timedelta(days=1)).tolist() == []  # its own add


def _members(state) -> list[tuple]:
    """The lists' current members: removals are kept, with their time."""
    lm = T.list_members.c
    query = sa.select(lm.list_name, lm.customer_id).where(lm.removed_at.is_(None))
    with state.engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(query))


def test_unsubscribe_is_recorded_for_one_channel_or_all(state):
    ledger = _ledger(state)
    ledger.record_plan(
        [
            _firing("1", status="done", actions=(_unsubscribe("sms"),)),
            _firing("2", status="done", actions=(_unsubscribe(),)),
        ],
        [],
    )
    assert _rows(state, T.suppressions, "customer_id", "channel", "campaign") == [
        ("1", "sms", "shop"),
        ("2", "*", "shop"),
    ]


def test_held_out_and_variant_firings_are_assigned(state):
    ledger = _ledger(state)
    ledger.record_plan(
        [
            _firing("1", status="held_out"),
            _firing("2", rule="ab", variant="B"),
            _firing("3"),
        ],
        [],
    )
    assert _rows(state, T.assignments, "kind", "customer_id", "value") == [
        ("holdout", "1", "held_out"),
        ("variant:ab", "2", "B"),
    ]
    held = _message(state, "shop/nudge/1/0")
    assert (held["status"], held["payload"], held["channel"]) == ("held_out", None, None)


def test_skips_are_recorded_with_the_run_and_until(state):
    ledger = _ledger(state)
    until = datetime(2026, 11, 23, 7)
    ledger.record_plan([], [Skip("nudge", "1", "no_consent"), Skip("nudge", "2", "quiet", until)])
    assert _rows(state, T.skips, "run_id", "customer_id", "reason", "until") == [
        (ledger.run_id, "1", "no_consent", None),
        (ledger.run_id, "2", "quiet", until),
    ]


# ---- claims ----------------------------------------------------------------------------------


def test_claim_takes_free_planned_messages_oldest_first_up_to_the_limit(state):
    ledger = _ledger(state)
    keys = _planned(ledger, 5)
    ledger.record_plan([_firing("9", status="held_out")], [])
    first = ledger.claim(3)
    assert [c.key for c in first] == keys[:3]
    assert [c.key for c in ledger.claim(10)] == keys[3:]
    assert ledger.claim(10) == []
    claimed = first[0]
    assert (claimed.rule, claimed.customer_id) == ("nudge", "1")
    assert (claimed.step, claimed.attempts) == (0, 0)
    assert claimed.planned_by == ledger.run_id
    assert claimed.message.idempotency_key == keys[0]
    assert _message(state, keys[0])["claimed_by"] == ledger.run_id


def test_claim_gives_every_step_and_the_failover_after_the_current_one(state):
    ledger = _ledger(state)
    ledger.record_plan([_firing("1", channels=("sms", "push", "email"))], [])
    (claimed,) = ledger.claim(1)
    assert [s for s, _ in claimed.messages] == [0, 1, 2]
    step, message = claimed.next_step()
    assert (step, message.channel, message.idempotency_key) == (1, "push", "shop/nudge/1/0/1")


def test_claim_leaves_other_campaigns_and_other_runs_claims(state):
    mine, theirs = _ledger(state), _ledger(state, campaign="other")
    _planned(mine, 2)
    _planned(theirs, 2, campaign="other")
    rival = _ledger(state)
    assert len(rival.claim(1)) == 1
    assert [c.key for c in mine.claim(10)] == ["shop/nudge/2/0"]


def test_claim_waits_out_a_backoff_on_the_wall_clock(state):
    wall = Wall()
    ledger = _ledger(state, wall=wall)
    (key,) = _planned(ledger, 1)
    (claimed,) = ledger.claim(1)
    retry_at = WALL + timedelta(seconds=30)
    ledger.apply([Update(claimed.id, {"claimed_by": None, "next_attempt_at": retry_at})])
    assert ledger.claim(1) == []
    wall.at = retry_at
    assert [c.key for c in ledger.claim(1)] == [key]


def test_a_resumed_claim_names_the_run_that_planned_it(state):
    planner = _ledger(state)
    _planned(planner, 1)
    resumer = _ledger(state)
    (claimed,) = resumer.claim(1)
    assert claimed.planned_by == planner.run_id != resumer.run_id


def test_two_runs_claiming_at_once_take_every_message_exactly_once(state_url):
    total = 60
    states = [_open(state_url) for _ in range(2)]
    try:
        setup = _ledger(states[0])
        _planned(setup, total)
        ledgers = [_ledger(s) for s in states]
        taken: list[list[str]] = [[], []]
        start = threading.Barrier(2)
        lock = threading.Lock()
        errors = []

        def claim_all(n: int) -> None:
            try:
                start.wait()
                for _ in range(10 * total):  # until every row is taken by one run or the other
                    got = ledgers[n].claim(3)
                    with lock:
                        taken[n] += [c.key for c in got]
                        if len(taken[0]) + len(taken[1]) >= total:
                            return
            except Exception as error:  # reported below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=claim_all, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        everything = taken[0] + taken[1]
        assert len(everything) == total
        assert len(set(everything)) == total
        holders = dict(_rows(states[0], T.messages, "idempotency_key", "claimed_by"))
        for n, ledger in enumerate(ledgers):
            assert all(holders[key] == ledger.run_id for key in taken[n])
    finally:
        for s in states:
            s.engine.dispose()


# ---- results ---------------------------------------------------------------------------------


def test_apply_records_results_of_different_shapes_in_one_go(state):
    ledger = _ledger(state)
    keys = _planned(ledger, 2)
    sent, retry = ledger.claim(2)
    later = WALL + timedelta(seconds=2)
    ledger.apply(
        [
            Update(sent.id, {"status": "sent", "claimed_by": None, "attempts": 1}),
            Update(retry.id, {"claimed_by": None, "attempts": 1, "next_attempt_at": later}),
        ]
    )
    first, second = (_message(state, k) for k in keys)
    assert (first["status"], first["attempts"], first["claimed_by"]) == ("sent", 1, None)
    assert (second["status"], second["next_attempt_at"]) == ("planned", later)


def test_apply_ignores_rows_no_longer_claimed_by_this_run(state):
    stalled = _ledger(state)
    keys = _planned(stalled, 2)
    gone, kept = stalled.claim(2)
    with state.engine.begin() as connection:  # released and taken over by another run
        connection.execute(T.messages.update().where(M.id == gone.id).values(claimed_by=None))
    takeover = _ledger(state)
    assert [c.key for c in takeover.claim(5)] == [keys[0]]
    stalled.apply(
        [
            Update(gone.id, {"status": "failed", "claimed_by": None}),
            Update(kept.id, {"status": "sent", "claimed_by": None}),
        ]
    )
    assert _message(state, keys[0])["status"] == "planned"
    assert _message(state, keys[0])["claimed_by"] == takeover.run_id
    assert _message(state, keys[1])["status"] == "sent"


def test_next_retry_at_is_the_earliest_free_backoff(state):
    ledger = _ledger(state)
    _planned(ledger, 3)
    assert ledger.next_retry_at() is None
    a, b, c = ledger.claim(3)
    soon, late = WALL + timedelta(seconds=5), WALL + timedelta(seconds=50)
    ledger.apply(
        [
            Update(a.id, {"claimed_by": None, "next_attempt_at": late}),
            Update(b.id, {"claimed_by": None, "next_attempt_at": soon}),
        ]
    )
    assert ledger.next_retry_at() == soon
    ledger.apply([Update(c.id, {"next_attempt_at": WALL})])  # still claimed: not waiting
    assert ledger.next_retry_at() == soon


# ---- payload ---------------------------------------------------------------------------------


def test_the_payload_gives_back_the_planned_messages():
    sms = make_message(channel="sms", text="Hi", subject=None, body=None, parts=2, variant="A")
    email = make_message(idempotency_key="k/1", metadata={"utm": "x"})
    messages = ((0, sms), (2, email))
    assert messages_of(payload(messages)) == messages


# ---- migration 0002 --------------------------------------------------------------------------


def test_upgrading_a_0001_state_keeps_its_rows(empty_url):
    from alembic import command
    from alembic.config import Config

    engine = _quick(sa.create_engine(empty_url))
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    when = NOW.replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO runs (campaign, now, dry_run, status, started_at) "
                "VALUES ('shop', :when, false, 'finished', :when)"
            ),
            {"when": when},
        )
        connection.execute(
            sa.text(
                "INSERT INTO messages (idempotency_key, run_id, campaign, rule, customer_id, "
                "occurrence, channel, status, attempts, planned_at, sent_at) VALUES "
                "('shop/nudge/1/0', 1, 'shop', 'nudge', '1', 0, 'sms', 'sent', 1, :when, :when)"
            ),
            {"when": when},
        )
        connection.execute(
            sa.text(
                "INSERT INTO skips (run_id, rule, customer_id, reason) "
                "VALUES (1, 'nudge', '2', 'cap')"
            )
        )
    engine.dispose()
    state = _open(empty_url)
    try:
        assert state.version() == HEAD
        row = _message(state, "shop/nudge/1/0")
        assert (row["status"], row["sent_at"], row["channel"]) == ("sent", when, "sms")
        assert (row["step"], row["payload"], row["claimed_by"]) == (None, None, None)
        assert _run(state, 1)["status"] == "finished"
        assert _rows(state, T.skips, "customer_id", "reason", "until") == [("2", "cap", None)]
        ledger = _ledger(state)
        assert ledger.release_dead_runs() == 0
        assert ledger.claim(10) == []  # a sent row is never claimed
        assert ledger.record_plan([_firing("1")], []) == set()  # the old row keeps its key
    finally:
        state.engine.dispose()
