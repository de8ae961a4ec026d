"""Names and types: what each expression means and every mistake the checker reports there."""

from __future__ import annotations

import pytest

from tests.check.support import check, codes, findings, rule_text
from winlang import ast as A
from winlang.types import BOOL, NUMBER, TEXT, TIMESTAMP


def only(text: str):
    (finding,) = findings(text)
    return finding


# ---- clean conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        "orders >= 2",
        'tier = "gold"',
        'tier == "gold"',
        'tier != "bronze"',
        'tier < "m"',
        "orders between 18 and 30",
        'country in ("KR", "RO")',
        'country not in ("US")',
        "phone is null",
        "phone is not null",
        "consent_sms",
        "not consent_sms or (orders > 1 and true)",
        "lifetime_value / orders > 50",
        "orders * 2 + 1 < 9",
        "-orders < 0",
        'email ends with "@example.com"',
        'first_name starts with "A"',
        'city contains "Seoul"',
        'lower(city) = "seoul"',
        'upper(city) = "SEOUL"',
        "length(first_name) > 1",
        "abs(lifetime_value - 100) < 5",
        'coalesce(city, country, "x") = "x"',
        "days_since(last_purchase_at) > 90",
        "days_since(birthday) > 90",
        "last_visit_at before 3 months ago",
        "signup_at after 7 days ago",
        "signup_at within 7 days",
        "birthday is today",
        'signup_at >= "2026-01-01"',
        'signup_at < "2026-06-30T12:00:00Z"',
        'birthday = "2000-02-29"',
        'signup_at between "2026-01-01" and "2026-02-01"',
        'signup_at in ("2026-01-01", "2026-01-02")',
        "birthday < signup_at",
        "days_since_purchase > 90",
        "purchased within 6 months",
        "not visited within 3 months",
        "opened any within 90 days",
        "opened email",
        "count(purchase within 1 year) >= 2",
        "sum(purchase.amount within 1 year) > 500",
        "days_since(last(purchase)) > 90",
        'last(view).product_name = "x"',
        'last(view.product_name) = "x"',
        "count(cart_add) > 1",
        'count("anything at all") > 1',
        'did "cart_add" within 2 days',
        "received sms more than 7 days ago",
        "purchased more than 6 months ago",
        "not opened email more than 3 days ago",
        'did "cart_add" more than 1 day ago',
        'in list "vip"',
    ],
)
def test_clean_condition(condition: str) -> None:
    assert findings(rule_text(condition)) == []


def test_types_of_expressions_are_recorded() -> None:
    result = check(rule_text('days_since_purchase > 1 and lower(city) = "x"'))
    assert result.checked is not None
    condition = result.checked.campaign.rules[0].condition
    assert result.checked.type_of(condition) == BOOL
    left = condition.left
    assert result.checked.type_of(left.left) == NUMBER
    assert result.checked.type_of(condition.right.left) == TEXT


def test_last_of_events_is_a_timestamp() -> None:
    result = check(rule_text("days_since(last(purchase)) > 1"))
    call = result.checked.campaign.rules[0].condition.left
    assert result.checked.type_of(call.args[0]) == TIMESTAMP


def test_segments_and_lets_resolve_in_any_order() -> None:
    text = (
        'campaign "t"\n'
        'when lapsed and country in markets then add to list "x"\n'
        "segment lapsed = days_since_purchase > threshold\n"
        "let threshold = 90\n"
        'let markets = ("KR", "RO")\n'
    )
    assert findings(text) == []


def test_no_schema_means_names_are_not_checked() -> None:
    assert findings(rule_text("anything_at_all > 1"), schema=None) == []


# ---- names --------------------------------------------------------------------------------------


def test_unknown_name_with_suggestion() -> None:
    finding = only(rule_text("lifetime_valu > 1"))
    assert finding.code == "E201"
    assert finding.message == "unknown name `lifetime_valu`"
    assert finding.hint == "did you mean `lifetime_value`?"
    assert (finding.line, finding.column, finding.end_column) == (2, 6, 19)


def test_unknown_name_without_suggestion_explains_where_names_come_from() -> None:
    finding = only(rule_text("zzz > 1"))
    assert "winlang.toml" in finding.hint


