"""Rendering a template for one customer."""

from __future__ import annotations

from winlang.deliver.render import render_message
from winlang.parse import parse_campaign

CAMPAIGN = parse_campaign(
    'campaign "ladder"\n'
    'template coupon sms "{first_name|there}, {discount}% off: {link}"\n'
    'template hello email subject "Hi {first_name}" body "<p>{first_name}, {tier|friend}</p>"\n'
).campaign
COUPON, HELLO = CAMPAIGN.templates


def _sms(**fields):
    return render_message(
        campaign="ladder",
        link="https://shop.example/back?src=sms",
        rule="coupon",
        customer_id=42,
        template=COUPON,
        channel="sms",
        kind="sms",
        to="+40700000000",
        fields=fields,
        params={"discount": 15.0},
    )


def test_placeholders_with_values_and_a_tracking_link():
    message = _sms(first_name="Ana")
    assert message.text == (
        f"Ana, 15% off: https://shop.example/back?src=sms&wl_c=ladder"
        f"&wl_r=coupon&wl_m={message.message_id}"
    )
    assert message.parts == 1 and message.idempotency_key == "ladder/coupon/42/0"


def test_a_missing_field_takes_the_fallback():
    assert _sms(first_name=None).text.startswith("there, 15% off")
    assert _sms(first_name="").text.startswith("there, 15% off")


def test_parts_are_measured_on_the_rendered_text():
    assert _sms(first_name="Ana").parts == 1
    assert _sms(first_name="김민준").parts == 2  # one Korean name makes the message UCS-2


def test_a_with_value_wins_over_a_field_of_the_same_name():
    message = render_message(
        campaign="ladder",
        link=None,
        rule="r",
        customer_id=1,
        template=COUPON,
        channel="sms",
        kind="sms",
        to="x",
        fields={"discount": 5, "first_name": "Ana"},
        params={"discount": 20},
    )
    assert message.text.startswith("Ana, 20% off")


def test_email_has_subject_and_body_and_no_parts():
    message = render_message(
        campaign="ladder",
        link=None,
        rule="hello",
        customer_id=3,
        template=HELLO,
        channel="email",
        kind="email",
        to="a@example.com",
        fields={"first_name": "Ágnes", "tier": None},
        params={},
    )
    assert (message.subject, message.body, message.text, message.parts) == (
        "Hi Ágnes",
        "<p>Ágnes, friend</p>",
        None,
        None,
    )
    assert message.as_json()["subject"] == "Hi Ágnes" and "text" not in message.as_json()


def _email(template, **fields):
    return render_message(
        campaign="ladder",
        link='https://shop.example/back?x="><b>',
        rule="hello",
        customer_id=42,
        template=template,
        channel="email",
        kind="email",
        to="ana@example.com",
        fields=fields,
        params={},
    )


def test_an_html_body_escapes_every_value_and_fallback():
    template = parse_campaign(
        'campaign "c"\ntemplate t email subject "Hi" '
        'body "<p>{first_name}, {tier|Tom & Jerry} <a href=\\"{link}\\">go</a></p>"'
    ).campaign.templates[0]
    message = _email(template, first_name="<script>x</script>", tier=None)
    assert message.html is True
    assert message.body.startswith("<p>&lt;script&gt;x&lt;/script&gt;, Tom &amp; Jerry ")
    assert '<a href="https://shop.example/back?x=&#34;&gt;&lt;b&gt;&amp;wl_c=ladder' in message.body


def test_a_text_body_stays_text_whatever_the_values_look_like():
    template = parse_campaign(
        'campaign "c"\ntemplate t email subject "Hi {first_name}" body "Hi {first_name}"'
    ).campaign.templates[0]
    message = _email(template, first_name="<p>Ana</p>\nBcc: x@evil.test")
    assert message.html is False
    assert message.body == "Hi <p>Ana</p>\nBcc: x@evil.test"
    assert message.subject == "Hi <p>Ana</p> Bcc: x@evil.test"


def test_a_body_file_named_html_is_html_even_without_a_tag():
    from dataclasses import replace

    template = parse_campaign(
        'campaign "c"\ntemplate t email subject "Hi" body file "t.html"'
    ).campaign.templates[0]
    template = replace(template, body=replace(template.body, value="Hi {first_name} & co"))
    message = _email(template, first_name="A & B")
    assert message.html is True and message.body == "Hi A &amp; B & co"
