"""An independent reference for every campaign in ``campaigns/``: plain Python, one customer at
a time, written from the campaign text and the language contract (language.md §3) — never by
calling winlang's parser, planner or backends — so the engines can be checked against it.

The semantics it follows:

- Logic is three-valued (Kleene). ``None`` is *unknown*: a comparison, ``in`` or ``between``
  with a missing value is unknown, ``not unknown`` is unknown, ``false and unknown`` is false,
  ``true or unknown`` is true, and only ``True`` puts a customer in the audience or fires a rule.
- ``days_since(t)`` is ``floor((now - t) / 24 h)``; a date counts as midnight UTC.
- ``x within D`` means ``now - D <= x <= now``; events after ``now`` never count, whatever the
  window. A week is 7 days, a month 30, a year 365.
- ``opened <template>`` is an ``open`` event for that template *of this campaign*;
  ``opened <channel>`` is an ``open`` event on that channel, from any campaign.
- ``received X`` (and ``received X more than D ago``) reads winlang's own ledger, which is
  empty in these tests: always false. So no rule has fired yet either, and every rule may
  match.
- ``birthday is today``: same month and day as ``now``'s UTC date; a 29 February birthday
  counts on 28 February in other years.

Each campaign's reference is a :class:`Campaign`: its audience and rules (file order) as
predicates, and ``conditions``, a table from conditions *as written in the file* (the text
``winlang explain`` shows) to the predicate that computes them.
"""

from __future__ import annotations

import calendar
import operator
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

Truth = bool | None  # None: unknown
Predicate = Callable[["Customer"], Truth]

DAY = timedelta(days=1)
WEEK = 7 * DAY
MONTH = 30 * DAY
YEAR = 365 * DAY

# ---- three-valued logic ---------------------------------------------------------------------


def both(*values: Truth) -> Truth:
    """Kleene ``and``: false wins, then unknown."""
    if any(value is False for value in values):
        return False
    return None if any(value is None for value in values) else True


def either(*values: Truth) -> Truth:
    """Kleene ``or``: true wins, then unknown."""
    if any(value is True for value in values):
        return True
    return None if any(value is None for value in values) else False


def negate(value: Truth) -> Truth:
    """Kleene ``not``: ``not unknown`` is unknown."""
    return None if value is None else not value


_OPERATORS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(left: Any, op: str, right: Any) -> Truth:
    """``left op right``; unknown when either side is missing."""
    if left is None or right is None:
        return None
    return _OPERATORS[op](left, right)


def between(value: Any, low: Any, high: Any) -> Truth:
    """``value between low and high``, both ends included."""
    return both(compare(value, ">=", low), compare(value, "<=", high))


def one_of(value: Any, options: Sequence[Any]) -> Truth:
    """``value in (options...)``; unknown when the value is missing."""
    return None if value is None else value in options


def divide(left: Any, right: Any) -> float | None:
    """True division; missing when either side is missing or the divisor is zero."""
    if left is None or right is None or right == 0:
        return None
    return left / right


def flag(value: Any) -> Truth:
    """A boolean field used alone as a condition."""
    return None if value is None else bool(value)