@pytest.mark.parametrize(
    "condition", ["country = kr", "kr != country", 'country in ("RO", kr)', "lower(city) = kr"]
)
def test_a_bare_word_compared_with_text_is_a_text_without_quotes(condition: str) -> None:
    finding = only(rule_text(condition))
    assert (finding.code, finding.message) == ("E201", "unknown name `kr`")
    assert finding.hint == 'a text value is written in double quotes: "kr"'


@pytest.mark.parametrize("condition", ["orders = kr", 'country = contry and tier = "x"'])
def test_a_bare_word_compared_with_a_number_or_near_a_name_keeps_its_hint(condition: str) -> None:
    finding = only(rule_text(condition))
    assert finding.code == "E201" and "double quotes" not in finding.hint


def test_yes_is_not_true() -> None:
    finding = only(rule_text("consent_sms = yes"))
    assert finding.code == "E201" and "`true`" in finding.hint


def test_template_used_as_a_value() -> None:
    text = 'campaign "t"\ntemplate coupon sms "x"\nwhen coupon then send sms coupon\n'
    finding = only(text)
    assert finding.code == "E201" and "received coupon" in finding.hint


def test_one_mistake_one_message() -> None:
    # the unknown name makes the comparison's type unknown: no E301 on top of the E201
    assert codes(rule_text('lifetime_valu > "x"')) == ["E201"]


def test_unknown_function() -> None:
    finding = only(rule_text("day_since(last_purchase_at) > 1"))
    assert (finding.code, finding.hint) == ("E204", "did you mean `days_since`?")


def test_duplicate_declarations() -> None:
    text = (
        'campaign "t"\nsegment a = orders > 1\nlet a = 2\n'
        'template t sms "x"\ntemplate t sms "y"\n'
        "rule r: when a then send sms t\nrule r: when a then send sms t\n"
    )
    assert [(d.code, d.line) for d in findings(text)] == [
        ("E208", 3),
        ("E208", 5),
        ("E208", 7),
    ]


def test_unnamed_rule_clashes_with_its_positional_name() -> None:
    text = (
        'campaign "t"\nwhen orders > 1 then add to list "a"\n'
        'rule rule_1: when orders > 2 then add to list "b"\n'
    )
    assert codes(text) == ["E208"]


def test_circular_definition() -> None:
    text = 'campaign "t"\nsegment a = b\nsegment b = a\nwhen a then add to list "x"\n'
    assert "E209" in codes(text)


def test_declaration_hiding_a_field_and_unused_declaration() -> None:
    text = (
        'campaign "t"\nsegment tier = orders > 1\nlet spare = 1\nwhen tier then add to list "x"\n'
    )
    assert [(d.code, d.line) for d in findings(text)] == [("W210", 2), ("W211", 3)]


def test_keyword_as_a_declared_name() -> None:
    text = 'campaign "t"\nsegment when = orders > 1\nrule r: when when then add to list "x"\n'
    assert codes(text) == ["E113"]


# ---- types ------------------------------------------------------------------------------------


def test_text_compared_with_a_number() -> None:
    finding = only(rule_text("tier = 3"))
    assert finding.code == "E301"
    assert finding.message == "`=` compares a text with a number"
    assert finding.hint == 'to compare as text, quote the number: "3"'
    assert (finding.column, finding.end_column) == (6, 14)


def test_number_compared_with_quoted_number() -> None:
    assert only(rule_text('orders > "2"')).hint == "to compare as a number, remove the quotes: 2"


def test_time_compared_with_a_number() -> None:
    finding = only(rule_text("last_purchase_at > 90"))
    assert finding.hint == "for a number of days, write `days_since(last_purchase_at)`"


def test_time_compared_with_a_duration() -> None:
    assert "within" in only(rule_text("last_purchase_at > 90 days")).hint


def test_bool_compared_with_text() -> None:
    finding = only(rule_text('consent_sms = "yes"'))
    assert finding.message == "`=` compares a true/false value with a text"
    assert "`consent_sms`" in finding.hint


def test_invalid_iso_date() -> None:
    finding = only(rule_text('signup_at > "2026-13-01"'))
    assert finding.code == "E301" and "not a valid date" in finding.hint


def test_bools_are_not_ordered() -> None:
    finding = only(rule_text("consent_sms > false"))
    assert finding.code == "E301" and finding.message == "`>` can't order true/false values"


def test_arithmetic_needs_numbers() -> None:
    finding = only(rule_text("country + 1 > 2"))
    assert finding.code == "E302"
    assert only(rule_text("last_purchase_at - 1 > 2")).hint.startswith("for a time")


