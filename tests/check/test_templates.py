"""Templates: placeholder scanning and rendering, and what the checker says about templates,
their placeholders, their channels and the sends that use them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.check.support import CONFIG, SCHEMA, codes, findings
from winlang.check import check_campaign, project_fields
from winlang.check.templates import Malformed, Placeholder, render, scan
from winlang.diagnostics import SourceText
from winlang.parse import parse_campaign
from winlang.project import load_template_files

# ---- scan and render --------------------------------------------------------------------------


def test_scan_finds_placeholders_with_positions_and_fallbacks() -> None:
    text = "Hi {first_name|there}, {discount}% off: {link}"
    found = list(scan(text))
    assert [(p.name, p.fallback) for p in found] == [
        ("first_name", "there"),
        ("discount", None),
        ("link", None),
    ]
    assert text[found[1].start : found[1].end] == "{discount}"


def test_scan_skips_literal_braces_and_css() -> None:
    text = "{{not}} p { color: #222; } .a{margin:0} {x}"
    assert [p.name for p in scan(text) if isinstance(p, Placeholder)] == ["x"]
    assert not any(isinstance(p, Malformed) for p in scan(text))


@pytest.mark.parametrize("inner", ["First Name", "Name", " first_name ", "first name|x"])
def test_scan_reports_name_attempts_as_malformed(inner: str) -> None:
    (found,) = scan(f"Hi {{{inner}}}")
    assert isinstance(found, Malformed) and found.text == inner


def test_fallback_may_hold_any_text() -> None:
    (found,) = scan("{first_name|dear customer, you}")
    assert found.fallback == "dear customer, you"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"first_name": "Ana", "discount": "15"}, "Hi Ana, 15% {x}"),
        ({"first_name": "", "discount": "15"}, "Hi there, 15% {x}"),
        ({"discount": "15"}, "Hi there, 15% {x}"),
        ({"first_name": "Ana"}, "Hi Ana, % {x}"),
    ],
)
def test_render_fills_and_falls_back(values: dict[str, str], expected: str) -> None:
    assert render("Hi {first_name|there}, {discount}% {{x}}", values) == expected


# ---- the checker ----------------------------------------------------------------------------


def campaign(*lines: str) -> str:
    return "\n".join(['campaign "t"', '  link "https://shop.example.com/x"', *lines]) + "\n"


def test_clean_templates() -> None:
    text = campaign(
        'template a sms "{first_name|Hi}, {discount}% off: {link}"',
        'template b email subject "{first_name}, {discount}%" body "{{literal}} {link}"',
        "rule a: when orders > 1 then send sms a with discount = 15",
        "rule b: when orders > 2 then send email b with discount = orders * 2",
    )
    assert findings(text) == []


def test_unknown_placeholder_points_at_it_with_a_suggestion() -> None:
    text = campaign('template a sms "Hi {frist_name}!"', "when orders > 1 then send sms a")
    (finding,) = findings(text)
    assert finding.code == "E401"
    assert finding.hint == "did you mean `first_name`?"
    line = text.splitlines()[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == "{frist_name}"


def test_placeholder_position_survives_escapes() -> None:
    text = campaign('template a sms "Say \\"hi\\" {frist_name}"', "when orders > 1 then send sms a")
    (finding,) = findings(text)
    line = text.splitlines()[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == "{frist_name}"


def test_unknown_placeholder_without_suggestion_says_how_to_pass_a_value() -> None:
    text = campaign('template a sms "Code {code}"', "when orders > 1 then send sms a")
    (finding,) = findings(text)
    assert finding.code == "E401" and "with code = ..." in finding.hint


def test_placeholder_given_by_every_send_is_fine_and_missing_in_one_is_e405() -> None:
    text = campaign(
        'template a sms "{discount}% off"',
        "rule big: when orders > 5 then send sms a with discount = 25",
        "rule small: when orders > 1 then send sms a",
    )
    (finding,) = findings(text)
    assert (finding.code, finding.line) == ("E405", 5)
    assert finding.hint == "add `with discount = ...`"


def test_unused_with_parameter() -> None:
    text = campaign('template a sms "Hi"', "when orders > 1 then send sms a with discount = 15")
    (finding,) = findings(text)
    assert finding.code == "W406"
    line = text.splitlines()[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == "discount"


def test_malformed_placeholder() -> None:
    text = campaign('template a sms "Hi {First Name}"', "when orders > 1 then send sms a")
    (finding,) = findings(text)
    assert finding.code == "E407" and finding.hint.endswith("`{first_name}`")


def test_link_without_link_setting() -> None:
    text = 'campaign "t"\ntemplate a sms "Go: {link}"\nwhen orders > 1 then send sms a\n'
    (finding,) = findings(text)
    assert finding.code == "E403"
    assert text.splitlines()[1][finding.column - 1 : finding.end_column - 1] == "{link}"


def test_template_on_another_channel() -> None:
    text = campaign('template a email subject "S" body "B"', "when orders > 1 then send sms a")
    (finding,) = findings(text)
    assert finding.code == "E402"
    assert finding.message == "template `a` is for email, but this sends it by sms"


def test_subject_rules() -> None:
    no_subject = campaign('template a email "B"', "when orders > 1 then send email a")
    assert codes(no_subject) == ["E409"]
    sms_subject = campaign('template a sms subject "S" body "B"', "when orders > 1 then send sms a")
    assert codes(sms_subject) == ["E409"]


def test_template_never_sent() -> None:
    text = campaign('template a sms "x"', 'template b sms "y"', "when orders > 1 then send sms a")
    (finding,) = findings(text)
    assert (finding.code, finding.line) == ("W408", 4)


def test_unknown_template_with_typo_is_one_finding() -> None:
    text = campaign(
        'template coupon sms "{discount}%"', "when orders > 1 then send sms cupon with discount = 1"
    )
    (finding,) = findings(text)
    assert (finding.code, finding.hint) == ("E202", "did you mean `coupon`?")


def test_unsent_template_placeholder_is_checked_only_for_field_typos() -> None:
    unsent = campaign(
        'template a sms "{discount}% {frist_name}"', 'when orders > 1 then add to list "x"'
    )
    assert codes(unsent) == ["W408", "E401"]


def test_send_with_channel_and_template_swapped() -> None:
    text = campaign('template coupon sms "x"', "when orders > 1 then send coupon sms")
    (finding,) = findings(text)
    assert finding.code == "E203" and finding.hint == "write `send sms coupon`"


def test_unknown_channel() -> None:
    text = campaign('template a sms "x"', "when orders > 1 then send sns a")
    (finding,) = [d for d in findings(text) if d.code == "E203"]
    assert finding.hint == "did you mean `sms`?"


def test_channel_fields_missing_from_the_schema() -> None:
    from dataclasses import replace

    schema = replace(
        SCHEMA, customers={k: v for k, v in SCHEMA.customers.items() if k != "push_token"}
    )
    text = campaign('template a push "x"', "when orders > 1 then send push a")
    (finding,) = findings(text, schema=schema)
    assert finding.code == "E708" and "push_token" in finding.message


# ---- body files -------------------------------------------------------------------------------


def check_with_files(text: str, base: Path) -> list[str]:
    source = SourceText("t.win", text)
    parsed = parse_campaign(text, "t.win")
    loaded, problems = load_template_files(parsed.campaign, source, base)
    result = check_campaign(loaded, source, project_fields(SCHEMA, CONFIG), CONFIG)
    return [f"{d.code}: {d.message}" for d in (*problems, *result.diagnostics)]


def test_body_file_placeholders_are_checked_with_the_file_line(tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text("<p>\nHi {frist_name}\n</p>", encoding="utf-8")
    text = campaign(
        'template a email subject "S" body file "t.html"', "when orders > 1 then send email a"
    )
    assert check_with_files(text, tmp_path) == [
        "E401: `{frist_name}` in t.html line 2 is not a field or a `with` parameter"
    ]


def test_missing_body_file(tmp_path: Path) -> None:
    text = campaign(
        'template a email subject "S" body file "nope.html"', "when orders > 1 then send email a"
    )
    (found,) = check_with_files(text, tmp_path)
    assert found.startswith("E404: can't read template file `nope.html`")


def _render_by_regex(text: str, values: dict[str, str]) -> str:
    """The rule as first written, one regex pass per call: the reference for ``render``."""
    import re

    braces = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}")
    placeholder = re.compile(r"([a-z_][a-z0-9_]*)(?:\|(.*))?", re.S)

    def fill(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole in ("{{", "}}"):
            return whole[0]
        found = placeholder.fullmatch(match.group(1) or "")
        if not found:
            return whole
        return values.get(found[1]) or (found[2] or "")

    return braces.sub(fill, text)


@given(
    text=st.text(alphabet="{}|ab_ \n1Z", max_size=40),
    values=st.dictionaries(st.sampled_from(["a", "b", "a_b", "ab"]), st.sampled_from(["", "x"])),
)
def test_render_fills_like_the_regex_rule(text, values):
    assert render(text, values) == _render_by_regex(text, values)


# ---- where values stand in an HTML body -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<p>Hi {first_name}, <a href=\\"{link}\\">back</a></p>', []),
        ("<p title='{first_name}'>Hi</p>", []),
        ("<!-- {first_name} --><p>Hi</p>", []),
        ("<p><img alt={first_name}></p>", ["E411"]),
        ("<p {first_name}>Hi</p>", ["E411"]),
        ("<p>Hi</p><script>var n = '{first_name}';</script>", ["E411"]),
        ("<p>Hi</p><style>p { color: {first_name}; }</style>", ["E411"]),
        ("Hi {first_name}, a=b <3", []),  # not HTML: nothing is escaped, nothing to judge
    ],
)
def test_html_values_only_in_text_or_quoted_attributes(body: str, expected: list[str]) -> None:
    text = campaign(
        f'template a email subject "S" body "{body}"', "rule a: when orders > 1 then send email a"
    )
    assert codes(text) == expected


def test_an_unquoted_attribute_in_a_body_file_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text("Hi\n<img alt={first_name}>\n", encoding="utf-8")
    text = campaign(
        'template a email subject "S" body file "t.html"', "when orders > 1 then send email a"
    )
    [found] = check_with_files(text, tmp_path)
    assert found.startswith("E411: `{first_name}` in t.html line 2 is in an HTML tag")