# ---- one customer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    """A customer row (a dict of column values) and that customer's events, seen at ``now``.

    ``now`` is a naive UTC datetime, like the store's timestamps.
    """

    row: Mapping[str, Any]
    events: Sequence[Mapping[str, Any]]
    now: datetime

    @property
    def id(self) -> int:
        return self.row["id"]

    def __getitem__(self, name: str) -> Any:
        return self.row[name]

    def days_since(self, name: str) -> int | None:
        """Whole days from the column's moment to ``now``, floored (negative in the future)."""
        moment = self.row[name]
        if moment is None:
            return None
        if not isinstance(moment, datetime):  # a date: midnight UTC
            moment = datetime(moment.year, moment.month, moment.day)
        return (self.now - moment) // DAY

    def did(self, kind: str, within: timedelta | None = None, **match: str) -> bool:
        """Some ``kind`` event (with these channel/campaign/template values) happened."""
        return any(True for _ in self._seen(kind, within, match))

    def count(self, kind: str, within: timedelta | None = None, **match: str) -> int:
        return sum(1 for _ in self._seen(kind, within, match))

    def _seen(
        self, kind: str, within: timedelta | None, match: Mapping[str, str]
    ) -> Iterator[Mapping[str, Any]]:
        earliest = self.now - within if within is not None else None
        for event in self.events:
            moment = event["occurred_at"]
            if event["type"] != kind or moment > self.now:  # events after now never count
                continue
            if earliest is not None and moment < earliest:
                continue
            if all(event[key] == value for key, value in match.items()):
                yield event

    def birthday_is_today(self) -> Truth:
        born: date | None = self.row["birthday"]
        if born is None:
            return None
        today = self.now.date()
        if (born.month, born.day) == (2, 29) and not calendar.isleap(today.year):
            return (today.month, today.day) == (2, 28)
        return (born.month, born.day) == (today.month, today.day)


def customers_at(
    rows: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]], now: datetime
) -> list[Customer]:
    """Customers with their own events, seen at ``now`` (aware or naive UTC)."""
    naive = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    by_customer: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    for event in events:
        by_customer[event["customer_id"]].append(event)
    return [Customer(row, by_customer.get(row["id"], []), naive) for row in rows]


# ---- a campaign -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a run decides for one customer, and every rule's value."""

    in_audience: Truth
    chosen: str | None
    values: dict[str, Truth]


@dataclass(frozen=True)
class Campaign:
    file: str  # in campaigns/
    name: str  # the campaign's name in the file
    audience: Predicate | None
    rules: tuple[tuple[str, Predicate], ...]  # file order
    conditions: Mapping[str, Predicate] = field(default_factory=dict)

    @property
    def rule_names(self) -> list[str]:
        return [name for name, _ in self.rules]

    def decide(self, customer: Customer) -> Outcome:
        """The first rule (file order) whose condition is true, for an audience member."""
        in_audience = True if self.audience is None else self.audience(customer)
        values = {name: rule(customer) for name, rule in self.rules}
        chosen = None
        if in_audience is True:
            chosen = next((name for name, value in values.items() if value is True), None)
        return Outcome(in_audience, chosen, values)

    def summary(self, customers: Sequence[Customer]) -> dict[str, Any]:
        """Audience size and per-rule first-match counts, as ``winlang run`` reports them."""
        outcomes = [self.decide(customer) for customer in customers]
        chosen = [outcome.chosen for outcome in outcomes]
        return {
            "audience": sum(outcome.in_audience is True for outcome in outcomes),
            "rules": [{"name": name, "matched": chosen.count(name)} for name in self.rule_names],
        }


# ---- the campaigns --------------------------------------------------------------------------


