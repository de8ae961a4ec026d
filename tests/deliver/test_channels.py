"""Opening channels through the plugin hook, pacing them, and the pool that gives each
sending thread its own instance and turns a misbehaving channel into temporary failures."""

from __future__ import annotations

import threading

import pytest

from winlang.config import Channel, Config
from winlang.contracts.errors import ChannelError
from winlang.contracts.message import Outcome, SendResult
from winlang.deliver.channels import ChannelPool, Pace, open_channel
from winlang.hookspecs import hookimpl
from winlang.plugins import BrokenPlugin, make_plugin_manager
from winlang.testing import RecordingChannel, make_messages


class Plugin:
    """Makes ``fake`` channels with a factory the test chooses; remembers every one."""

    def __init__(self) -> None:
        self.factory = lambda name, settings: RecordingChannel()
        self.made: list[tuple[str, object, dict]] = []  # (name, channel, settings)
        self.lock = threading.Lock()

    @hookimpl
    def winlang_channel(self, plugin, name, settings):
        if plugin != "fake":
            return None
        channel = self.factory(name, settings)
        with self.lock:
            self.made.append((name, channel, dict(settings)))
        return channel


@pytest.fixture
def plugin(monkeypatch) -> Plugin:
    plugin = Plugin()
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(plugin)
    monkeypatch.setattr("winlang.plugins.plugin_manager", lambda: manager)
    return plugin


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(
        root=tmp_path,
        channels={
            "sms": Channel("sms", "fake", "sms", "phone", "consent_sms", {"url": "http://x"}),
            "push": Channel("push", "fake", "push", "push_token", "consent_push"),
            "pigeon": Channel("pigeon", "carrier-pigeon", "other", "loft", "consent_sms"),
        },
    )


def _made(plugin: Plugin, name: str) -> list:
    return [channel for n, channel, _ in plugin.made if n == name]


# ---- open_channel ----------------------------------------------------------------------------


def test_open_channel_asks_the_plugin_with_the_settings_and_the_root(plugin, config, tmp_path):
    channel = open_channel(config, "sms")
    ((name, made, settings),) = plugin.made
    assert made is channel and name == "sms"
    assert settings == {"url": "http://x", "root": str(tmp_path)}


def test_a_channel_missing_from_the_config_is_an_error_naming_its_table(plugin, config):
    with pytest.raises(ChannelError, match=r"channel `whatsapp` is not configured.*\[channels"):
        open_channel(config, "whatsapp")


def test_a_plugin_nobody_provides_is_an_error_naming_it(plugin, config):
    with pytest.raises(ChannelError, match="no installed plugin provides `carrier-pigeon`"):
        open_channel(config, "pigeon")


def test_the_error_mentions_plugins_that_failed_to_load(plugin, config):
    import winlang.plugins as plugins

    manager = plugins.plugin_manager()
    manager.broken.append(BrokenPlugin("pigeons", "pigeons:plugin", "ImportError: no"))
    with pytest.raises(ChannelError, match=r"these plugins failed to load: plugin `pigeons`"):
        open_channel(config, "pigeon")


# ---- Pace ------------------------------------------------------------------------------------


class Clock:
    """A monotonic clock that moves only when someone sleeps."""

    def __init__(self, at: float = 100.0) -> None:
        self.at = at
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_pace_books_consecutive_batches_at_count_over_rate():
    clock = Clock()
    pace = Pace(5.0, clock, clock.sleep)
    assert [pace.wait(10), pace.wait(10), pace.wait(5), pace.wait(1)] == [0.0, 2.0, 4.0, 5.0]
    assert clock.slept == [2.0, 4.0, 5.0]


def test_pace_lets_a_batch_go_at_once_after_a_pause():
    clock = Clock()
    pace = Pace(10.0, clock, clock.sleep)
    pace.wait(10)  # booked until 101
    clock.at = 150.0
    assert pace.wait(10) == 0.0  # one batch goes at once after a pause,
    assert pace.wait(10) == 1.0  # but the pause is not saved up for a bigger burst
    assert clock.slept == [1.0]


