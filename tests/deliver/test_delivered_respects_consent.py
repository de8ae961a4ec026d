"""Property: whatever the customers, no delivered message goes to a customer without consent
and an address for its channel, or inside quiet hours on the customer's own clock — checked
on what the outbox actually received after a real run, around the 2026 DST changes.

The oracle is independent of the policies: consent is exactly true, the address is a
non-blank text, and the local time (``zoneinfo``, the campaign's zone for a missing or
unknown one) is outside ``[start, end)``.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.policies.strategies import instants, windows, zone_values
from winlang.config import DEFAULT_CHANNELS, Config
from winlang.deliver.run import deliver_campaign
from winlang.evaluate import evaluate_campaign
from winlang.project import checked_text
from winlang.sources.memory import MemorySource
from winlang.state import open_state

CAMPAIGN_ZONE = "Europe/Bucharest"
NUMBERS = itertools.count()

customers = st.lists(
    st.tuples(
        st.sampled_from([True, False, None]),  # consent_sms
        st.sampled_from(["+40", "", "  ", None]),  # phone
        st.sampled_from([True, False, None]),  # consent_push
        st.sampled_from(["tok", "", None]),  # push_token
        zone_values,
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("property")
    return folder, open_state(f"sqlite:///{folder / 'state.db'}")


def store(rows) -> MemorySource:
    consent_sms, phone, consent_push, token, zone = zip(*rows, strict=True)
    table = pa.table(
        {
            "id": pa.array(range(1, len(rows) + 1), pa.int64()),
            "orders": pa.array([1.0] * len(rows)),
            "phone": pa.array(phone, pa.string()),
            "consent_sms": pa.array(consent_sms, pa.bool_()),
            "push_token": pa.array(token, pa.string()),
            "consent_push": pa.array(consent_push, pa.bool_()),
            "timezone": pa.array([z if isinstance(z, str) else None for z in zone], pa.string()),
        }
    )
    events = pa.table(
        {
            "customer_id": pa.array([], pa.int64()),
            "type": pa.array([], pa.string()),
            "occurred_at": pa.array([], pa.timestamp("us")),
        }
    )
    return MemorySource(table, events)


def quiet(now: datetime, zone: object, start: time, end: time) -> bool:
    try:
        tz = ZoneInfo(zone) if isinstance(zone, str) and zone.strip() else ZoneInfo(CAMPAIGN_ZONE)
    except Exception:  # an unknown name: the campaign's zone, as documented
        tz = ZoneInfo(CAMPAIGN_ZONE)
    local = now.astimezone(tz).time().replace(tzinfo=None)
    return start <= local < end if start < end else local >= start or local < end


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=customers, now=instants(), window=windows())
def test_no_delivered_message_breaks_consent_or_quiet_hours(workspace, rows, now, window):
    folder, state = workspace
    number = next(NUMBERS)  # one campaign and one outbox per example, in a shared state
    start, end = window
    text = (
        f'campaign "p{number}"\n'
        f'  quiet hours {start:%H:%M} to {end:%H:%M}\n  timezone "{CAMPAIGN_ZONE}"\n'
        'template hi sms "hi"\ntemplate hi_push push "hi"\n'
        "rule r: when orders > 0 then send sms hi else send push hi_push\n"
    )
    channels = {
        name: replace(channel, settings={"path": f"outbox/{number}-{name}.jsonl"})
        for name, channel in DEFAULT_CHANNELS.items()
    }
    config = Config(root=folder, channels=channels)
    source = store(rows)
    checked = checked_text(text, source.schema(), config)
    evaluation = evaluate_campaign(checked, source, now.astimezone(UTC), state=state.view())
    deliver_campaign(checked, evaluation, source, config, state)

    consent = {"sms": 0, "push": 2}
    address = {"sms": 1, "push": 3}
    for channel in ("sms", "push"):
        path = folder / "outbox" / f"{number}-{channel}.jsonl"
        lines = path.read_bytes().splitlines() if path.exists() else []
        for line in lines:
            row = rows[int(orjson.loads(line)["customer_id"]) - 1]
            assert row[consent[channel]] is True
            assert isinstance(row[address[channel]], str) and row[address[channel]].strip()
            assert not quiet(now, row[4], start, end)