def _ladder(file: str, name: str, lapsed_field: str, audience: dict[str, Predicate]) -> Campaign:
    """The 30/60/90-day ladder; ``lapsed_field`` is how its segments spell the days since the
    last purchase (``days_since(last_purchase_at)`` or the derived ``days_since_purchase``)."""

    def lapsed(c: Customer) -> int | None:
        return c.days_since("last_purchase_at")

    def opened(template: str) -> Predicate:
        return lambda c: c.did("open", template=template, campaign=name)

    def lapsed_30(c: Customer) -> Truth:
        return between(lapsed(c), 30, 59)

    def lapsed_60(c: Customer) -> Truth:
        return between(lapsed(c), 60, 89)

    def lapsed_90(c: Customer) -> Truth:
        return compare(lapsed(c), ">=", 90)

    def received_coupon(c: Customer) -> Truth:
        return False  # the ledger is empty

    def clicked_coupon_14(c: Customer) -> Truth:
        return c.did("click", within=14 * DAY, template="coupon", campaign=name)

    def clicked_coupon(c: Customer) -> Truth:
        return c.did("click", template="coupon", campaign=name)

    def lapsed_120(c: Customer) -> Truth:
        return compare(lapsed(c), ">=", 120)

    def contest(c: Customer) -> Truth:
        return both(lapsed_60(c), negate(opened("survey")(c)))

    def coupon(c: Customer) -> Truth:
        return both(lapsed_90(c), negate(opened("survey")(c)), negate(opened("contest")(c)))

    def give_up(c: Customer) -> Truth:
        return both(received_coupon(c), negate(clicked_coupon(c)), lapsed_120(c))

    (audience_text, audience_predicate), *audience_parts = audience.items()
    return Campaign(
        file=file,
        name=name,
        audience=audience_predicate,
        rules=(
            ("survey", lapsed_30),
            ("contest", contest),
            ("coupon", coupon),
            ("won_back", clicked_coupon_14),
            ("give_up", give_up),
        ),
        conditions={
            audience_text: audience_predicate,
            **dict(audience_parts),
            "lapsed_30": lapsed_30,
            "lapsed_60": lapsed_60,
            "lapsed_90": lapsed_90,
            f"{lapsed_field} between 30 and 59": lapsed_30,
            f"{lapsed_field} between 60 and 89": lapsed_60,
            f"{lapsed_field} >= 90": lapsed_90,
            f"{lapsed_field} >= 120": lapsed_120,
            "opened survey": opened("survey"),
            "opened contest": opened("contest"),
            "not opened survey": lambda c: negate(opened("survey")(c)),
            "not opened contest": lambda c: negate(opened("contest")(c)),
            "clicked coupon within 14 days": clicked_coupon_14,
            "clicked coupon": clicked_coupon,
            "not clicked coupon": lambda c: negate(clicked_coupon(c)),
            "received coupon": received_coupon,
        },
    )


def _ladder_audience(countries: Sequence[str]) -> dict[str, Predicate]:
    """``country in (...) and lifetime_value >= 20`` (or ``country = "KR" and ...``)."""
    if len(countries) == 1:
        country_text = f'country = "{countries[0]}"'

        def country(c: Customer) -> Truth:
            return compare(c["country"], "=", countries[0])
    else:
        country_text = "country in (" + ", ".join(f'"{x}"' for x in countries) + ")"

        def country(c: Customer) -> Truth:
            return one_of(c["country"], countries)

    def value(c: Customer) -> Truth:
        return compare(c["lifetime_value"], ">=", 20)

    return {
        f"{country_text} and lifetime_value >= 20": lambda c: both(country(c), value(c)),
        country_text: country,
        "lifetime_value >= 20": value,
    }


LADDER = _ladder(
    "ladder.win",
    "sms-reengagement-ladder",
    "days_since(last_purchase_at)",
    _ladder_audience(("KR", "RO", "US")),
)

LADDER_KO = _ladder(
    "ladder-ko.win",
    "sms-reengagement-ladder-ko",
    "days_since_purchase",
    _ladder_audience(("KR",)),
)


def _consent_email(c: Customer) -> Truth:
    return flag(c["consent_email"])


def _ab_test() -> Campaign:
    def lapsed_60(c: Customer) -> Truth:
        return compare(c.days_since("last_purchase_at"), ">=", 60)

    return Campaign(
        file="ab-test.win",
        name="hello-ab-test",
        audience=_consent_email,
        rules=(("hello", lapsed_60),),  # a split: every variant counts for the rule
        conditions={
            "consent_email": _consent_email,
            "lapsed_60": lapsed_60,
            "days_since_purchase >= 60": lapsed_60,
        },
    )


def _birthday() -> Campaign:
    def today(c: Customer) -> Truth:
        return c.birthday_is_today()

    def korea(c: Customer) -> Truth:
        return compare(c["country"], "=", "KR")

    return Campaign(
        file="birthday.win",
        name="birthday",
        audience=None,
        rules=(
            ("birthday_ko", lambda c: both(today(c), korea(c))),
            ("birthday", today),
        ),
        conditions={"birthday is today": today, 'country = "KR"': korea},
    )


