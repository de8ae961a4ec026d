"""A dry run counts the plan with arrays (:mod:`winlang.deliver.preview`): the same numbers
as the real run's planner making every firing and counting them, checked against exactly
that — a reference that loops :meth:`Planner.plan` — over generated campaigns and data.

Two levels: planners built straight from generated arrays (any statuses, steps, usable
channels, values as Arrow, chunked Arrow or NumPy, earlier runs' deferred firings), and
whole dry runs of generated campaigns (quiet hours, holdout, splits) on a generated store,
through the real policies."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from winlang.config import Config, Limits, TrackingSettings
from winlang.deliver.columns import codes_of as _factorised
from winlang.deliver.prepare import Planner
from winlang.deliver.preview import Preview, _distinct, preview_plan
from winlang.deliver.run import plan_of, run_columns
from winlang.demo import generate, write_parquet, write_sqlite
from winlang.evaluate import evaluate_campaign, open_store
from winlang.links import STAND_IN_SECRET, Tracking
from winlang.plan import ir
from winlang.plan.delivery import delivery_plan
from winlang.policies.apply import PolicyOutcome
from winlang.policies.reasons import TOO_LONG, Status
from winlang.project import checked_text, open_project
from winlang.schema import load_schema_file

REPO = Path(__file__).resolve().parents[2]
SCHEMA = load_schema_file(REPO / "campaigns" / "schema.json")
NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)
# Checked with room for the longest generated text: a run's own limit is drawn, and what a
# long name pushes over it is the plan's to find.
LENIENT = Limits(sms_max_parts=10)
CHANNELS = ("sms", "push", "email")
# First names around the SMS limits: GSM-7 and UCS-2 (Korean, `ş`), the euro sign (two
# GSM-7 units), empty and null (the template's fallback).
NAMES = ["Ana", "Zoë", "Ştefan", "안녕하세요", "", None, "N" * 60, "N" * 140, "€" * 40, "N" * 400]


def counted_per_firing(planner: Planner, batch: int) -> Preview:
    """The reference: what a dry run counted before, every firing made by the real
    planner (every message rendered, failovers under their own keys), a slice at a time."""
    preview = Preview()
    deferred = planner.outcome.status == Status.DEFERRED
    total = len(planner.ids)
    for start in range(0, total, batch):
        rows = range(start, min(start + batch, total))
        firings, skips = planner.plan(rows)
        for firing in firings:
            if firing.status == "planned":
                message = firing.messages[0][1]
                preview.sent[firing.rule] += 1
                preview.channels[firing.rule][message.channel] += 1
                preview.parts[firing.rule] += message.parts or 0
        late = {str(planner.ids[i]) for i in rows if deferred[i]}
        for skip in skips:
            if skip.reason == TOO_LONG:
                preview.too_long[skip.rule] += 1
                preview.too_long_deferred[skip.rule] += skip.customer_id in late
    return preview


def counts(preview: Preview) -> dict:
    """A preview's numbers, zero counts left out (a Counter keeps a key it added 0 to)."""
    return {
        "sent": +preview.sent,
        "channels": {rule: +c for rule, c in preview.channels.items() if +c},
        "parts": +preview.parts,
        "too_long": +preview.too_long,
        "too_long_deferred": +preview.too_long_deferred,
    }


# ---- generated campaigns -------------------------------------------------------------------


