"""The sending loop: every result settled into the ledger (sent, retried after a backoff,
failed over to the next step, failed), batches per channel, and the loop that runs until
nothing is left to send."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from winlang.config import Channel, Config, DeliverySettings
from winlang.contracts.message import Outcome, SendResult
from winlang.deliver.channels import ChannelPool
from winlang.deliver.ledger import (
    Claimed,
    Ledger,
    UnreadableRow,
    messages_of,
    payload,
    read_claimed,
    wall_clock,
)
from winlang.deliver.prepare import Firing
from winlang.deliver.send import Sender, Tally, backoff, batches, settle
from winlang.hookspecs import hookimpl
from winlang.plugins import make_plugin_manager
from winlang.state import open_state
from winlang.state import tables as T
from winlang.testing import RecordingChannel, make_message

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
RUN_NOW = NOW.replace(tzinfo=None)
WALL = datetime(2026, 11, 22, 12, 0, 0)
SETTINGS = DeliverySettings(backoff_seconds=2.0, backoff_max_seconds=300.0, max_attempts=5)
M = T.messages.c


def _claimed(channels=("sms", "push"), step: int = 0, attempts: int = 0) -> Claimed:
    key = "shop/nudge/1/0"
    messages = tuple(
        (s, make_message(channel=c, to=f"{c}-1", idempotency_key=key if s == 0 else f"{key}/{s}"))
        for s, c in enumerate(channels)
    )
    return Claimed(7, key, "nudge", "1", step, attempts, messages, planned_by=1)


def _result(claimed: Claimed, outcome: Outcome, error: str | None = None) -> SendResult:
    return SendResult(claimed.message.idempotency_key, outcome, "prov-1", error)


# ---- settle ----------------------------------------------------------------------------------


def test_a_sent_message_is_sent_at_the_runs_clock():
    claimed = _claimed(attempts=2)
    update, what = settle(claimed, _result(claimed, Outcome.SENT), SETTINGS, RUN_NOW, WALL)
    assert what == "sent"
    assert update.id == 7
    assert update.values == {
        "status": "sent",
        "provider_id": "prov-1",
        "sent_at": RUN_NOW,
        "attempts": 3,
        "claimed_by": None,
        "next_attempt_at": None,
    }


def test_a_temporary_failure_is_retried_after_the_backoff_on_the_wall_clock():
    claimed = _claimed(attempts=1)
    result = _result(claimed, Outcome.TEMPORARY, "timeout")
    update, what = settle(claimed, result, SETTINGS, RUN_NOW, WALL)
    assert what == "retry"
    assert update.values == {
        "attempts": 2,
        "error": "sms: timeout",
        "next_attempt_at": WALL + timedelta(seconds=4),
        "claimed_by": None,
    }


def test_the_last_temporary_failure_gives_up():
    claimed = _claimed(attempts=SETTINGS.max_attempts - 1)
    result = _result(claimed, Outcome.TEMPORARY, "timeout")
    update, what = settle(claimed, result, SETTINGS, RUN_NOW, WALL)
    assert what == "failed"
    assert update.values["status"] == "failed"
    assert update.values["attempts"] == SETTINGS.max_attempts
    assert update.values["error"] == "sms: timeout (gave up after 5 attempts)"
    assert (update.values["claimed_by"], update.values["next_attempt_at"]) == (None, None)


def test_a_permanent_failure_fails_over_to_the_next_step_with_attempts_reset():
    claimed = _claimed(("sms", "push"), attempts=3)
    result = _result(claimed, Outcome.PERMANENT, "bad number")
    update, what = settle(claimed, result, SETTINGS, RUN_NOW, WALL)
    assert what == "failover"
    push = claimed.messages[1][1]
    assert update.values == {
        "step": 1,
        "channel": "push",
        "template": push.template,
        "address": "push-1",
        "parts": push.parts,
        "attempts": 0,
        "error": "sms: bad number",
        "claimed_by": None,
        "next_attempt_at": None,
    }


def test_a_permanent_failure_on_the_last_step_fails_the_message():
    claimed = _claimed(("sms", "push"), step=1)
    update, what = settle(claimed, _result(claimed, Outcome.PERMANENT), SETTINGS, RUN_NOW, WALL)
    assert what == "failed"
    assert update.values["status"] == "failed"
    assert update.values["attempts"] == 1
    assert update.values["error"] == "push: permanent"  # no error text: the outcome


def test_failover_skips_to_the_next_planned_step_not_the_next_number():
    key = "shop/nudge/1/0"
    messages = (
        (0, make_message(channel="sms", idempotency_key=key)),
        (2, make_message(channel="email", idempotency_key=f"{key}/1")),
    )
    claimed = Claimed(7, key, "nudge", "1", 0, 0, messages, planned_by=1)
    update, what = settle(claimed, _result(claimed, Outcome.PERMANENT), SETTINGS, RUN_NOW, WALL)
    assert (what, update.values["step"], update.values["channel"]) == ("failover", 2, "email")


# ---- backoff and batches ---------------------------------------------------------------------


def test_backoff_doubles_up_to_its_cap():
    settings = DeliverySettings(backoff_seconds=1.5, backoff_max_seconds=10.0)
    assert [backoff(n, settings) for n in range(1, 6)] == [1.5, 3.0, 6.0, 10.0, 10.0]
    assert backoff(3, DeliverySettings(backoff_seconds=0)) == 0


def test_backoff_stays_at_its_cap_after_very_many_attempts():
    settings = DeliverySettings(max_attempts=5000)
    assert backoff(1100, settings) == settings.backoff_max_seconds


def test_batches_group_by_current_channel_up_to_the_channels_size():
    sms = [_claimed(("sms",)) for _ in range(5)]
    push = [_claimed(("sms", "push"), step=1) for _ in range(2)]
    mixed = [sms[0], push[0], *sms[1:], push[1]]
    found = list(batches(mixed, {"sms": 2, "push": 10}.__getitem__))
    assert [[c.message.channel for c in b] for b in found] == [
        ["sms", "sms"],
        ["sms", "sms"],
        ["sms"],
        ["push", "push"],
    ]
    assert [c for b in found for c in b] == [*sms, *push]  # in claim order within a channel


def test_tally_totals():
    tally = Tally(retries=2, failovers=1, resumed=3)
    tally.sent.update({"a": 2, "b": 1})
    tally.failed.update({"a": 1})
    assert tally.totals() == {
        "sent": 3,
        "failed": 1,
        "sms_parts": 0,
        "retries": 2,
        "failovers": 1,
        "resumed": 3,
    }


# ---- the loop --------------------------------------------------------------------------------


class Provider:
    """The far side of a channel, shared by every thread's instance of it."""

    def __init__(self, batch_size: int = 100) -> None:
        self.recording = RecordingChannel(batch_size=batch_size)
        self.lock = threading.Lock()
        self.before: Callable[[], None] = lambda: None  # runs in the sending thread