def _one_liner() -> Campaign:
    def lapsed_90(c: Customer) -> Truth:
        return compare(c.days_since("last_purchase_at"), ">", 90)

    def opened_email(c: Customer) -> Truth:
        return c.did("open", channel="email")  # a channel: opens from any campaign

    return Campaign(
        file="one-liner.win",
        name="one-liner",
        audience=None,
        rules=(("rule_1", lambda c: both(lapsed_90(c), negate(opened_email(c)))),),
        conditions={
            "days_since_purchase > 90": lapsed_90,
            "opened email": opened_email,
            "not opened email": lambda c: negate(opened_email(c)),
        },
    )


def _price_lapsed() -> Campaign:
    def expired(c: Customer) -> Truth:
        return compare(c["subscription_status"], "=", "expired")

    def price(c: Customer) -> Truth:
        return compare(c["churn_reason"], "=", "price")

    def week_to_month(c: Customer) -> Truth:
        return between(c.days_since("subscription_expired_at"), 7, 30)

    return Campaign(
        file="price-lapsed.win",
        name="price-lapsed-subscribers",
        audience=_consent_email,
        rules=(("price_lapsed", lambda c: both(expired(c), price(c), week_to_month(c))),),
        conditions={
            "consent_email": _consent_email,
            'subscription_status = "expired"': expired,
            'churn_reason = "price"': price,
            "days_since(subscription_expired_at) between 7 and 30": week_to_month,
        },
    )


def _review_request() -> Campaign:
    def delivered(c: Customer) -> Truth:
        return c.did("delivered", within=3 * DAY)

    def reviewed(c: Customer) -> Truth:
        return c.did("review")  # ever (up to now)

    return Campaign(
        file="review-request.win",
        name="review-request",
        audience=None,
        rules=(("review", lambda c: both(delivered(c), negate(reviewed(c)))),),
        conditions={
            'did "delivered" within 3 days': delivered,
            'did "review"': reviewed,
            'not did "review"': lambda c: negate(reviewed(c)),
        },
    )


def _shopping_reminders() -> Campaign:
    def cart_add(c: Customer) -> Truth:
        return c.did("cart_add", within=DAY)

    def purchased(within: timedelta) -> Predicate:
        return lambda c: c.did("purchase", within=within)

    def viewed_3(c: Customer) -> Truth:
        return compare(c.count("view", within=WEEK), ">=", 3)

    return Campaign(
        file="shopping-reminders.win",
        name="shopping-reminders",
        audience=None,
        rules=(
            ("cart", lambda c: both(cart_add(c), negate(purchased(DAY)(c)))),
            ("interest", lambda c: both(viewed_3(c), negate(purchased(WEEK)(c)))),
        ),
        conditions={
            'did "cart_add" within 1 day': cart_add,
            "purchased within 1 day": purchased(DAY),
            "not purchased within 1 day": lambda c: negate(purchased(DAY)(c)),
            "count(view within 7 days) >= 3": viewed_3,
            "purchased within 7 days": purchased(WEEK),
            "not purchased within 7 days": lambda c: negate(purchased(WEEK)(c)),
        },
    )