@st.composite
def campaign_texts(draw, tracking: bool) -> str:
    """A campaign of 1-4 rules: send chains over sms, push and email with failovers, A/B
    splits, rules without `send`, `with` values constant or a customer's, SMS texts of any
    length (GSM-7 or not), `{link}`, and `{unsubscribe}` when there is `[tracking]`."""
    padding = "x" * draw(st.integers(0, 170))
    accent = draw(st.sampled_from(["", "ă"]))  # a non-GSM letter: the text is UCS-2
    link = draw(st.booleans())
    unsubscribe = tracking and draw(st.booleans())
    extra = (" {link}" if link else "") + (" stop: {unsubscribe}" if unsubscribe else "")
    lines = ['campaign "gen"']
    if link:
        lines.append('link "https://shop.example/back?from=sms"')
    lines += [
        f'template hi sms "Hi {{first_name|there}}{accent} {padding}{{pct}}% off{extra}"',
        f'template plain sms "{{first_name}}, {padding[:40]}{extra}"',
        'template hi_push push "{pct}% off, {first_name|friend}"',
        'template hi_mail email subject "Hi {first_name|there}" body "Hello {city|you}'
        + (' {link}"' if link else '"'),
    ]
    for number in range(draw(st.integers(1, 4))):
        when = "true" if number == 3 else f"orders >= {draw(st.integers(0, 6))}"
        kind = draw(st.sampled_from(["chain", "chain", "split", "none"]))
        if kind == "none":
            actions = 'add to list "seen"'
        elif kind == "chain":
            actions = draw(chains())
        else:
            actions = f"split\n  40% {draw(chains())}\n  60% {draw(chains())}"
        repeat = " repeat every 1 day" if draw(st.booleans()) else ""
        lines.append(f"rule r{number}: when {when} then {actions}{repeat}")
    return "\n".join(lines) + "\n"


@st.composite
def chains(draw) -> str:
    """`send ... else send ...` over 1-3 distinct channels."""
    channels = draw(st.permutations(CHANNELS))[: draw(st.integers(1, 3))]
    sends = []
    for channel in channels:
        pct = draw(st.sampled_from(["5", "15", "orders"]))
        if channel == "sms":
            plain = draw(st.booleans())
            sends.append("send sms plain" if plain else f"send sms hi with pct = {pct}")
        elif channel == "push":
            sends.append(f"send push hi_push with pct = {pct}")
        else:
            sends.append("send email hi_mail")
    actions = " else ".join(sends)
    return actions + (' and add to list "b"' if draw(st.booleans()) else "")


# ---- planners built from generated arrays --------------------------------------------------


@st.composite
def planners(draw) -> tuple[Planner, int]:
    tracking = draw(st.booleans())
    tracked = TrackingSettings("https://t.example") if tracking else None
    config = Config(tracking=tracked, limits=LENIENT)
    checked = checked_text(draw(campaign_texts(tracking)), SCHEMA, config)
    delivery = delivery_plan(checked)
    size = draw(st.integers(0, 60))
    rule_index = np.array(
        draw(st.lists(st.integers(0, len(delivery.rules) - 1), min_size=size, max_size=size)),
        dtype=np.int64,
    )
    variant = np.array(
        [draw(st.integers(0, len(delivery.rules[r].arms) - 1)) for r in rule_index.tolist()],
        dtype=np.int64,
    )
    split = np.array([delivery.rules[r].split for r in rule_index.tolist()], dtype=bool)
    variant = np.where(split, variant, -1) if size else variant
    arm_index = delivery.arm_index(rule_index, variant)
    arms = delivery.arms
    status, step, reason = [], [], []
    for arm in arm_index.tolist():
        chosen = draw(st.sampled_from(["send", "send", "deferred", "held_out", "skipped"]))
        if not arms[arm].chain:  # a rule without `send`: status send, no step
            chosen = "held_out" if chosen == "held_out" else "send"
        messaged = chosen in ("send", "deferred") and arms[arm].chain
        step.append(draw(st.integers(0, len(arms[arm].chain) - 1)) if messaged else -1)
        status.append(chosen)
        reason.append({"deferred": "quiet_hours", "skipped": "no_consent"}.get(chosen, ""))
    until = np.datetime64(NOW.replace(tzinfo=None) + timedelta(hours=8), "us")
    outcome = PolicyOutcome(
        status=np.array(status, dtype=object),
        reason=np.array(reason, dtype=object),
        channel=np.full(size, None, dtype=object),
        template=np.full(size, None, dtype=object),
        step=np.array(step, dtype=np.int64),
        variant=variant,
        deferred_until=np.full(size, until, dtype="datetime64[us]"),
        invalid_zones=(),
    )
    ids = np.array([str(1000 + i) for i in range(size)])
    columns = {
        "first_name": draw(st.lists(st.sampled_from(NAMES), min_size=size, max_size=size)),
        "orders": draw(st.lists(st.none() | st.integers(0, 3), min_size=size, max_size=size)),
        "city": draw(st.lists(st.sampled_from(["Iasi", None]), min_size=size, max_size=size)),
    }
    shape = draw(st.sampled_from(["arrow", "chunked", "numpy"]))
    values = {node: _values(node, columns, size, shape) for node in delivery.nodes()}
    customers = [str(i) for i in ids.tolist()]
    earlier = draw(st.lists(st.sampled_from(customers), unique=True)) if size else []
    rules = [delivery.rules[r].name for r in rule_index.tolist()]
    planner = Planner(
        campaign=checked.campaign,
        now=NOW,
        delivery=delivery,
        channels=config.channels,
        ids=ids,
        rule_index=rule_index,
        arm_index=arm_index,
        outcome=outcome,
        usable={
            c: np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)), dtype=bool)
            for c in CHANNELS
        },
        addresses={c: np.array([f"{c}-{i}" for i in range(size)], dtype=object) for c in CHANNELS},
        values=values,
        sms_max_parts=draw(st.sampled_from([None, 1, 2, 3])),
        # firings an earlier run deferred: planned again under their own occurrence
        deferred={(rules[customers.index(c)], c): 7 for c in earlier},
        tracking=Tracking("https://t.example", STAND_IN_SECRET) if tracking else None,
    )
    return planner, draw(st.integers(1, 25))


