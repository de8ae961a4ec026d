from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import orjson
import pytest

from winlang.channels.outbox import OutboxChannel
from winlang.contracts.errors import ChannelError
from winlang.contracts.message import Outcome
from winlang.plugins import make_plugin_manager
from winlang.testing import make_message, make_messages


def lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_one_json_object_per_message(tmp_path):
    outbox = OutboxChannel(tmp_path / "sms.jsonl")
    batch = make_messages(3, text="Hi", subject=None, body=None)
    results = outbox.send(batch)
    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    assert lines(tmp_path / "sms.jsonl") == [m.as_json() for m in batch]
    assert results[0].provider_id == batch[0].message_id


def test_settings_path_is_relative_to_the_config_folder(tmp_path):
    hook = make_plugin_manager(load_entry_points=False).hook
    channel = hook.winlang_channel(
        plugin="outbox", name="sms", settings={"path": "out/deep/sms.jsonl", "root": tmp_path}
    )
    channel.send([make_message()])
    channel.close()
    assert len(lines(tmp_path / "out" / "deep" / "sms.jsonl")) == 1


@pytest.mark.parametrize(
    ("settings", "key"),
    [({"path": 3}, "path"), ({"batch_size": 0}, "batch_size"), ({"rate_per_second": "x"}, "rate")],
)
def test_bad_settings_name_channel_and_key(settings, key, tmp_path):
    with pytest.raises(ChannelError, match=rf"channel `sms` \(outbox\): `{key}"):
        OutboxChannel.from_settings("sms", {"root": tmp_path, **settings})


@pytest.mark.parametrize("rate", [1e-300, 0.0001, float("nan"), float("inf"), -1.0, 0, 1e10, True])
def test_a_rate_that_is_not_a_usable_number_is_refused(rate, tmp_path):
    # 1e-300 overflowed the wait between batches; nan and inf were taken as rates
    with pytest.raises(ChannelError, match=r"channel `sms` \(outbox\): `rate_per_second` must"):
        OutboxChannel.from_settings("sms", {"root": tmp_path, "rate_per_second": rate})


def test_a_slow_but_sane_rate_is_taken(tmp_path):
    channel = OutboxChannel.from_settings("sms", {"root": tmp_path, "rate_per_second": 0.001})
    assert channel.rate_per_second == 0.001


def test_repeats_are_dropped_across_instances(tmp_path):
    path = tmp_path / "o.jsonl"
    batch = make_messages(2)
    first = OutboxChannel(path)
    first.send(batch)
    first.close()
    again = OutboxChannel(path)
    assert [r.outcome for r in again.send([*batch, batch[0]])] == [Outcome.SENT] * 3
    assert len(lines(path)) == 2


def test_a_torn_last_line_is_repaired_not_duplicated(tmp_path):
    path = tmp_path / "o.jsonl"
    done, torn = make_messages(2)
    whole = orjson.dumps(done.as_json()) + b"\n"
    path.write_bytes(whole + orjson.dumps(torn.as_json())[:25])  # killed mid-write
    outbox = OutboxChannel(path)
    outbox.send([done, torn])
    outbox.send([torn])
    assert [line["idempotency_key"] for line in lines(path)] == [
        done.idempotency_key,
        torn.idempotency_key,
    ]


def test_each_batch_is_fsynced(tmp_path, monkeypatch):
    calls = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    outbox = OutboxChannel(tmp_path / "o.jsonl")
    outbox.send(make_messages(3))
    outbox.send(make_messages(3))
    assert len(calls) == 2


def test_an_unwritable_file_is_a_temporary_failure(tmp_path):
    (tmp_path / "o.jsonl").mkdir()  # a folder where the file should be
    results = OutboxChannel(tmp_path / "o.jsonl").send(make_messages(2))
    assert {r.outcome for r in results} == {Outcome.TEMPORARY}
    assert "o.jsonl" in results[0].error


def _append(path: str, offset: int) -> None:
    outbox = OutboxChannel(Path(path), batch_size=10)
    batch = make_messages(200)
    for start in range(offset, 200, 10):
        outbox.send(batch[start : start + 10])
    for start in range(0, 200, 10):  # overlapping keys, sent again from this process
        outbox.send(batch[start : start + 10])
    outbox.close()


def test_two_processes_appending_at_once_write_each_key_once(tmp_path):
    path = tmp_path / "o.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append, args=(str(path), n)) for n in (0, 100)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    keys = [line["idempotency_key"] for line in lines(path)]
    assert len(keys) == 200 == len(set(keys))
