"""`check` on format specs in placeholders and on the campaign's `locale`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.check.support import codes, findings
from winlang.check.templates import OtherFormat, Placeholder, scan
from winlang.config import load_config


def campaign(*lines: str) -> str:
    return "\n".join(['campaign "t"', '  link "https://shop.example.com/x"', *lines]) + "\n"


def sms(template: str, params: str = "") -> str:
    return campaign(
        f'template a sms "{template}"', f"rule a: when orders > 1 then send sms a{params}"
    )


def test_scan_reads_spec_then_fallback() -> None:
    (found,) = scan("{lifetime_value:currency:KRW|a gift}")
    assert found == Placeholder("lifetime_value", "a gift", 0, 36, "currency:KRW")
    (css,) = scan("a{color:red}")
    assert isinstance(css, OtherFormat) and css.spec == "red"


@pytest.mark.parametrize(
    "template",
    [
        "{lifetime_value:currency:KRW} {lifetime_value:number} {orders:percent|n/a}",
        "{last_purchase_at:date} {last_purchase_at:time:short} {signup_at:datetime:long}",
        "{birthday:date:full} {first_name|there}",
        "{days_since_purchase:number}",
    ],
)
def test_specs_that_fit_are_clean(template: str) -> None:
    assert findings(sms(template)) == []


def test_spec_on_a_with_value_is_typed_by_the_value() -> None:
    assert findings(sms("{d:percent}", " with d = 0.15")) == []
    (finding,) = findings(sms("{d:percent}", ' with d = "15%"'))
    assert finding.code == "E413"
    assert "`percent` formats a number, and this is a text" in finding.message


@pytest.mark.parametrize(
    ("template", "code", "words"),
    [
        ("{lifetime_value:money}", "E412", "`money` is not a format"),
        ("{lifetime_value:currency}", "E412", "`currency` needs one currency code"),
        ("{lifetime_value:currency:XYZ}", "E412", "`XYZ` is not a currency code"),
        ("{last_purchase_at:date:tiny}", "E412", "`tiny` is not a style of `date`"),
        ("{lifetime_value:percent:long}", "E412", "`percent` takes nothing after it"),
        ("{first_name:number}", "E413", "`number` formats a number, and this is a text"),
        ("{lifetime_value:date}", "E413", "`date` formats a timestamp, and this is a number"),
        ("{birthday:time}", "E413", "`time` formats a timestamp, and this is a date"),
        ("{link:number}", "E413", "this is a text"),
    ],
)
def test_bad_specs_point_at_the_placeholder(template: str, code: str, words: str) -> None:
    text = sms(template)
    (finding,) = findings(text)
    assert finding.code == code and words in finding.message, finding
    line = text.splitlines()[finding.line - 1]
    assert line[finding.column - 1 : finding.end_column - 1] == template


def test_css_in_html_is_not_a_placeholder() -> None:
    text = campaign(
        'template a email subject "Hi" body "<style>a{color:red}</style><p>{first_name}</p>"',
        "rule a: when orders > 1 then send email a",
    )
    assert findings(text) == []


def test_sms_size_counts_the_placeholder_not_its_spec() -> None:
    plain = "x" * 140 + " {lifetime_value}"
    assert codes(sms(plain)) == []
    assert codes(sms(plain.replace("}", ":currency:KRW}"))) == []


def test_locale_setting() -> None:
    assert (
        codes(
            campaign(
                '  locale "ko_KR"',
                'template a sms "{orders:number}"',
                "rule a: when orders > 1 then send sms a",
            )
        )
        == []
    )
    text = campaign('  locale "xx_YY"', 'rule a: when orders > 1 then add to list "x"')
    (finding,) = findings(text)
    assert finding.code == "E614" and finding.line == 3 and finding.column == 10


def test_default_locale_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "winlang.toml").write_text('[defaults]\nlocale = "ro_RO"\n')
    config, problems = load_config(tmp_path / "winlang.toml")
    assert config.locale == "ro_RO" and problems == ()
    (tmp_path / "winlang.toml").write_text('[defaults]\nlocale = "klingon"\n')
    _, problems = load_config(tmp_path / "winlang.toml")
    assert [(d.code, d.line) for d in problems] == [("E614", 2)]