def _values(node: ir.Node, columns: dict, size: int, shape: str):
    """A node's values as the planner may get them: Arrow (whole or in chunks) or NumPy."""
    if isinstance(node, ir.Literal):
        column = [float(node.value)] * size if node.kind == "number" else [node.value] * size
    else:
        column = columns[node.name]
        if node.name == "orders":
            column = [None if v is None else float(v) for v in column]
    if shape == "numpy":
        return np.array(column, dtype=object)
    array = pa.array(column, type=pa.float64() if node.kind == "number" else pa.string())
    if shape == "chunked":
        half = size // 2
        return pa.chunked_array([array.slice(0, half), array.slice(half)], type=array.type)
    return array


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planners())
def test_the_array_count_is_the_planners_count(drawn):
    planner, batch = drawn
    assert counts(preview_plan(planner)) == counts(counted_per_firing(planner, batch))


# ---- whole dry runs on a generated store, through the real policies ------------------------


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("preview-store")
    data = generate(800, seed=11, now=NOW)
    write_sqlite(data, folder / "shop.db")
    write_parquet(data, folder / "parquet")
    return {"sqlite": f"sqlite:///{folder}/shop.db", "parquet": f"parquet://{folder}/parquet"}


@st.composite
def settings_lines(draw) -> list[str]:
    """Quiet hours (a window around `now` in some zone or not), holdout and a cap."""
    lines = []
    if draw(st.booleans()):
        start, end = draw(st.sampled_from([(21, 9), (8, 12), (0, 23), (13, 14)]))
        lines.append(f"quiet hours {start:02}:00 to {end:02}:00")
    if draw(st.booleans()):
        lines.append(f"holdout {draw(st.sampled_from([5, 10, 50]))}%")
    if draw(st.booleans()):
        lines.append("cap 1 per 7 days")
    return lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_dry_run_counts_what_the_real_planner_plans(stores, tmp_path_factory, data):
    store = data.draw(st.sampled_from(sorted(stores)), label="store")
    tracking = data.draw(st.booleans(), label="tracking")
    text = data.draw(campaign_texts(tracking), label="campaign")
    head, rest = text.split("\n", 1)
    text = "\n".join([head, *data.draw(settings_lines(), label="settings"), rest])
    limit = data.draw(st.sampled_from([1, 2, 3]), label="sms_max_parts")
    folder = tmp_path_factory.mktemp("preview-project")
    config = f'[store]\nurl = "{stores[store]}"\n[state]\nurl = "sqlite:///{folder}/state.db"\n'
    if tracking:
        config += '[tracking]\nbase_url = "https://t.example"\n'
    (folder / "winlang.toml").write_text(config, encoding="utf-8")
    project = open_project(folder / "winlang.toml")
    checked = checked_text(text, SCHEMA, replace(project.config, limits=LENIENT))
    project_config = replace(project.config, limits=Limits(sms_max_parts=limit))
    source = open_store(project_config)
    carry = run_columns(checked, source, project_config)
    evaluation = evaluate_campaign(checked, source, NOW, "auto", carry=carry)
    _, planner = plan_of(checked, evaluation, source, project_config, None)
    batch = data.draw(st.sampled_from([7, 100, 10_000]), label="batch")
    assert counts(preview_plan(planner)) == counts(counted_per_firing(planner, batch))


