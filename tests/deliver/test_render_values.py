"""Values render as people write them: defaults without a spec, Babel formats with one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pytest

from winlang.deliver.render import render_message, text_of
from winlang.parse import parse_campaign

NBSP, NNBSP = "\xa0", "\u202f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100 / 3, "33.333"),
        (0.1 + 0.2, "0.3"),
        (15.0, "15"),
        (-2.5, "-2.5"),
        (1234567.0, "1234567"),  # no thousands separator: ids, years and codes stay whole
        (2026, "2026"),
        (Decimal("19.990"), "19.99"),
        (np.float64(2.0), "2"),
        (float("nan"), ""),
        (0.0004, "0"),
        (True, "true"),
        (False, "false"),
        (None, ""),
        (datetime(2026, 8, 5, 11, 26, 28, 399000), "2026-08-05 11:26"),
        (datetime(2026, 8, 5, 20, 26, tzinfo=timezone(timedelta(hours=9))), "2026-08-05 11:26"),
        (datetime(1997, 1, 1), "1997-01-01"),  # a date column's value: midnight
        (date(1997, 1, 1), "1997-01-01"),
        ("Ana", "Ana"),
    ],
)
def test_values_without_a_spec(value, expected) -> None:
    assert text_of(value) == expected


def _render(template: str, locale: str = "en", **values) -> str:
    found = parse_campaign(f'campaign "c"\ntemplate t sms "{template}"').campaign
    message = render_message(
        campaign="c",
        link=None,
        rule="r",
        customer_id=1,
        template=found.templates[0],
        channel="sms",
        kind="sms",
        to="+40700000000",
        fields=values,
        params={},
        locale=locale,
    )
    return message.text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ko_KR", "₩1,500,000 €19.99 RON49.50"),
        ("ro_RO", f"1.500.000{NBSP}KRW 19,99{NBSP}EUR 49,50{NBSP}RON"),
        ("en_US", "₩1,500,000 €19.99 RON49.50"),
    ],
)
def test_currencies_in_three_locales(locale: str, expected: str) -> None:
    text = _render(
        "{a:currency:KRW} {b:currency:EUR} {c:currency:RON}", locale, a=1_500_000, b=19.99, c=49.5
    )
    assert text == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en_US", "15% 1,234.568"), ("ro_RO", f"15{NBSP}% 1.234,568"), ("ko_KR", "15% 1,234.568")],
)
def test_percent_and_number(locale: str, expected: str) -> None:
    assert _render("{p:percent} {n:number}", locale, p=0.15, n=1234.5678) == expected


def test_percent_keeps_up_to_two_decimals() -> None:
    assert _render("{a:percent} {b:percent} {c:percent}", a=0.125, b=1 / 3, c=1) == (
        "12.5% 33.33% 100%"
    )


def test_dates_and_times_with_styles() -> None:
    moment = datetime(2026, 8, 5, 11, 26, 28)
    assert _render("{t:date}", "en_US", t=moment) == "Aug 5, 2026"
    assert _render("{t:date:long}", "ko_KR", t=moment) == "2026년 8월 5일"
    assert _render("{t:date:short}", "ro_RO", t=moment) == "05.08.2026"
    assert _render("{t:time:short}", "en_US", t=moment) == f"11:26{NNBSP}AM"
    assert _render("{t:datetime:short}", "ro_RO", t=moment) == "05.08.2026, 11:26"
    assert _render("{d:date:long}", "en_US", d=date(1997, 1, 1)) == "January 1, 1997"


def test_times_are_shown_in_utc() -> None:
    seoul = datetime(2026, 8, 5, 9, 0, tzinfo=timezone(timedelta(hours=9)))
    assert _render("{t:time:short}", "en_US", t=seoul) == f"12:00{NNBSP}AM"
    assert _render("{t:datetime:short}", "en_US", t=seoul.astimezone(UTC)).startswith("8/5/26")


def test_null_takes_the_fallback_after_the_spec() -> None:
    assert _render("{x:percent|n/a} {y|none} {z}.", x=None, y=None, z=None) == "n/a none ."
    assert _render("{x:currency:EUR|free}", "en_US", x=0) == "€0.00"


def test_a_value_the_spec_does_not_fit_prints_plainly() -> None:
    assert _render("{x:percent} {t:date}", x="abc", t="soon") == "abc soon"
    assert _render("{b:number}", b=True) == "true"


def test_html_escaping_comes_after_formatting() -> None:
    found = parse_campaign(
        'campaign "c"\ntemplate t email subject "{v:currency:EUR}" '
        'body "<p>{v:currency:EUR} {n|<none>}</p>"'
    ).campaign
    message = render_message(
        campaign="c",
        link=None,
        rule="r",
        customer_id=1,
        template=found.templates[0],
        channel="email",
        kind="email",
        to="a@b.c",
        fields={"v": 5, "n": None},
        params={},
        locale="fr_FR",
    )
    assert message.body == f"<p>5,00{NBSP}€ &lt;none&gt;</p>"
    assert message.subject == f"5,00{NBSP}€"


def test_css_with_an_unknown_word_is_left_alone() -> None:
    assert _render("a{color:red} {x:number}", x=3) == "a{color:red} 3"


def test_the_formats_table_of_the_language_reference() -> None:
    """Each row of docs/language.md's formats table is what rendering gives (no-break
    spaces written as spaces there)."""
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "language.md"
    rows = re.findall(r"^\| `(\{[xt]:[a-z:A-Z]+\})` \| ([^|]+) \| (.+) \|$", page.read_text(), re.M)
    assert len(rows) == 8
    for spec, value, shown in rows:
        given = datetime.fromisoformat(value.strip()) if "-" in value else float(value)
        expected = [cell.strip() for cell in shown.split(" | ")]
        actual = [
            _render(spec, locale, x=given, t=given).replace(NBSP, " ").replace(NNBSP, " ")
            for locale in ("en_US", "ko_KR", "ro_RO")
        ]
        assert actual == expected, spec
