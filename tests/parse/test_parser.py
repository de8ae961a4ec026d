"""The parser: the AST shape of every construct, its spans, precedence, rule naming and error
recovery. Type and name checks belong to tests/check."""

from __future__ import annotations

import pytest

from winlang import ast as A
from winlang.parse import parse_campaign, parse_expression


def campaign(text: str) -> A.CampaignFile:
    result = parse_campaign(text, "t.win")
    assert result.diagnostics == (), result.diagnostics
    assert result.campaign is not None
    return result.campaign


def expr(text: str) -> A.Expr:
    found, diagnostics = parse_expression(text)
    assert diagnostics == (), diagnostics
    assert found is not None
    return found


def rule(text: str) -> A.Rule:
    return campaign(text).rules[0]


def source_of(text: str, span: A.Span) -> str:
    return text[span.start : span.end]


# ---- items and settings ---------------------------------------------------------------------


def test_header_and_settings() -> None:
    text = (
        'campaign "ladder"\n'
        '  description "30/60/90"\n'
        "  audience orders > 1\n"
        "  cap 2 per 7 days\n"
        "  quiet hours 21:00 to 09:30\n"
        "  holdout 12.5%\n"
        '  link "https://shop.example.com/x"\n'
        '  timezone "Asia/Seoul"\n'
    )
    parsed = campaign(text)
    assert parsed.name == "ladder"
    assert parsed.headers[0].span.line == 1
    assert [s.key for s in parsed.settings] == [
        "description",
        "audience",
        "cap",
        "quiet_hours",
        "holdout",
        "link",
        "timezone",
    ]
    assert parsed.setting("description").value == "30/60/90"
    assert isinstance(parsed.setting("audience").value, A.Compare)
    cap = parsed.setting("cap")
    assert cap.value.count == 2 and cap.value.per.unit == "day" and cap.value.per.amount == 7
    assert source_of(text, cap.value_span) == "2 per 7 days"
    quiet = parsed.setting("quiet_hours").value
    assert (str(quiet.start), str(quiet.end)) == ("21:00", "09:30")
    assert (quiet.end.span.line, quiet.end.span.column) == (5, 24)
    assert parsed.setting("holdout").value == 12.5
    assert parsed.setting("link").value == "https://shop.example.com/x"
    assert parsed.setting("timezone").value == "Asia/Seoul"
    assert parsed.setting("timezone").value_span.line == 8


def test_segment_and_let() -> None:
    text = 'segment lapsed = orders > 1\nlet markets = ("KR", "RO")\nlet n = 90'
    parsed = campaign(text)
    segment = parsed.segments[0]
    assert segment.name.name == "lapsed" and (segment.name.span.line, segment.name.span.column) == (
        1,
        9,
    )
    assert isinstance(segment.condition, A.Compare)
    markets, n = parsed.lets
    assert isinstance(markets.value, A.ListLit)
    assert [i.value for i in markets.value.items] == ["KR", "RO"]
    assert isinstance(n.value, A.Number) and n.value.value == 90


def test_items_in_any_order_keep_their_order() -> None:
    parsed = campaign('when orders > 1 then add to list "a"\ncampaign "x"\nlet n = 1')
    assert [type(i).__name__ for i in parsed.items] == ["Rule", "CampaignHeader", "Let"]


def test_comments_and_free_layout() -> None:
    text = '# top\ncampaign "x" # after\nwhen\n  orders > 1 # inside\nthen\n add to list "#not"'
    parsed = campaign(text)
    assert parsed.rules[0].actions[0].list_name == "#not"


# ---- templates ------------------------------------------------------------------------------


def test_template_forms() -> None:
    text = (
        'template a sms "Hi {first_name}"\n'
        'template b email subject "S {x}" body "B"\n'
        'template c email subject "S" body file "templates/c.html"\n'
        'template d push body "P"\n'
        'template e sms body file "e.txt"\n'
    )
    a, b, c, d, e = campaign(text).templates
    assert (a.name.name, a.channel.name, a.subject) == ("a", "sms", None)
    assert a.body.value == "Hi {first_name}"
    assert (b.subject.value, b.body.value) == ("S {x}", "B")
    assert c.body.path == "templates/c.html" and c.body.value == "" and c.body.offsets is None
    assert d.subject is None and d.body.value == "P"
    assert e.body.path == "e.txt"