# ---- the pieces ----------------------------------------------------------------------------


def test_equal_values_share_a_code_and_null_has_its_own():
    text = pa.chunked_array([["Ana", None, "Bo"], ["Ana", "Bo", None, ""]])
    codes = _factorised(text).tolist()
    assert codes[0] == codes[3] and codes[2] == codes[4] and codes[1] == codes[5]
    assert len(set(codes)) == 4  # Ana, null, Bo, ""
    numbers = _factorised(np.array([1.5, 2.0, 1.5])).tolist()
    assert numbers[0] == numbers[2] != numbers[1]


def test_python_values_that_print_differently_get_different_codes():
    codes = _factorised(np.array([1, True, 1.0, 1, [1], [1]], dtype=object)).tolist()
    assert codes[0] == codes[3]
    assert len({codes[0], codes[1], codes[2]}) == 3  # "1", "true" and "1" of a float
    assert codes[4] != codes[5]  # a list can't be a key: measured on its own


def test_each_distinct_combination_is_found_once():
    names = np.array([0, 1, 0, 1, 0])
    percents = np.array([5, 5, 5, 9, 5])
    first, inverse = _distinct([names, percents], 5)
    assert first.tolist() == [0, 1, 3]  # (0, 5), (1, 5), (1, 9)
    assert inverse.tolist() == [0, 1, 0, 2, 0]
    first, inverse = _distinct([], 3)  # a text without values: one message for all
    assert first.tolist() == [0] and inverse.tolist() == [0, 0, 0]


def test_a_too_long_count_names_the_customers_deferred_apart():
    """The ladder's kind of plan, by hand: one rule, SMS then push."""
    checked = checked_text(
        'campaign "c"\ntemplate hi sms "Hi {first_name}"\ntemplate p push "Hi"\n'
        "rule r: when true then send sms hi else send push p\n",
        SCHEMA,
    )
    delivery = delivery_plan(checked)
    names = ["Ana", "N" * 200, "N" * 200, "N" * 200, "N" * 200]
    push = np.array([False, True, False, False, True])
    status = np.array(["send", "send", "send", "deferred", "deferred"], dtype=object)
    size = len(names)
    (node,) = delivery.nodes()
    planner = Planner(
        campaign=checked.campaign,
        now=NOW,
        delivery=delivery,
        channels=Config().channels,
        ids=np.array([str(i) for i in range(size)]),
        rule_index=np.zeros(size, dtype=np.int64),
        arm_index=np.zeros(size, dtype=np.int64),
        outcome=PolicyOutcome(
            status=status,
            reason=np.where(status == "deferred", "quiet_hours", ""),
            channel=np.full(size, None, dtype=object),
            template=np.full(size, None, dtype=object),
            step=np.zeros(size, dtype=np.int64),
            variant=np.full(size, -1, dtype=np.int64),
            deferred_until=np.full(size, np.datetime64("2026-11-22T18:00", "us")),
            invalid_zones=(),
        ),
        usable={"sms": np.ones(size, dtype=bool), "push": push},
        addresses={"sms": np.full(size, "+40"), "push": np.full(size, "t")},
        values={node: pa.array(names)},
        sms_max_parts=1,
    )
    preview = preview_plan(planner)
    assert counts(preview) == {
        "sent": Counter(r=2),  # Ana by SMS, the second by push
        "channels": {"r": Counter(sms=1, push=1)},
        "parts": Counter(r=1),
        "too_long": Counter(r=2),  # the third, and the fourth (deferred)
        "too_long_deferred": Counter(r=1),
    }
    assert counts(preview) == counts(counted_per_firing(planner, 2))