def test_an_unlimited_pace_never_sleeps():
    clock = Clock()
    for rate in (None, 0):
        pace = Pace(rate, clock, clock.sleep)
        assert [pace.wait(1000) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert clock.slept == []


def test_threads_sharing_a_pace_get_distinct_slots():
    clock = Clock()
    pace = Pace(1.0, clock, clock.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def book() -> None:
        waited = pace.wait(1)
        with lock:
            waits.append(waited)

    threads = [threading.Thread(target=book) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [float(n) for n in range(8)]


# ---- ChannelPool -----------------------------------------------------------------------------


def test_the_pool_opens_each_channel_up_front(plugin, config):
    pool = ChannelPool(config, ["sms", "push"])
    assert [name for name, _, _ in plugin.made] == ["sms", "push"]
    assert set(pool.first) == {"sms", "push"}


def test_bad_channel_settings_fail_when_the_pool_is_made(plugin, config):
    def refuse(name, settings):
        raise ChannelError(f"channel `{name}`: `url` is required")

    plugin.factory = refuse
    with pytest.raises(ChannelError, match="`url` is required"):
        ChannelPool(config, ["sms"])


def test_each_thread_sends_on_its_own_instance(plugin, config):
    pool = ChannelPool(config, ["sms"])
    barrier = threading.Barrier(3)

    def send(thread: str) -> None:
        barrier.wait()  # all three alive at once: no thread's storage can be reused
        for n in range(2):
            pool.send("sms", make_messages(1, rule=f"{thread}-{n}"))

    threads = [threading.Thread(target=send, args=(str(n),)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    instances = _made(plugin, "sms")
    assert len(instances) == 1 + 3  # the first, for its settings, then one per thread
    assert instances[0].batches == []
    assert sorted(len(c.batches) for c in instances[1:]) == [2, 2, 2]
    for channel in instances[1:]:  # both sends of a thread went to the same instance
        threads_seen = {m.rule.split("-")[0] for m in channel.messages}
        assert len(threads_seen) == 1


def test_one_thread_keeps_one_instance_per_channel(plugin, config):
    pool = ChannelPool(config, ["sms", "push"])
    for _ in range(3):
        pool.send("sms", make_messages(2))
        pool.send("push", make_messages(1))
    assert len(_made(plugin, "sms")) == len(_made(plugin, "push")) == 2


def test_results_are_matched_to_messages_by_key(plugin, config):
    class Backwards(RecordingChannel):
        def send(self, batch):
            return list(reversed(super().send(batch)))

    plugin.factory = lambda name, settings: Backwards(permanent={"test/win_back/2/0"})
    messages = make_messages(3)
    results = ChannelPool(config, ["sms"]).send("sms", messages)
    assert [r.idempotency_key for r in results] == [m.idempotency_key for m in messages]
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.PERMANENT, Outcome.SENT]


def test_a_channel_that_raises_fails_the_batch_temporarily(plugin, config):
    class Raising(RecordingChannel):
        def send(self, batch):
            raise ConnectionResetError("peer went away")

    plugin.factory = lambda name, settings: Raising()
    results = ChannelPool(config, ["sms"]).send("sms", make_messages(2))
    assert [r.outcome for r in results] == [Outcome.TEMPORARY] * 2
    assert results[0].error == "channel `sms` raised ConnectionResetError: peer went away"


def test_a_message_left_without_a_result_fails_temporarily(plugin, config):
    class Forgetful(RecordingChannel):
        def send(self, batch):
            results = super().send(batch)
            stranger = SendResult("someone/else/9/0", Outcome.SENT)
            return [results[0], stranger]

    plugin.factory = lambda name, settings: Forgetful()
    first, second, third = ChannelPool(config, ["sms"]).send("sms", make_messages(3))
    assert first.outcome == Outcome.SENT
    assert (second.outcome, third.outcome) == (Outcome.TEMPORARY, Outcome.TEMPORARY)
    assert second.idempotency_key == "test/win_back/2/0"
    assert second.error == "channel `sms` gave no result for this message"


def test_batch_size_is_the_channels_and_at_least_one(plugin, config):
    plugin.factory = lambda name, settings: RecordingChannel(batch_size=0 if name == "push" else 7)
    pool = ChannelPool(config, ["sms", "push"])
    assert (pool.batch_size("sms"), pool.batch_size("push")) == (7, 1)


def test_each_channel_is_paced_at_its_own_rate(plugin, config):
    plugin.factory = lambda name, settings: RecordingChannel(
        rate_per_second=20.0 if name == "sms" else None
    )
    pool = ChannelPool(config, ["sms", "push"])
    assert (pool.pace["sms"].rate, pool.pace["push"].rate) == (20.0, None)
    clock = Clock()
    pool.pace["sms"] = Pace(20.0, clock, clock.sleep)
    pool.send("sms", make_messages(10))
    pool.send("sms", make_messages(4))
    assert clock.slept == [0.5]


def test_close_closes_every_instance_even_if_one_fails(plugin, config):
    class Stubborn(RecordingChannel):
        def close(self):
            super().close()
            raise OSError("already closed")

    plugin.factory = lambda name, settings: Stubborn() if name == "sms" else RecordingChannel()
    pool = ChannelPool(config, ["sms", "push"])
    worker = threading.Thread(target=pool.send, args=("push", make_messages(1)))
    worker.start()
    worker.join()
    pool.close()
    assert [c.closed for _, c, _ in plugin.made] == [1, 1, 1]