def test_template_text_offsets_point_into_the_source() -> None:
    text = 'template a sms "x\\"y {first_name}"'
    template = campaign(text).templates[0]
    body = template.body
    assert body.value == 'x"y {first_name}'
    brace = body.value.index("{")
    assert text[body.offsets[brace]] == "{"
    assert text[body.offsets[1]] == "\\"  # an escape starts where its backslash is


def test_string_escapes() -> None:
    assert expr(r'"a\"b\\c\nd\te\q"').value == 'a"b\\c\nd\te\\q'


# ---- rules and actions ------------------------------------------------------------------------


def test_unnamed_rules_are_named_by_position_among_rules() -> None:
    text = (
        'campaign "x"\n'
        'when orders > 1 then add to list "a"\n'
        "segment s = orders > 2\n"
        'rule named: when s then add to list "b"\n'
        'template t sms "x"\n'
        'when orders > 3 then add to list "c"\n'
    )
    rules = campaign(text).rules
    assert [(r.name.name, r.named) for r in rules] == [
        ("rule_1", False),
        ("named", True),
        ("rule_3", False),
    ]
    # the name of an unnamed rule points at its `when`
    assert source_of(text, rules[0].name.span) == "when"
    assert source_of(text, rules[1].name.span) == "named"


def test_send_with_params_and_failover_chain() -> None:
    parsed = rule(
        'when orders > 1 then send sms coupon with discount = 15, code = "X" '
        "else send push coupon_push with discount = 15 else send email coupon_email"
    )
    send = parsed.actions[0]
    assert (send.channel.name, send.template.name) == ("sms", "coupon")
    assert [(p.name.name, type(p.value).__name__) for p in send.params] == [
        ("discount", "Number"),
        ("code", "Text"),
    ]
    assert send.fallback.channel.name == "push"
    assert send.fallback.fallback.template.name == "coupon_email"
    assert send.fallback.fallback.fallback is None


def test_param_value_is_arithmetic_and_actions_join_with_and() -> None:
    parsed = rule(
        'when orders > 1 then send sms a with n = orders * 2 + 1 and add to list "x" '
        'and remove from list "y" and unsubscribe from sms and unsubscribe'
    )
    send, add, remove, unsub_sms, unsub_all = parsed.actions
    assert isinstance(send.params[0].value, A.Arith) and send.params[0].value.op == "+"
    assert (add.op, add.list_name) == ("add", "x")
    assert (remove.op, remove.list_name) == ("remove", "y")
    assert unsub_sms.channel.name == "sms"
    assert unsub_all.channel is None


def test_split_and_repeat() -> None:
    text = (
        "rule hello: when orders > 1 then split\n"
        "  50% send email a\n"
        '  30% send email b and add to list "b"\n'
        "  20% send sms c\n"
        "  repeat every 1 year\n"
    )
    parsed = rule(text)
    split = parsed.actions
    assert isinstance(split, A.Split)
    assert [arm.percent for arm in split.arms] == [50, 30, 20]
    assert len(split.arms[1].actions) == 2
    assert split.arms[2].span.line == 4
    assert parsed.repeat.unit == "year" and parsed.repeat.amount == 1
    assert parsed.span.line == 1 and parsed.span.end_line == 5


def test_rule_span_and_condition_span() -> None:
    text = 'campaign "x"\nrule a: when orders >= 2\n  and consent_sms then add to list "x"'
    parsed = campaign(text).rules[0]
    assert (parsed.span.line, parsed.span.column) == (2, 1)
    condition = parsed.condition
    assert isinstance(condition, A.And)
    assert (condition.span.line, condition.span.column) == (2, 14)
    assert (condition.span.end_line, condition.span.end_column) == (3, 18)


# ---- expressions ------------------------------------------------------------------------------


def test_precedence_or_and_not() -> None:
    found = expr("a or b and not c")
    assert isinstance(found, A.Or)
    assert isinstance(found.right, A.And)
    assert isinstance(found.right.right, A.Not)


def test_not_applies_to_the_whole_test() -> None:
    found = expr("not orders > 2")
    assert isinstance(found, A.Not) and isinstance(found.operand, A.Compare)


def test_and_or_are_left_associative() -> None:
    found = expr("a and b and c")
    assert isinstance(found.left, A.And) and isinstance(found.right, A.Name)


def test_parentheses_group() -> None:
    found = expr("(a or b) and c")
    assert isinstance(found, A.And) and isinstance(found.left, A.Or)


