"""``winlang explain`` agrees with ``winlang run`` and with the reference, condition by condition.

For a deterministic sample of customers per campaign — drawn from every outcome the reference
sees (each rule chosen, no rule, outside the audience, unknown values) — the explanation's
``chosen`` must be the rule the run decides for that customer, ``in_audience`` must agree, and
every condition it shows (the audience, each rule, each condition as written) must have the
reference's value: true, false or unknown (``null``).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator

import pytest

from tests.e2e.reference import CAMPAIGNS, Campaign, Customer
from tests.e2e.support import CAMPAIGNS_DIR, NOW, Store, run_decisions

SAMPLE = 30
# The explanation reads its one customer by scanning the store: Parquet is fast, SQLite slower.
STORES = [
    pytest.param("parquet+schema", "auto", SAMPLE, id="parquet"),
    pytest.param("sqlite", "auto", 3, id="sqlite"),  # run decisions: SQL engine
]


def sample(campaign: Campaign, customers: list[Customer], size: int) -> list[Customer]:
    """Up to ``size`` customers, taken in turn from each kind of outcome; always the same."""
    groups: dict[tuple, list[Customer]] = defaultdict(list)
    for customer in customers:
        outcome = campaign.decide(customer)
        unknown = None in outcome.values.values()
        groups[(outcome.in_audience, outcome.chosen or "", unknown)].append(customer)
    shuffle = random.Random(campaign.file)
    queues = [shuffle.sample(group, len(group)) for _, group in sorted(groups.items(), key=str)]
    picked: list[Customer] = []
    while len(picked) < size and any(queues):
        for queue in queues:
            if queue and len(picked) < size:
                picked.append(queue.pop())
    return picked


def nodes(condition: dict) -> Iterator[dict]:
    """A condition of the explanation and all conditions beneath it."""
    yield condition
    for child in condition["children"]:
        yield from nodes(child)


def differences(explanation: dict, campaign: Campaign, customer: Customer) -> list[str]:
    """Where the explanation's values differ from the reference's, in words."""
    outcome = campaign.decide(customer)
    found = []
    if explanation["in_audience"] != (outcome.in_audience is True):
        found.append(f"in_audience {explanation['in_audience']}, expected {outcome.in_audience}")
    if explanation["chosen"] != outcome.chosen:
        found.append(f"chosen {explanation['chosen']}, expected {outcome.chosen}")
    trees = [explanation["audience"]] if explanation["audience"] else []
    for rule in explanation["rules"]:
        if rule["value"] != outcome.values[rule["name"]]:
            found.append(
                f"rule {rule['name']} {rule['value']}, expected {outcome.values[rule['name']]}"
            )
        trees.append(rule["condition"])
    for node in (node for tree in trees for node in nodes(tree)):
        predicate = campaign.conditions.get(node["text"])
        if predicate is None:
            if not node["children"]:
                found.append(f"the reference has no condition `{node['text']}`")
        elif node["value"] != predicate(customer):
            found.append(f"`{node['text']}` {node['value']}, expected {predicate(customer)}")
    return found


@pytest.mark.parametrize("config, engine, size", STORES)
@pytest.mark.parametrize("campaign", [pytest.param(c, id=c.file[:-4]) for c in CAMPAIGNS])
def test_explain_agrees_with_run_and_reference(
    monkeypatch: pytest.MonkeyPatch,
    winlang,
    store: Store,
    campaign: Campaign,
    config: str,
    engine: str,
    size: int,
) -> None:
    monkeypatch.delenv("WINLANG_STORE_URL", raising=False)
    decided = run_decisions(store.configs[config], CAMPAIGNS_DIR / campaign.file, NOW, engine)
    problems = {}
    for customer in sample(campaign, store.customers(NOW), size):
        result = winlang(
            "explain",
            CAMPAIGNS_DIR / campaign.file,
            "--customer",
            customer.id,
            "--now",
            NOW,
            "--format",
            "json",
            "--config",
            store.configs[config],
        )
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
        explanation = json.loads(result.stdout)
        found = differences(explanation, campaign, customer)
        if explanation["chosen"] != decided.get(customer.id):
            found.append(f"chosen {explanation['chosen']}, run says {decided.get(customer.id)}")
        if found:
            problems[customer.id] = found
    assert not problems, f"explain differs for customers {problems}"


@pytest.mark.parametrize("campaign", [pytest.param(c, id=c.file[:-4]) for c in CAMPAIGNS])
def test_the_sample_covers_every_outcome(store: Store, campaign: Campaign) -> None:
    customers = store.customers(NOW)
    picked = sample(campaign, customers, SAMPLE)
    assert len({c.id for c in picked}) == len(picked) == min(SAMPLE, len(customers))
    outcomes = {campaign.decide(c).chosen for c in customers}
    assert outcomes <= {campaign.decide(c).chosen for c in picked}