class Handle:
    """One thread's instance of a channel, answering from its provider."""

    plugin = "fake"
    rate_per_second = None

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.batch_size = provider.recording.batch_size

    def send(self, batch):
        self.provider.before()
        with self.provider.lock:
            return self.provider.recording.send(batch)

    def close(self) -> None:
        pass


class Plugin:
    def __init__(self, providers: dict[str, Provider]) -> None:
        self.providers = providers

    @hookimpl
    def winlang_channel(self, plugin, name, settings):
        return Handle(self.providers[name]) if plugin == "fake" else None


@pytest.fixture
def providers(monkeypatch) -> dict[str, Provider]:
    providers = {"sms": Provider(), "push": Provider()}
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(Plugin(providers))
    monkeypatch.setattr("winlang.plugins.plugin_manager", lambda: manager)
    return providers


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(
        root=tmp_path,
        channels={
            "sms": Channel("sms", "fake", "sms", "phone", "consent_sms"),
            "push": Channel("push", "fake", "push", "push_token", "consent_push"),
        },
    )


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated state to copy: migrating for every test would be slow."""
    path = tmp_path_factory.mktemp("template") / "state.db"
    open_state(f"sqlite:///{path}").engine.dispose()
    return path


@pytest.fixture
def state(tmp_path, sqlite_template):
    shutil.copyfile(sqlite_template, tmp_path / "state.db")
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    # no disk flush at each commit: the tests stay fast, the locking is unchanged
    sa.event.listen(state.engine, "connect", lambda db, _: db.execute("PRAGMA synchronous=OFF"))
    state.engine.dispose()
    yield state
    state.engine.dispose()


class Wall:
    def __init__(self) -> None:
        self.at = WALL

    def __call__(self) -> datetime:
        return self.at


def _firing(customer: str, channels=("sms",)) -> Firing:
    key = f"shop/nudge/{customer}/0"
    messages = tuple(
        (
            step,
            make_message(
                campaign="shop",
                rule="nudge",
                customer_id=customer,
                channel=channel,
                to=f"{channel}-{customer}",
                idempotency_key=key if step == 0 else f"{key}/{step}",
            ),
        )
        for step, channel in enumerate(channels)
    )
    return Firing(key, "nudge", customer, 0, "planned", None, messages, ())


def _ledger(state, wall=None) -> Ledger:
    ledger = Ledger(state, "shop", NOW, wall=wall or wall_clock)
    ledger.start()
    return ledger


def _send(state, config, settings, *firings: Firing, wall=None, sleep=None, progress=None):
    ledger = _ledger(state, wall)
    ledger.record_plan(list(firings), [])
    pool = ChannelPool(config, ["sms", "push"])
    try:
        return Sender(
            ledger, pool, settings, progress or (lambda done: None), sleep or time.sleep
        ).run()
    finally:
        pool.close()


def _rows(state) -> dict[str, dict]:
    with state.engine.connect() as connection:
        rows = connection.execute(sa.select(T.messages).order_by(M.id)).all()
    return {row.idempotency_key: dict(row._mapping) for row in rows}


FAST = DeliverySettings(backoff_seconds=0, max_attempts=5, concurrency=2)


def test_temporary_failures_are_retried_until_every_message_is_sent_once(state, config, providers):
    sms = providers["sms"].recording
    sms.fail("shop/nudge/1/0", Outcome.TEMPORARY, times=3)
    sms.fail("shop/nudge/2/0", Outcome.TEMPORARY, times=1)
    tally = _send(state, config, FAST, *(_firing(str(n)) for n in range(1, 5)))
    keys = [f"shop/nudge/{n}/0" for n in range(1, 5)]
    assert sorted(sms.sent_keys) == keys
    assert len(sms.messages) == 4 + 3 + 1
    assert (tally.sent, tally.retries, tally.failed) == ({"nudge": 4}, 4, {})
    rows = _rows(state)
    assert [rows[k]["status"] for k in keys] == ["sent"] * 4
    assert [rows[k]["attempts"] for k in keys] == [4, 2, 1, 1]
    assert {rows[k]["sent_at"] for k in keys} == {RUN_NOW}
    assert {rows[k]["claimed_by"] for k in keys} == {None}
    assert rows[keys[0]]["provider_id"].startswith("rec-")


def test_a_permanent_failure_is_sent_on_the_second_steps_channel(state, config, providers):
    providers["sms"].recording.fail("shop/nudge/1/0", Outcome.PERMANENT)
    tally = _send(state, config, FAST, _firing("1", ("sms", "push")), _firing("2", ("sms", "push")))
    assert providers["push"].recording.sent_keys == ["shop/nudge/1/0/1"]
    assert providers["sms"].recording.sent_keys == ["shop/nudge/2/0"]
    assert (tally.failovers, tally.sent) == (1, {"nudge": 2})
    assert tally.channels["nudge"] == {"sms": 1, "push": 1}
    row = _rows(state)["shop/nudge/1/0"]
    assert (row["status"], row["channel"], row["step"], row["attempts"]) == ("sent", "push", 1, 1)
    assert (row["address"], row["error"]) == ("push-1", "sms: told to fail (permanent)")


def test_a_message_failing_everywhere_is_failed(state, config, providers):
    providers["sms"].recording.fail("shop/nudge/1/0", Outcome.PERMANENT)
    providers["push"].recording.fail("shop/nudge/1/0/1", Outcome.PERMANENT)
    tally = _send(state, config, FAST, _firing("1", ("sms", "push")))
    assert (tally.failed, tally.sent, tally.failovers) == ({"nudge": 1}, {}, 1)
    row = _rows(state)["shop/nudge/1/0"]
    assert (row["status"], row["error"]) == ("failed", "push: told to fail (permanent)")


def test_temporary_failures_past_max_attempts_fail_the_message(state, config, providers):
    providers["sms"].recording.fail("shop/nudge/1/0", Outcome.TEMPORARY)
    settings = DeliverySettings(backoff_seconds=0, max_attempts=3)
    tally = _send(state, config, settings, _firing("1", ("sms", "push")))
    assert len(providers["sms"].recording.messages) == 3
    assert providers["push"].recording.messages == []  # a temporary failure never fails over
    assert (tally.failed, tally.retries) == ({"nudge": 1}, 2)
    row = _rows(state)["shop/nudge/1/0"]
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert "gave up after 3 attempts" in row["error"]


def test_retries_wait_out_the_backoff_on_the_wall_clock(state, config, providers):
    providers["sms"].recording.fail("shop/nudge/1/0", Outcome.TEMPORARY, times=2)
    wall, slept = Wall(), []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        wall.at += timedelta(seconds=seconds)

    settings = DeliverySettings(backoff_seconds=2, backoff_max_seconds=300, max_attempts=5)
    tally = _send(state, config, settings, _firing("1"), wall=wall, sleep=sleep)
    assert tally.sent == {"nudge": 1}
    assert slept == pytest.approx([2.01, 4.01])


def test_batches_keep_to_the_channels_batch_size(state, config, providers):
    providers["sms"].recording.batch_size = 2  # a bigger batch would raise in the channel
    tally = _send(state, config, FAST, *(_firing(str(n)) for n in range(1, 8)))
    sizes = [len(b) for b in providers["sms"].recording.batches]
    assert sum(sizes) == 7 and max(sizes) == 2
    assert tally.sent == {"nudge": 7}


def test_progress_counts_messages_done_for_good(state, config, providers):
    providers["sms"].recording.fail("shop/nudge/1/0", Outcome.TEMPORARY, times=1)
    providers["sms"].recording.fail("shop/nudge/2/0", Outcome.PERMANENT)
    done: list[int] = []
    _send(state, config, FAST, *(_firing(str(n)) for n in range(1, 4)), progress=done.append)
    assert sum(done) == 3


def test_messages_of_an_earlier_run_are_resumed(state, config, providers):
    earlier = _ledger(state)
    earlier.record_plan([_firing("1"), _firing("2")], [])
    earlier.finish("failed")
    tally = _send(state, config, FAST, _firing("2"), _firing("3"))
    assert tally.resumed == 2
    assert sorted(providers["sms"].recording.sent_keys) == [
        "shop/nudge/1/0",
        "shop/nudge/2/0",
        "shop/nudge/3/0",
    ]


def test_messages_another_live_run_holds_are_not_sent(state, config, providers):
    other = _ledger(state)
    other.record_plan([_firing("1")], [])
    assert len(other.claim(1)) == 1
    tally = _send(state, config, FAST, _firing("2"))
    assert providers["sms"].recording.sent_keys == ["shop/nudge/2/0"]
    assert tally.sent == {"nudge": 1}
    assert _rows(state)["shop/nudge/1/0"]["status"] == "planned"


def test_nothing_planned_sends_nothing(state, config, providers):
    tally = _send(state, config, FAST)
    assert tally.totals() == {
        "sent": 0,
        "failed": 0,
        "sms_parts": 0,
        "retries": 0,
        "failovers": 0,
        "resumed": 0,
    }
    assert providers["sms"].recording.batches == []


def test_the_heartbeat_goes_on_while_a_slow_batch_is_in_flight(
    state, config, providers, monkeypatch
):
    monkeypatch.setattr(Sender, "HEARTBEAT_SECONDS", 0.01)
    ticks = iter(range(1_000_000))
    ledger = _ledger(state, wall=lambda: WALL + timedelta(seconds=next(ticks)))
    ledger.record_plan([_firing("1")], [])
    heartbeat = sa.select(T.runs.c.heartbeat_at).where(T.runs.c.id == ledger.run_id)

    def beat() -> datetime:
        with state.engine.connect() as connection:
            return connection.execute(heartbeat).scalar()

    before, moved = beat(), []

    def slow_send() -> None:  # a provider taking far longer than HEARTBEAT_SECONDS
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline and not moved:
            if beat() != before:
                moved.append(True)
            time.sleep(0.005)

    providers["sms"].before = slow_send
    pool = ChannelPool(config, ["sms", "push"])
    try:
        tally = Sender(ledger, pool, FAST).run()
    finally:
        pool.close()
    assert tally.sent == {"nudge": 1}
    assert moved, "no heartbeat while the batch was in flight"


def test_a_resumed_message_is_counted_once_however_often_it_is_retried(state, config, providers):
    earlier = _ledger(state)
    earlier.record_plan([_firing("1")], [])
    earlier.finish("failed")
    providers["sms"].recording.fail("shop/nudge/1/0", Outcome.TEMPORARY, times=2)
    tally = _send(state, config, FAST)
    assert (tally.sent, tally.retries) == ({"nudge": 1}, 2)
    assert tally.resumed == 1


# ---- attempts count only what was transmitted -----------------------------------------------


def test_a_message_never_transmitted_goes_back_without_an_attempt():
    claimed = _claimed(attempts=2)
    result = SendResult.not_attempted(claimed.message, "connection lost earlier in the batch")
    update, what = settle(claimed, result, SETTINGS, RUN_NOW, WALL)
    assert what == "requeued"
    assert update.values == {"claimed_by": None, "next_attempt_at": None}  # attempts stay 2


def test_messages_not_attempted_are_sent_later_at_no_cost(state, config, providers):
    sms = providers["sms"].recording
    for customer in ("2", "3"):  # as after a connection lost while sending customer 1's
        sms.fail(f"shop/nudge/{customer}/0", Outcome.TEMPORARY, times=1, attempted=False)
    firings = [_firing(c) for c in ("1", "2", "3")]
    tally = _send(state, config, FAST, *firings)
    rows = _rows(state)
    assert {k: (r["status"], r["attempts"]) for k, r in rows.items()} == {
        "shop/nudge/1/0": ("sent", 1),
        "shop/nudge/2/0": ("sent", 1),
        "shop/nudge/3/0": ("sent", 1),
    }
    assert tally.totals()["retries"] == 0 and tally.totals()["sent"] == 3


def test_a_channel_that_never_transmits_still_ends_the_run(state, config, providers):
    providers["sms"].recording.fail("shop/nudge/1/0", Outcome.TEMPORARY, attempted=False)
    tally = _send(state, config, FAST, _firing("1"))
    row = _rows(state)["shop/nudge/1/0"]
    assert (row["status"], row["attempts"]) == ("failed", FAST.max_attempts)
    assert tally.failed["nudge"] == 1


def test_failures_are_counted_by_rule_channel_and_reason_with_a_bounded_list():
    tally = Tally()
    for n in range(Tally.REASONS + 50):
        tally.fail("nudge", "sms", f"sms: HTTP 400: refused id {n}")
    tally.fail("nudge", "sms", "sms: HTTP 400: refused id 0")
    assert tally.failed["nudge"] == Tally.REASONS + 51
    assert tally.failures[("nudge", "sms", "HTTP 400: refused id 0")] == 2
    other = ("nudge", "sms", "other reasons (the ledger's `error` has each)")
    assert tally.failures[other] == 50 and len(tally.failures) == Tally.REASONS + 1


# ---- no poison rows: a row that can't be sent as planned is failed with a reason -------------


def _damage(state, key: str, **values) -> None:
    with state.engine.begin() as connection:
        connection.execute(T.messages.update().where(M.idempotency_key == key).values(**values))


def _run_sender(state, config, channels=("sms",)):
    """A run of a campaign that uses ``channels`` only, sending what the ledger holds."""
    ledger = _ledger(state)
    pool = ChannelPool(config, list(channels))
    try:
        return Sender(ledger, pool, FAST).run()
    finally:
        pool.close()


def _plan(state, *firings) -> None:
    earlier = _ledger(state)
    earlier.record_plan(list(firings), [])
    earlier.finish("failed")


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"payload": "{not json"}, "payload is not valid JSON"),
        ({"payload": None}, "payload is not a list of messages"),
        ({"payload": "[]"}, "payload is not a list of messages"),
        ({"payload": '[{"step": 0}]'}, "the message of step 0 is not a message"),
        ({"payload": '[{"step": "0", "message": {}}]'}, "has no whole-number `step`"),
        ({"payload": '[{"step": 0, "message": {"x": 1}}]'}, "a payload message does not fit"),
        ({"attempts": "three"}, "attempts is 'three', not a count"),
        ({"attempts": -1}, "attempts is -1, not a count"),
        ({"step": 4}, "step 4 is not one of the payload's steps"),
        ({"step": "zero"}, "step 'zero' is not one of the payload's steps"),
    ],
)
def test_a_damaged_row_is_failed_with_its_reason_and_the_run_goes_on(
    state, config, providers, values, problem
):
    _plan(state, *(_firing(str(n)) for n in range(1, 6)))
    _damage(state, "shop/nudge/3/0", **values)
    tally = _run_sender(state, config)
    assert sorted(providers["sms"].recording.sent_keys) == [
        f"shop/nudge/{n}/0" for n in (1, 2, 4, 5)
    ]
    assert (tally.sent, tally.failed) == ({"nudge": 4}, {"nudge": 1})
    row = _rows(state)["shop/nudge/3/0"]
    assert tally.failures == {("nudge", "sms", row["error"]): 1}  # the summary says which
    assert (row["status"], row["claimed_by"]) == ("failed", None)
    assert row["error"].startswith("unreadable ledger row: ") and problem in row["error"]
    again = _run_sender(state, config)
    assert again.totals()["failed"] == 0  # failed for good: never claimed again


def test_a_planned_message_on_a_channel_the_campaign_no_longer_uses_is_sent_on_it(
    state, config, providers
):
    """The campaign dropped its `else send push` after push messages were planned: the push
    channel is still configured, so they go out through it."""
    _plan(state, _firing("1", ("push",)), _firing("2"), _firing("3", ("push",)))
    tally = _run_sender(state, config, channels=("sms",))
    assert providers["push"].recording.sent_keys == ["shop/nudge/1/0", "shop/nudge/3/0"]
    assert providers["sms"].recording.sent_keys == ["shop/nudge/2/0"]
    assert (tally.sent, tally.failed) == ({"nudge": 3}, {})
    assert tally.channels["nudge"] == {"sms": 1, "push": 2}


def test_a_planned_message_on_a_channel_gone_from_the_configuration_is_failed(
    state, config, providers
):
    providers["chat"] = Provider()
    config.channels["chat"] = Channel("chat", "fake", "chat", "handle", "consent_chat")
    _plan(state, _firing("1", ("chat",)), _firing("2"), _firing("3", ("chat", "sms")))
    del config.channels["chat"]
    tally = _run_sender(state, config)
    assert providers["sms"].recording.sent_keys == ["shop/nudge/2/0"]
    assert providers["chat"].recording.messages == []
    assert (tally.sent, tally.failed) == ({"nudge": 1}, {"nudge": 2})
    gone = "channel `chat` is not configured: add [channels.chat]"
    assert tally.failures == {("nudge", "chat", gone): 2}
    rows = _rows(state)
    for key in ("shop/nudge/1/0", "shop/nudge/3/0"):
        assert rows[key]["status"] == "failed"
        assert rows[key]["error"] == gone


def test_a_channel_that_cant_be_opened_fails_its_messages_only(state, config, providers):
    config.channels["push"] = Channel("push", "not-installed", "push", "push_token", "c")
    _plan(state, _firing("1", ("push",)), _firing("2"))
    tally = _run_sender(state, config)
    assert providers["sms"].recording.sent_keys == ["shop/nudge/2/0"]
    error = _rows(state)["shop/nudge/1/0"]["error"]
    assert "no installed plugin provides `not-installed`" in error
    assert tally.failures == {("nudge", "push", error): 1}


def test_more_unsendable_rows_than_one_claim_do_not_end_the_run_early(state, config, providers):
    firings = [_firing(str(n), ("gone",)) for n in range(1, 40)] + [_firing("99")]
    config.channels["gone"] = Channel("gone", "fake", "sms", "phone", "consent_sms")
    _plan(state, *firings)
    del config.channels["gone"]
    tally = _run_sender(state, config)
    assert providers["sms"].recording.sent_keys == ["shop/nudge/99/0"]
    assert tally.failed == {"nudge": 39}


def test_an_unreadable_backoff_time_makes_the_message_due(state, config, providers):
    _plan(state, _firing("1"))
    with state.engine.begin() as connection:  # written as text, as a hand edit would
        connection.exec_driver_sql("UPDATE messages SET next_attempt_at = 'soon'")
    tally = _run_sender(state, config)
    assert tally.sent == {"nudge": 1}


def test_read_claimed_keeps_a_good_row_whole():
    firing = _firing("1", ("sms", "push"))
    row = (5, firing.key, "nudge", "1", 1, 2, payload(firing.messages), 3, "push")
    claimed = read_claimed(row)
    assert claimed.problem is None
    assert (claimed.step, claimed.attempts, claimed.messages) == (1, 2, firing.messages)
    with pytest.raises(UnreadableRow):
        messages_of("[1]")
