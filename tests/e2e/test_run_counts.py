"""``winlang run --dry-run`` gives the hand-written reference's counts, on every engine and store.

For every campaign in ``campaigns/``: the audience size and, per rule in file order, how many
customers of the audience get that rule first — computed by :mod:`tests.e2e.reference` — must
equal what ``winlang run ... --format json`` prints, for ``--engine numpy`` and ``--engine sql``
on SQLite, ``--engine sql`` on DuckDB, ``--engine auto`` on a Parquet folder, and the same
folder on Spark (marked ``spark``). Then the same
per customer, through :func:`winlang.evaluate.evaluate_campaign`, so that a difference names
the customers to ``winlang explain``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result

from tests.e2e.reference import (
    BY_FILE,
    CAMPAIGNS,
    DAY,
    THREE_VALUED,
    THREE_VALUED_TEXT,
    Campaign,
    Customer,
)
from tests.e2e.support import CAMPAIGNS_DIR, NOW, Store, matches, run_decisions

# 18.5 hours before the data's moment, in another time zone: the last hours' events and
# purchases lie after this `now` (ignored; days_since is negative), and its UTC date is 21 Nov.
EARLY_NOW = "2026-11-22T00:30:00+09:00"
# Not a leap year: 29 February birthdays count today, with the 28 February ones.
LEAP_NOW = "2027-02-28T10:00:00Z"

# (config of the store, --engine, the engine the report names)
RUNS = [
    pytest.param("sqlite", "numpy", "numpy", id="sqlite-numpy"),
    pytest.param("sqlite", "sql", "sql", id="sqlite-sql"),
    pytest.param("duckdb", "sql", "sql", id="duckdb-sql"),
    pytest.param("parquet", "auto", "numpy", id="parquet-auto"),
    pytest.param("parquet+schema", "auto", "numpy", id="parquet+schema-auto"),
    pytest.param("spark", "auto", "sql", id="spark-auto", marks=pytest.mark.spark),
]
SQL_STORE_RUNS = [*RUNS[:3], RUNS[5]]
RUNNABLE = [*RUNS[:3], RUNS[4], RUNS[5]]

# Rules no customer can match while winlang's ledger is empty, and why.
UNMATCHABLE = {
    ("ladder.win", "give_up"): "needs `received coupon`",
    ("ladder-ko.win", "won_back"): "no event belongs to campaign sms-reengagement-ladder-ko",
    ("ladder-ko.win", "give_up"): "needs `received coupon`",
    ("winback-emails.win", "incentive"): "needs `received hello more than ...`",
    ("winback-emails.win", "feedback"): "`hello` (not received hello) takes every customer",
    ("winback-emails.win", "last_call"): "needs `received incentive more than ...`",
    ("winback-emails.win", "goodbye"): "needs `received last_call more than ...`",
}

EVERY_CAMPAIGN = [pytest.param(c, id=c.file.removesuffix(".win")) for c in CAMPAIGNS]


def run_report(
    winlang: Callable[..., Result], config: Path, campaign: Path, now: str, engine: str
) -> dict:
    """``winlang run FILE --dry-run --format json``'s report; fails with winlang's own words."""
    result = winlang(
        "run", campaign, "--dry-run", "--format", "json", "--now", now,
        "--engine", engine, "--config", config,
    )  # fmt: skip
    assert "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def assert_report(report: dict, campaign: Campaign, store: Store, now: str, engine: str) -> None:
    expected = campaign.summary(store.customers(now))
    assert {"audience": report["audience"], "rules": matches(report)} == expected
    assert report["campaign"] == campaign.name
    assert report["dry_run"] is True
    assert report["engine"] == engine


def assert_same_decisions(
    got: dict[int, str], campaign: Campaign, store: Store, now: str = NOW
) -> None:
    expected = {}
    for customer in store.customers(now):
        chosen = campaign.decide(customer).chosen
        if chosen is not None:
            expected[customer.id] = chosen
    differing = sorted(i for i in got.keys() | expected.keys() if got.get(i) != expected.get(i))
    examples = {i: {"expected": expected.get(i), "got": got.get(i)} for i in differing[:5]}
    assert not differing, f"{len(differing)} customers differ, e.g. {examples}"


@pytest.fixture
def three_valued_file(store: Store) -> Path:
    path = store.folder / THREE_VALUED.file
    path.write_text(THREE_VALUED_TEXT, encoding="utf-8")
    return path


# ---- the campaigns of campaigns/ --------------------------------------------------------------


@pytest.mark.parametrize("config, engine, used", RUNS)
@pytest.mark.parametrize("campaign", EVERY_CAMPAIGN)
def test_run_counts_match_the_reference(
    winlang, store: Store, campaign: Campaign, config: str, engine: str, used: str
) -> None:
    path = CAMPAIGNS_DIR / campaign.file
    report = run_report(winlang, store.configs[config], path, NOW, engine)
    assert_report(report, campaign, store, NOW, used)
    assert report["now"] == NOW


@pytest.mark.parametrize("config, engine, used", SQL_STORE_RUNS)
@pytest.mark.parametrize("campaign", EVERY_CAMPAIGN)
def test_counts_before_the_data_moment_ignore_later_events(
    winlang, store: Store, campaign: Campaign, config: str, engine: str, used: str
) -> None:
    path = CAMPAIGNS_DIR / campaign.file
    report = run_report(winlang, store.configs[config], path, EARLY_NOW, engine)
    assert_report(report, campaign, store, EARLY_NOW, used)
    assert report["now"] == "2026-11-21T15:30:00Z"


@pytest.mark.parametrize("config, engine, used", SQL_STORE_RUNS)
def test_leap_day_birthdays_count_on_28_february(
    winlang, store: Store, config: str, engine: str, used: str
) -> None:
    birthday = BY_FILE["birthday.win"]
    path = CAMPAIGNS_DIR / birthday.file
    report = run_report(winlang, store.configs[config], path, LEAP_NOW, engine)
    assert_report(report, birthday, store, LEAP_NOW, used)
    leap_born = [c for c in store.customers(LEAP_NOW) if is_leap_day(c["birthday"])]
    assert leap_born, "the generator's 29 February cohort is missing"
    assert all(birthday.decide(c).chosen for c in leap_born)


@pytest.mark.parametrize("config, engine, used", RUNNABLE)
@pytest.mark.parametrize("campaign", EVERY_CAMPAIGN)
def test_each_customer_gets_the_reference_rule(
    monkeypatch: pytest.MonkeyPatch,
    store: Store,
    campaign: Campaign,
    config: str,
    engine: str,
    used: str,
) -> None:
    monkeypatch.delenv("WINLANG_STORE_URL", raising=False)
    got = run_decisions(store.configs[config], CAMPAIGNS_DIR / campaign.file, NOW, engine)
    assert_same_decisions(got, campaign, store)


@pytest.mark.parametrize("campaign", EVERY_CAMPAIGN)
def test_every_rule_that_can_match_matches_someone(store: Store, campaign: Campaign) -> None:
    """The test data exercises every rule an empty ledger lets fire (else pick another seed)."""
    summary = campaign.summary(store.customers(NOW))
    idle = [
        rule["name"]
        for rule in summary["rules"]
        if rule["matched"] == 0 and (campaign.file, rule["name"]) not in UNMATCHABLE
    ]
    assert summary["audience"] > 0
    assert not idle, f"rules of {campaign.file} matching nobody: {idle}"


def test_every_campaign_file_has_a_reference() -> None:
    assert sorted(p.name for p in CAMPAIGNS_DIR.glob("*.win")) == sorted(BY_FILE)


# ---- unknowns: not, or, division by zero over missing values ---------------------------------


@pytest.mark.parametrize("now", [NOW, EARLY_NOW])
@pytest.mark.parametrize("config, engine, used", RUNS)
def test_unknowns_never_fire(
    winlang, store: Store, three_valued_file: Path, config: str, engine: str, used: str, now: str
) -> None:
    report = run_report(winlang, store.configs[config], three_valued_file, now, engine)
    assert_report(report, THREE_VALUED, store, now, used)


@pytest.mark.parametrize("config, engine, used", RUNNABLE)
def test_unknowns_per_customer(
    monkeypatch: pytest.MonkeyPatch,
    store: Store,
    three_valued_file: Path,
    config: str,
    engine: str,
    used: str,
) -> None:
    monkeypatch.delenv("WINLANG_STORE_URL", raising=False)
    got = run_decisions(store.configs[config], three_valued_file, NOW, engine)
    assert_same_decisions(got, THREE_VALUED, store)


def test_every_three_valued_rule_matches_someone(store: Store) -> None:
    matched = [THREE_VALUED.summary(store.customers(now))["rules"] for now in (NOW, EARLY_NOW)]
    idle = [a["name"] for a, b in zip(*matched, strict=True) if not a["matched"] + b["matched"]]
    assert not idle, f"rules of {THREE_VALUED.file} matching nobody: {idle}"


# ---- edges: a moment exactly on the boundary, and a millisecond off it ------------------------

MS = timedelta(milliseconds=1)

# name → (campaign, event type or None for last_purchase_at, offset to now, the other side)
EDGES = {
    "purchase-exactly-30-days-ago": ("ladder.win", None, 30 * DAY, -MS),
    "purchase-exactly-90-days-ago": ("ladder.win", None, 90 * DAY, -MS),
    "delivered-exactly-3-days-ago": ("review-request.win", "delivered", 3 * DAY, MS),
    "delivered-exactly-now": ("review-request.win", "delivered", timedelta(0), -MS),
    "cart-add-exactly-1-day-ago": ("shopping-reminders.win", "cart_add", DAY, MS),
}


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds") + "Z"


def edge_nows(store: Store, edge: str) -> tuple[Campaign, str, str]:
    """The first moment in the data whose edge changes a customer's rule: (campaign, ``now``
    on the boundary, ``now`` just off it)."""
    file, kind, offset, off = EDGES[edge]
    campaign = BY_FILE[file]
    for moment, customer in moments(store, kind):
        on, beside = moment + offset, moment + offset + off
        seen = [Customer(customer.row, customer.events, now) for now in (on, beside)]
        if campaign.decide(seen[0]).chosen != campaign.decide(seen[1]).chosen:
            return campaign, iso(on), iso(beside)
    raise AssertionError(f"no customer in the data sits on the edge {edge}")


def moments(store: Store, kind: str | None) -> Iterator[tuple[datetime, Customer]]:
    """Each customer's last purchase (``kind`` None) or ``kind`` events, with the customer."""
    for customer in store.customers(NOW):
        if kind is None and customer["last_purchase_at"] is not None:
            yield customer["last_purchase_at"], customer
        for event in customer.events if kind else ():
            if event["type"] == kind:
                yield event["occurred_at"], customer


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("config, engine, used", SQL_STORE_RUNS)
def test_edges_are_exact(
    monkeypatch: pytest.MonkeyPatch, store: Store, edge: str, config: str, engine: str, used: str
) -> None:
    monkeypatch.delenv("WINLANG_STORE_URL", raising=False)
    campaign, on, beside = edge_nows(store, edge)
    for now in (on, beside):
        got = run_decisions(store.configs[config], CAMPAIGNS_DIR / campaign.file, now, engine)
        assert_same_decisions(got, campaign, store, now)


def is_leap_day(born) -> bool:
    return born is not None and (born.month, born.day) == (2, 29)
