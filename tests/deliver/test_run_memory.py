"""A real run's memory follows the batch, not the run: what the planner holds of every
matched customer is let go before the sending loop, which reads the ledger a batch at a
time (what grows with the outbox file, its duplicate filter, is 16 bytes a key:
tests/channels/test_seen_keys.py)."""

from __future__ import annotations

import weakref
from dataclasses import replace
from datetime import UTC, datetime

import pyarrow as pa

import winlang.deliver.run as run
from winlang.config import DEFAULT_CHANNELS, Config
from winlang.deliver.send import Sender
from winlang.evaluate import evaluate_campaign
from winlang.project import checked_text
from winlang.sources.memory import MemorySource
from winlang.state import open_state

CUSTOMERS = 60
CAMPAIGN = 'campaign "memory"\ntemplate hi sms "hi"\nrule r: when orders > 0 then send sms hi\n'


def _store() -> MemorySource:
    customers = pa.table(
        {
            "id": pa.array(range(1, CUSTOMERS + 1), pa.int64()),
            "orders": pa.array([1.0] * CUSTOMERS),
            "phone": pa.array(["+40722000000"] * CUSTOMERS),
            "consent_sms": pa.array([True] * CUSTOMERS),
        }
    )
    events = pa.table(
        {
            "customer_id": pa.array([], pa.int64()),
            "type": pa.array([], pa.string()),
            "occurred_at": pa.array([], pa.timestamp("us")),
        }
    )
    return MemorySource(customers, events)


def test_the_planner_is_let_go_before_the_sending(tmp_path, monkeypatch) -> None:
    planners: list[weakref.ref] = []
    alive_while_sending: list[bool] = []
    write_plan, send = run._write_plan, Sender.run

    def writing(ledger, planner, size, progress):
        planners.append(weakref.ref(planner))
        return write_plan(ledger, planner, size, progress)

    def sending(self):
        alive_while_sending.append(planners[0]() is not None)
        return send(self)

    monkeypatch.setattr(run, "_write_plan", writing)
    monkeypatch.setattr(Sender, "run", sending)
    channels = {
        name: replace(channel, settings={"path": f"outbox/{name}.jsonl"})
        for name, channel in DEFAULT_CHANNELS.items()
    }
    config = Config(root=tmp_path, channels=channels)
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    source = _store()
    checked = checked_text(CAMPAIGN, source.schema(), config)
    now = datetime(2026, 11, 22, 10, tzinfo=UTC)
    evaluation = evaluate_campaign(checked, source, now, state=state.view())
    delivery = run.deliver_campaign(checked, evaluation, source, config, state)
    assert sum(delivery.tally.sent.values()) == CUSTOMERS
    assert alive_while_sending == [False]
