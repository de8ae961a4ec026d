"""Syntax mistakes and the message each gets, as data: the line written after a campaign header
and a template, the code, the text underlined, and words the message or hint must contain."""

from __future__ import annotations

import pytest

from winlang.parse import parse_campaign

HEAD = 'campaign "x"\ntemplate coupon sms "Hi"\n'
VOCABULARY = {"days_since_purchase", "first_name", "last_purchase_at", "orders", "country"}

CASES = [
    ("when orders => 2 then send sms coupon", "E104", "=>", "`>=`"),
    ("when orders =< 2 then send sms coupon", "E104", "=<", "`<=`"),
    ('when country <> "KR" then send sms coupon', "E104", "<>", "`!=`"),
    ("when orders > 2 && orders < 5 then send sms coupon", "E104", "&&", "`and`"),
    ("when orders > 2 || orders < 5 then send sms coupon", "E104", "||", "`or`"),
    ("when orders > 2 send sms coupon", "E103", "send", "missing `then`"),
    (
        "when days since purchase > 90 then send sms coupon",
        "E105",
        "days since purchase",
        "`days_since_purchase`",
    ),
    ("when first name = 1 then send sms coupon", "E105", "first name", "`first_name`"),
    ("WHEN orders > 2 then send sms coupon", "E106", "WHEN", "`when`"),
    (
        "when lastPurchaseAt within 3 days then send sms coupon",
        "E106",
        "lastPurchaseAt",
        "`last_purchase_at`",
    ),
    ("when Country = 1 then send sms coupon", "E106", "Country", "`country`"),
    ("when country = KR then send sms coupon", "E106", "KR", 'write "KR"'),
    ("when country != Ro then send sms coupon", "E106", "Ro", 'write "Ro"'),
    ('when country in ("RO", KR) then send sms coupon', "E106", "KR", 'write "KR"'),
    ("when country starts with KR then send sms coupon", "E106", "KR", 'write "KR"'),
    ("when orders = LastPurchaseAt then send sms coupon", "E106", "LastPurchaseAt", "`last_"),
    ("segment big = Orders > 1", "E106", "Orders", "`orders`"),
    ("when orders >= Orders then send sms coupon", "E106", "Orders", "`orders`"),
    ("wen orders > 1 then send sms coupon", "E100", "wen", "did you mean `when`?"),
    ("rule a: wen orders > 1 then send sms coupon", "E100", "wen", "did you mean `when`?"),
    ("when orders > 1 then sned sms coupon", "E100", "sned", "did you mean `send`?"),
    ("when orders > 1 tehn send sms coupon", "E100", "tehn", "did you mean `then`?"),
    ("when orders > 1 adn country = 1 then send sms coupon", "E100", "adn", "`and`?"),
    ("segmnet big = orders > 1", "E100", "segmnet", "did you mean `segment`?"),
    ('when orders > 1 then add to lsit "x"', "E100", "lsit", "did you mean `list`?"),
    ("when country = 'KR' then send sms coupon", "E107", "'KR'", '"KR"'),
    ('when country = "KR then send sms coupon', "E102", '"KR then send sms coupon', "closing"),
    ("when orders > 2 then send sms", "E109", "send sms", "`send <channel> <template>`"),
    (
        "when orders > 2 then send sms\nwhen orders > 3 then send sms coupon",
        "E109",
        "send sms",
        "`send <channel> <template>`",
    ),
    ("when last_purchase_at within 30 then send sms coupon", "E110", "30", "`30 days`"),
    ("when orders > 1 then send sms coupon repeat every year", "E110", "year", "`1 year`"),
    ("quiet hours 9pm to 8am", "E110", "9pm", "`21:00`"),
    ("rule 1st: when orders > 1 then send sms coupon", "E110", "1st", "letter"),
    ("when orders > 1 and then send sms coupon", "E100", "and", "ends with `and`"),
    ("when orders > then send sms coupon", "E100", ">", "ends with `>`"),
    ("when then send sms coupon", "E100", "then", "no condition"),
    ("segment lapsed = orders >\nwhen lapsed then send sms coupon", "E100", ">", "not finished"),
    ("when 1 < orders < 5 then send sms coupon", "E100", "<", "chained"),
    ("when orders > 1 then add to list active", "E100", "active", '"active"'),
    ("when orders > 1 then send sms coupon else push coupon", "E100", "push", "`else send push"),
    ('when orders > 1 then send sms coupon else add to list "x"', "E100", "add", "`and`"),
    (
        "when orders > 1 then send sms coupon with discount = 1 and code = 2",
        "E100",
        "code",
        "commas",
    ),
    ("when orders > 1 then send sms coupon with discount: 15", "E100", ":", "missing `=`"),
    ("segment lapsed days_since_purchase > 90", "E100", "days_since_purchase", "missing `=`"),
    ('audience: country = "KR"', "E100", ":", "colon"),
    ('template hello "Hi"', "E100", '"Hi"', "no channel"),
    ('when country is "KR" then send sms coupon', "E100", '"KR"', '`= "KR"`'),
    ('when country in "KR", "RO" then send sms coupon', "E100", '"KR"', "parentheses"),
    ("when opened email in 30 days then send sms coupon", "E100", "in", "`within 30 days`"),
    ("rule a: orders > 1 then send sms coupon", "E100", "orders", "`rule name: when"),
    ("rule a when orders > 1 then send sms coupon", "E100", "when", "`:`"),
    ("when count > 1 then send sms coupon", "E100", "count >", "`count(purchase"),
    ("when last_visit_at before 30 days then send sms coupon", "E100", "then", "ago"),
    (
        "when received coupon more than 7 days then send sms coupon",
        "E100",
        "then",
        "`more than 7 days ago`",
    ),
    (
        "when count(open more than 3 days ago) > 1 then send sms coupon",
        "E100",
        "more than",
        "aggregates take `within D`",
    ),
    ("when (orders > 1 then send sms coupon", "E100", "then", "`(`"),
    ("holdout 10", "E100", "10", "`10%`"),
    ("when orders > 1 then send sms coupon;", "E101", ";", "remove it"),
    ('when 나라 = "KR" then send sms coupon', "E101", "나라", "double quotes"),
    ("when orders >", "E108", ">", "ends too early"),
]