def test_arithmetic_precedence() -> None:
    found = expr("orders * 2 + 1 < 9")
    assert isinstance(found, A.Compare) and found.op == "<"
    assert isinstance(found.left, A.Arith) and found.left.op == "+"
    assert isinstance(found.left.left, A.Arith) and found.left.left.op == "*"
    minus = expr("10 - 2 - 3")
    assert minus.op == "-" and isinstance(minus.left, A.Arith)  # (10 - 2) - 3
    negated = expr("-orders * 2")
    assert isinstance(negated, A.Arith) and isinstance(negated.left, A.Negate)


@pytest.mark.parametrize(
    ("written", "op"),
    [("=", "="), ("==", "="), ("!=", "!="), ("<", "<"), ("<=", "<="), (">", ">"), (">=", ">=")],
)
def test_comparison_operators_and_double_equals_normalised(written: str, op: str) -> None:
    text = f"tier {written} 1"
    found = expr(text)
    assert isinstance(found, A.Compare) and found.op == op
    assert source_of(text, found.op_span) == written
    assert source_of(text, found.span) == text


def test_range_set_and_null_tests() -> None:
    between = expr("orders between 1 and 5")
    assert isinstance(between, A.Between) and not between.negated
    assert between.high.value == 5
    assert expr("orders not between 1 and 5").negated
    member = expr('country in ("KR", "RO")')
    assert isinstance(member, A.In) and [i.value for i in member.items] == ["KR", "RO"]
    single = expr('country not in ("US")')
    assert single.negated and len(single.items) == 1
    by_name = expr("country in markets")
    assert isinstance(by_name.items, A.Name) and by_name.items.name == "markets"
    assert not expr("phone is null").negated
    assert expr("phone is not null").negated


def test_text_and_time_tests() -> None:
    assert expr('email ends with "@x.com"').op == "ends_with"
    assert expr('first_name starts with "A"').op == "starts_with"
    assert expr('city contains "Seoul"').op == "contains"
    within = expr("signup_at within 7 days")
    assert isinstance(within, A.Within) and within.window.seconds == 7 * 86_400
    before = expr("last_visit_at before 3 months ago")
    assert isinstance(before, A.Ago) and before.direction == "before"
    assert before.window.seconds == 90 * 86_400
    assert expr("signup_at after 2 weeks ago").direction == "after"
    assert isinstance(expr("birthday is today"), A.IsToday)


@pytest.mark.parametrize(
    ("written", "amount", "unit"),
    [
        ("30 days", 30, "day"),
        ("1 day", 1, "day"),
        ("2 weeks", 2, "week"),
        ("6 months", 6, "month"),
        ("1 year", 1, "year"),
        ("12 hours", 12, "hour"),
        ("90 minutes", 90, "minute"),
        ("1.5 days", 1.5, "day"),
        ("2weeks", 2, "week"),
    ],
)
def test_durations(written: str, amount: float, unit: str) -> None:
    found = expr(f"signup_at within {written}")
    assert (found.window.amount, found.window.unit) == (amount, unit)


def test_literals() -> None:
    assert expr("42").value == 42 and isinstance(expr("42").value, int)
    assert expr("19.99").value == 19.99
    assert expr("true").value is True and expr("false").value is False
    assert isinstance(expr("null"), A.Null)
    duration = expr("30 days")
    assert isinstance(duration, A.DurationLit) and str(duration.duration) == "30 days"
    assert isinstance(expr("(1, 2, 3)"), A.ListLit)


def test_calls() -> None:
    call = expr('coalesce(city, "x")')
    assert isinstance(call, A.Call) and call.function.name == "coalesce"
    assert len(call.args) == 2
    assert expr("days_since(last_purchase_at)").args[0].name == "last_purchase_at"


def test_event_predicates() -> None:
    opened = expr("opened survey within 14 days")
    assert isinstance(opened, A.EventPredicate)
    assert (opened.verb, opened.event_type, opened.target.name) == ("opened", "open", "survey")
    assert opened.window.seconds == 14 * 86_400
    bare = expr("purchased")
    assert (bare.event_type, bare.target, bare.window) == ("purchase", None, None)
    assert expr("opened any within 90 days").target.name == "any"
    assert expr("received coupon").event_type == "received"
    generic = expr('did "cart_add" within 2 days')
    assert (generic.verb, generic.event_type) == ("did", "cart_add")
    assert expr('did "review"').window is None


