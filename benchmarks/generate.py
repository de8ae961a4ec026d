"""A generated campaign of realistic shape and any size, for the checker's benchmarks.

Rules cycle through the conditions marketers write (lapsed windows, tiers, markets, event
predicates, aggregates, text tests, nulls), send templates with placeholders and `with` values,
use segments and lets, and every few rules fail over or split.
"""

from __future__ import annotations

CONDITIONS = (
    "days_since_purchase between {a} and {b} and consent_sms",
    '(tier = "gold" or lifetime_value >= {c}) and country in markets and not (orders < 2)',
    "lapsed_{s} and not opened email within {d} days and phone is not null",
    "count(purchase within 1 year) >= {e} and sum(purchase.amount within 1 year) > {c}",
    'did "cart_add" within {e} days and not purchased within {e} days',
    'lower(city) = "seoul" and last_visit_at before {e} months ago',
    'email ends with "@example.com" and days_since(last(purchase)) > {a}',
    "birthday is today and consent_push",
    "lifetime_value / orders > {e} and average_order_value < {c}",
    'received t{t} and not clicked t{t} and first_name starts with "A"',
)


def campaign(rules: int = 1000, templates: int = 50, segments: int = 20) -> str:
    """The text of one campaign with ``rules`` rules."""
    lines = [
        'campaign "benchmark"',
        '  description "A generated campaign for benchmarks"',
        '  audience country in ("KR", "RO", "US") and lifetime_value >= 20',
        "  cap 1 per 7 days",
        "  quiet hours 21:00 to 09:00",
        "  holdout 10%",
        '  link "https://shop.example.com/welcome-back"',
        "",
        'let markets = ("KR", "RO", "US", "DE", "FR")',
    ]
    for s in range(segments):
        low = 30 + 5 * s
        lines.append(
            f"segment lapsed_{s} = days_since(last_purchase_at) between {low} and {low + 29}"
        )
    for t in range(templates):
        if t % 3 == 0:
            lines.append(
                f'template t{t} email subject "{{first_name|Hi}}, {{discount}}% off" '
                f'body "We miss you. {{discount}}% off your next order: {{link}}"'
            )
        else:
            channel = "sms" if t % 3 == 1 else "push"
            lines.append(
                f'template t{t} {channel} "{{first_name|Hi}}, {{discount}}% off your next '
                f'order: {{link}}"'
            )
    lines.append("")
    for r in range(rules):
        values = {
            "a": 30 + r % 90,
            "b": 60 + r % 90,
            "c": 100 + r,
            "d": 7 + r % 60,
            "e": 1 + r % 5,
            "s": (r // len(CONDITIONS)) % segments,
            "t": (r * 7) % templates,
        }
        condition = CONDITIONS[r % len(CONDITIONS)].format(**values)
        lines.append(f"rule r{r}: when {condition}")
        lines.append(f"  then {_action(r, templates)}")
    return "\n".join(lines) + "\n"


def _channel(t: int) -> str:
    return ("email", "sms", "push")[t % 3]


def _action(r: int, templates: int) -> str:
    t = r % templates
    send = f"send {_channel(t)} t{t} with discount = {5 + r % 30}"
    if r % 7 == 0:
        other = (t + 1) % templates
        return f"{send} else send {_channel(other)} t{other} with discount = 5"
    if r % 11 == 0:
        other = (t + 2) % templates
        return (
            f"split 50% {send} 50% send {_channel(other)} t{other} with discount = 10 "
            'and add to list "tested"'
        )
    return send