def _winback_emails() -> Campaign:
    name = "winback-emails"

    def received(template: str, more_than_ago: timedelta | None = None) -> Predicate:
        return lambda c: False  # the ledger is empty: nothing was sent, long ago or lately

    def reacted(event_type: str, template: str) -> Predicate:
        return lambda c: c.did(event_type, template=template, campaign=name)

    def lapsed(days: int) -> Predicate:
        return lambda c: compare(c.days_since("last_purchase_at"), ">=", days)

    def purchased_30(c: Customer) -> Truth:
        return c.did("purchase", within=MONTH)

    def audience(c: Customer) -> Truth:
        return both(_consent_email(c), lapsed(60)(c))

    def unless(predicate: Predicate) -> Predicate:
        return lambda c: negate(predicate(c))

    opened_hello = reacted("open", "hello")
    opened_incentive = reacted("open", "incentive")
    clicked_last_call = reacted("click", "last_call")
    return Campaign(
        file="winback-emails.win",
        name=name,
        audience=audience,
        rules=(
            ("hello", unless(received("hello"))),
            (
                "incentive",
                lambda c: both(received("hello", 14 * DAY)(c), negate(opened_hello(c))),
            ),
            ("feedback", lambda c: both(opened_hello(c), negate(purchased_30(c)))),
            (
                "last_call",
                lambda c: both(received("incentive", MONTH)(c), negate(opened_incentive(c))),
            ),
            (
                "goodbye",
                lambda c: both(received("last_call", 14 * DAY)(c), negate(clicked_last_call(c))),
            ),
        ),
        conditions={
            "consent_email and days_since(last_purchase_at) >= 60": audience,
            "consent_email": _consent_email,
            "received hello": received("hello"),
            "not received hello": unless(received("hello")),
            "received hello more than 14 days ago": received("hello", 14 * DAY),
            "received incentive more than 30 days ago": received("incentive", MONTH),
            "received last_call more than 14 days ago": received("last_call", 14 * DAY),
            "opened hello": opened_hello,
            "not opened hello": unless(opened_hello),
            "opened incentive": opened_incentive,
            "not opened incentive": unless(opened_incentive),
            "clicked last_call": clicked_last_call,
            "not clicked last_call": unless(clicked_last_call),
            "purchased within 30 days": purchased_30,
            "not purchased within 30 days": unless(purchased_30),
            "days_since(last_purchase_at) >= 60": lapsed(60),
        },
    )


CAMPAIGNS: tuple[Campaign, ...] = (
    _ab_test(),
    _birthday(),
    LADDER_KO,
    LADDER,
    _one_liner(),
    _price_lapsed(),
    _review_request(),
    _shopping_reminders(),
    _winback_emails(),
)
BY_FILE: dict[str, Campaign] = {campaign.file: campaign for campaign in CAMPAIGNS}


# ---- a campaign made for unknowns: not / or over missing values, division by zero; and a
# purchase after `now` ----------------------------------------------------------------------

THREE_VALUED_TEXT = """\
campaign "three-valued"

template t sms "Hi"

rule ahead:          when days_since_purchase = -1 then send sms t
rule gold_or_no_sms: when tier = "gold" or not consent_sms then send sms t
rule not_big:        when not (lifetime_value > 300) then send sms t
rule big_average:    when average_order_value > 60 then send sms t
rule ratio:          when lifetime_value / orders between 30 and 40 then send sms t
rule elsewhere:      when country not in ("KR", "US") and not (birthday is today) then send sms t
rule bronze:         when not (tier != "bronze") then send sms t
rule no_phone:       when phone is null then send sms t
"""


def _three_valued() -> Campaign:
    def average(c: Customer) -> float | None:
        return divide(c["lifetime_value"], c["orders"])

    return Campaign(
        file="three-valued.win",  # written by the test, from THREE_VALUED_TEXT
        name="three-valued",
        audience=None,
        rules=(
            # A purchase less than a day after `now` (ignored as an event) is -1 days ago.
            ("ahead", lambda c: compare(c.days_since("last_purchase_at"), "=", -1)),
            (
                "gold_or_no_sms",
                lambda c: either(compare(c["tier"], "=", "gold"), negate(flag(c["consent_sms"]))),
            ),
            ("not_big", lambda c: negate(compare(c["lifetime_value"], ">", 300))),
            ("big_average", lambda c: compare(average(c), ">", 60)),
            ("ratio", lambda c: between(average(c), 30, 40)),
            (
                "elsewhere",
                lambda c: both(
                    negate(one_of(c["country"], ("KR", "US"))), negate(c.birthday_is_today())
                ),
            ),
            ("bronze", lambda c: negate(compare(c["tier"], "!=", "bronze"))),
            ("no_phone", lambda c: c["phone"] is None),
        ),
    )


THREE_VALUED = _three_valued()
