"""A small project for checker tests: the example store's fields, one derived field, the three
built-in channels; and a function to check campaign text against it."""

from __future__ import annotations

from dataclasses import replace

from winlang.ast import Span
from winlang.check import CheckResult, check_campaign, project_fields
from winlang.config import Config, DerivedField, Limits, Location
from winlang.diagnostics import Diagnostic, SourceText
from winlang.parse import parse_campaign
from winlang.schema import Schema
from winlang.types import BOOL, DATE, NUMBER, TEXT, TIMESTAMP

SCHEMA = Schema(
    customers={
        "id": NUMBER,
        "first_name": TEXT,
        "email": TEXT,
        "phone": TEXT,
        "push_token": TEXT,
        "country": TEXT,
        "city": TEXT,
        "tier": TEXT,
        "lifetime_value": NUMBER,
        "orders": NUMBER,
        "last_purchase_at": TIMESTAMP,
        "last_visit_at": TIMESTAMP,
        "signup_at": TIMESTAMP,
        "birthday": DATE,
        "consent_email": BOOL,
        "consent_sms": BOOL,
        "consent_push": BOOL,
    },
    events={
        "customer_id": NUMBER,
        "type": TEXT,
        "channel": TEXT,
        "campaign": TEXT,
        "template": TEXT,
        "occurred_at": TIMESTAMP,
        "amount": NUMBER,
        "product_name": TEXT,
    },
)

_DERIVED = "days_since(last_purchase_at)"
CONFIG = Config(
    fields={
        "days_since_purchase": DerivedField(
            "days_since_purchase",
            _DERIVED,
            Location(
                SourceText("winlang.toml", f'days_since_purchase = "{_DERIVED}"'),
                Span(0, 0, 1, 24, 1, 52),
            ),
        )
    },
    event_types=("cart_add",),
)


def check(text: str, schema: Schema | None = SCHEMA, config: Config = CONFIG) -> CheckResult:
    """Parse and check ``text``; a syntax error fails the test."""
    source = SourceText("t.win", text)
    parsed = parse_campaign(text, "t.win")
    assert parsed.campaign is not None and not parsed.diagnostics, parsed.diagnostics
    fields = project_fields(schema, config)
    assert not fields.diagnostics, fields.diagnostics
    return check_campaign(parsed.campaign, source, fields, config)


def findings(text: str, **options) -> list[Diagnostic]:
    return list(check(text, **options).diagnostics)


def codes(text: str, **options) -> list[str]:
    return [d.code for d in findings(text, **options)]


def with_limits(**limits: int) -> Config:
    return replace(CONFIG, limits=Limits(**limits))


def rule_text(condition: str) -> str:
    """A whole campaign whose only rule has ``condition``."""
    return f'campaign "t"\nwhen {condition} then add to list "x"\n'
