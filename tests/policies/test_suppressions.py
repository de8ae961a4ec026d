"""Which events suppress whom on which channel: the columnar reader against a plain model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from winlang.contracts.source import Layout
from winlang.policies.contact import ALL
from winlang.policies.suppressions import (
    customer_suppressions,
    is_hard_bounce,
    suppression_pairs,
)
from winlang.sources.memory import MemorySource

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TYPES = ["unsubscribe", "complaint", "hard_bounce", "bounce", "open", "Unsubscribe"]
CHANNELS = [None, "", "  ", "email", "sms"]
BOUNCE_TYPES = [
    None,
    "hard",
    "HardBounce",
    "Permanent",
    "hard-bounce",
    "Hard Bounce",
    "soft",
    "Transient",
]

events_strategy = st.lists(
    st.tuples(
        st.sampled_from(["1", "2", "3", "4"]),
        st.sampled_from(TYPES),
        st.sampled_from(CHANNELS),
        st.integers(-3, 3),  # days from now
        st.sampled_from(BOUNCE_TYPES),
    ),
    max_size=30,
)


def model(events: list[tuple]) -> set[tuple[str, str]]:
    """The rules of docs/policies.md ("Suppressions"), one event at a time."""
    found = set()
    for customer, kind, channel, days, bounce in events:
        plain = "".join(c for c in (bounce or "").lower() if c not in " _-")
        hard = plain in ("hard", "hardbounce", "permanent")
        suppresses = kind in ("unsubscribe", "complaint", "hard_bounce") or (
            kind == "bounce" and hard
        )
        if suppresses and days <= 0:
            found.add((customer, (channel or "").strip() or ALL))
    return found


def source(events: list[tuple], layout: Layout | None = None) -> MemorySource:
    layout = layout or Layout()
    customer, kind, channel, days, bounce = (list(c) for c in zip(*events, strict=True))
    table = pa.table(
        {
            layout.customer_id: customer,
            layout.type: kind,
            layout.channel: pa.array(channel, pa.string()),
            layout.occurred_at: pa.array(
                [NOW.replace(tzinfo=None) + timedelta(days=d) for d in days], pa.timestamp("us")
            ),
            layout.bounce_type: pa.array(bounce, pa.string()),
        }
    )
    return MemorySource(pa.table({"id": ["1", "2", "3", "4"]}), table, layout)


@given(events_strategy)
def test_the_reader_suppresses_what_the_model_says(events):
    if not events:
        return
    assert set(suppression_pairs(source(events), None, NOW)) == model(events)


@given(events_strategy)
def test_explain_lists_the_same_suppressions(events):
    if not events:
        return
    store = source(events)
    listed = {(c, s.channel) for c in "1234" for s in customer_suppressions(store, None, c, NOW)}
    assert listed == model(events)


def test_only_the_customers_asked_for():
    events = [("1", "unsubscribe", "sms", 0, None), ("2", "complaint", None, -1, None)]
    wanted = pa.array(["2"]).to_numpy(zero_copy_only=False)
    assert suppression_pairs(source(events), None, NOW, wanted) == {("2", ALL)}


def test_mapped_names_are_read():
    layout = Layout(
        customer_id="cust", type="kind", channel="medium", occurred_at="at", bounce_type="sev"
    )
    events = [("3", "bounce", "email", -1, "permanent"), ("4", "bounce", "email", -1, "temporary")]
    assert suppression_pairs(source(events, layout), None, NOW) == {("3", "email")}


def test_hard_bounce_types_of_real_providers():
    values = ["HardBounce", "SoftBounce", "Permanent", "Transient", "permanent", "temporary"]
    assert is_hard_bounce(pa.array(values)).tolist() == [True, False, True, False, True, False]
    assert is_hard_bounce(pa.array(["hard"]).dictionary_encode()).tolist() == [True]
    assert is_hard_bounce(pa.nulls(2)).tolist() == [False, False]