@pytest.mark.parametrize(("line", "code", "underlined", "words"), CASES, ids=[c[0] for c in CASES])
def test_syntax_message(line: str, code: str, underlined: str, words: str) -> None:
    text = HEAD + line + "\n"
    result = parse_campaign(text, "t.win", VOCABULARY)
    assert result.campaign is None and result.diagnostics
    finding = result.diagnostics[0]
    assert finding.code == code, finding
    source_line = text.split("\n")[finding.line - 1]
    assert source_line[finding.column - 1 : finding.end_column - 1] == underlined, finding
    assert finding.line == 3  # the mistake is on the first line after the header
    assert words in f"{finding.message} {finding.hint}", finding


def test_a_keyword_typo_after_a_rule_is_not_read_as_a_name_in_several_words() -> None:
    text = HEAD + "when orders > 2 then send sms coupon\nwen orders > 3 then send sms coupon\n"
    (finding,) = parse_campaign(text, "t.win", VOCABULARY).diagnostics
    assert (finding.code, finding.line, finding.hint) == ("E100", 4, "did you mean `when`?")


@pytest.mark.parametrize("word", ["templat2", "segmnt_a"])
def test_a_word_with_digits_or_underscores_is_not_a_keyword_typo(word: str) -> None:
    text = HEAD + f"{word} = orders > 1\n"
    (finding,) = parse_campaign(text, "t.win", VOCABULARY).diagnostics
    assert finding.message == f"unexpected `{word}`: expected a rule or a declaration"
    assert "did you mean" not in str(finding.hint)


@pytest.mark.parametrize("word", ["customer id", "first nmae"])
def test_a_name_in_several_words_is_not_taken_for_a_keyword_typo(word: str) -> None:
    text = HEAD + f"when {word} = 1 then send sms coupon\n"
    (finding,) = parse_campaign(text, "t.win", VOCABULARY).diagnostics
    assert finding.code == "E105", finding


def test_the_rest_of_the_file_is_still_read() -> None:
    text = HEAD + "when orders > 2 then send sms\nwhen orders > 3 then send sms coupon\n"
    result = parse_campaign(text, "t.win", VOCABULARY)
    assert len(result.diagnostics) == 1  # the good rule after the broken one is not blamed