def test_condition_must_be_bool() -> None:
    finding = only(rule_text("orders"))
    assert finding.code == "E303" and finding.hint == "compare it, for example `orders > 0`"
    text = 'campaign "t"\n  audience country\nwhen orders > 1 then add to list "x"\n'
    assert only(text).message.startswith("the audience must be true or false")


def test_between_bounds() -> None:
    assert codes(rule_text('orders between "1" and 5')) == ["E304"]
    assert codes(rule_text("consent_sms between true and false")) == ["E304"]


def test_in_items() -> None:
    assert codes(rule_text('country in ("KR", 1)')) == ["E305"]
    assert codes(rule_text('country in ("KR", null)')) == ["E305"]
    text = 'campaign "t"\nlet n = 1\nwhen country in n then add to list "x"\n'
    assert codes(text) == ["E305"]


def test_time_operations_need_times() -> None:
    finding = only(rule_text("orders within 30 days"))
    assert finding.code == "E306" and "purchased within 30 days" in finding.hint
    assert codes(rule_text("orders is today")) == ["E306"]
    assert codes(rule_text("orders before 3 days ago")) == ["E306"]


def test_text_operations_need_text() -> None:
    assert codes(rule_text('orders contains "1"')) == ["E307"]
    assert codes(rule_text("city starts with 1")) == ["E307"]


def test_function_arguments() -> None:
    assert only(rule_text("days_since(orders) > 1")).code == "E308"
    arity = only(rule_text("days_since(signup_at, signup_at) > 1"))
    assert arity.code == "E308" and arity.message == "`days_since` takes 1 argument"
    assert codes(rule_text("count(purchase.amount) > 1")) == ["E308"]
    assert codes(rule_text("sum(purchase) > 1")) == ["E308"]


def test_comparison_with_null() -> None:
    finding = only(rule_text("phone = null"))
    assert (finding.code, finding.hint) == ("E309", "write `phone is null`")
    assert only(rule_text("phone != null")).hint == "write `phone is not null`"


def test_sum_of_a_text_column() -> None:
    assert codes(rule_text("sum(purchase.product_name) > 1")) == ["E310"]


def test_list_mixing_types() -> None:
    text = 'campaign "t"\nlet l = ("KR", 1)\nwhen country in l then add to list "x"\n'
    assert codes(text) == ["E311"]


# ---- events -----------------------------------------------------------------------------------


def test_unknown_event_type() -> None:
    plural = only(rule_text("count(purchases) > 1"))
    assert (plural.code, plural.hint) == ("E205", "did you mean `purchase`?")
    verb = only(rule_text("count(purchased) > 1"))
    assert verb.hint == "write `purchase`"
    odd = only(rule_text("count(wishlist_add) > 1"))
    assert odd.hint == 'for another event type, quote it: `"wishlist_add"`'


def test_unknown_event_column() -> None:
    finding = only(rule_text('last(view).product_nam = "x"'))
    assert (finding.code, finding.hint) == ("E206", "did you mean `product_name`?")


def test_unknown_event_target() -> None:
    text = 'campaign "t"\ntemplate survey sms "x"\nwhen not opened survy then send sms survey\n'
    finding = only(text)
    assert (finding.code, finding.hint) == ("E207", "did you mean `survey`?")


def test_template_target_wins_over_channel() -> None:
    text = 'campaign "t"\ntemplate sms sms "x"\nwhen not opened sms then send sms sms\n'
    result = check(text)
    assert result.diagnostics == ()
    env_symbols = result.checked.symbols
    assert "sms" not in env_symbols  # templates are not values


def test_durations_out_of_range() -> None:
    assert codes(rule_text("signup_at within 0 days")) == ["E606"]
    assert codes(rule_text("signup_at within 101 years")) == ["E606"]
    assert codes(rule_text("received any more than 0 days ago")) == ["E606"]
    assert codes(rule_text("opened any more than 101 years ago")) == ["E606"]


def test_checked_campaign_keeps_the_ast() -> None:
    result = check(rule_text("orders > 1"))
    assert isinstance(result.checked.campaign.rules[0].condition, A.Compare)


def test_coalesce_takes_one_type() -> None:
    finding = only(rule_text('coalesce(city, 1) = "x"'))
    assert finding.code == "E308" and "one type" in finding.message
    assert findings(rule_text('coalesce(city, null, "x") = "x"')) == []