def test_more_than_ago_on_event_predicates() -> None:
    waited = expr("received survey more than 7 days ago")
    assert isinstance(waited, A.EventPredicate)
    assert (waited.verb, waited.target.name, waited.window) == ("received", "survey", None)
    assert waited.older_than.seconds == 7 * 86_400
    assert expr("purchased more than 6 months ago").older_than.unit == "month"
    assert expr('did "cart_add" email more than 2 hours ago').target.name == "email"
    assert expr("opened survey").older_than is None
    assert isinstance(expr("more > 3"), A.Compare)  # a field may still be called `more`


def test_aggregates() -> None:
    count = expr("count(view within 7 days)")
    assert isinstance(count, A.Aggregate) and count.function == "count"
    assert count.selector.event_type.name == "view" and count.selector.window.amount == 7
    total = expr("sum(purchase.amount within 1 year)")
    assert total.function == "sum" and total.selector.prop.name == "amount"
    last = expr("last(view).product_name")
    assert last.function == "last" and last.prop.name == "product_name"
    quoted = expr('count("cart_add" email within 1 day)')
    assert quoted.selector.event_type.name == "cart_add"
    assert quoted.selector.target.name == "email"
    assert expr("days_since(last(purchase))").args[0].function == "last"


def test_in_list() -> None:
    found = expr('not in list "vip"')
    assert isinstance(found, A.Not) and found.operand.list_name == "vip"


def test_name_spans_are_exact() -> None:
    text = 'campaign "x"\nwhen   lifetime_value >= 20 then add to list "a"'
    condition = campaign(text).rules[0].condition
    name = condition.left
    assert (name.span.line, name.span.column, name.span.end_column) == (2, 8, 22)
    assert source_of(text, name.span) == "lifetime_value"


def test_walk_visits_parents_first() -> None:
    found = expr("a and (b or c)")
    kinds = [type(n).__name__ for n in A.walk(found)]
    assert kinds == ["And", "Name", "Or", "Name", "Name"]


# ---- errors -----------------------------------------------------------------------------------


def test_syntax_error_is_a_diagnostic_not_an_exception() -> None:
    result = parse_campaign('campaign "x"\nwhen orders => 2 then add to list "a"', "t.win")
    assert result.campaign is None
    (finding,) = result.diagnostics
    assert (finding.code, finding.line, finding.column, finding.end_column) == ("E104", 2, 13, 15)
    assert finding.line_text == 'when orders => 2 then add to list "a"'


def test_recovery_reports_each_broken_item() -> None:
    text = (
        'campaign "x"\n'
        'template t sms "hi"\n'
        "rule a: when orders => 2 then send sms t\n"
        "rule b: when orders > 5 send sms t\n"
        "rule c: when orders > 1 then send sms t\n"
        "rule d: when visited within 7 then send sms t\n"
    )
    result = parse_campaign(text, "t.win")
    assert [(d.code, d.line) for d in result.diagnostics] == [
        ("E104", 3),
        ("E103", 4),
        ("E110", 6),
    ]


def test_words_as_a_name_use_the_vocabulary() -> None:
    result = parse_campaign(
        'campaign "x"\nwhen days since purchase > 90 then add to list "a"',
        "t.win",
        vocabulary={"days_since_purchase", "orders"},
    )
    (finding,) = result.diagnostics
    assert finding.code == "E105"
    assert finding.hint == "did you mean `days_since_purchase`?"
    assert (finding.column, finding.end_column) == (6, 25)


def test_too_deep_nesting_is_reported() -> None:
    text = 'campaign "x"\nwhen ' + "not " * 250 + 'consent_sms then add to list "a"'
    result = parse_campaign(text, "t.win")
    assert [d.code for d in result.diagnostics] == ["E112"]


def test_parse_expression_reports_errors() -> None:
    found, diagnostics = parse_expression("days_since(last_purchase_at", "<derived>")
    assert found is None and diagnostics[0].code == "E108"


def test_the_cycle_collector_is_as_it_was_after_a_parse_and_a_check() -> None:
    """Parse and check pause Python's cycle collector (it only slows a large file down) and
    leave it as they found it, on success and on an error alike."""
    import gc

    from tests.check.support import check

    good = 'campaign "x"\nwhen orders > 1 then send sms t'
    steps = (
        (lambda text: parse_campaign(text, "t.win"), (good, 'campaign "x"\nwhen then')),
        (check, (good, 'campaign "x"\nwhen no_such_field > 1 then send sms t')),
    )
    for step, texts in steps:
        for text in texts:
            assert gc.isenabled()
            step(text)
            assert gc.isenabled()
            gc.disable()
            try:
                step(text)
                assert not gc.isenabled()
            finally:
                gc.enable()
