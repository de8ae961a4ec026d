"""Short links keep SMS small; {unsubscribe} and {link} as `check` and rendering know them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.check.support import CONFIG, codes
from winlang.config import TrackingSettings
from winlang.deliver.render import render_message
from winlang.links import Tracking
from winlang.parse import parse_campaign

LINK = "https://shop.example.com/welcome-back"
TRACKED = replace(CONFIG, tracking=TrackingSettings("https://go.example.com"))
# (language, template, first name): a customer's name and a 15% coupon, then the link
SMS = [
    ("ro", "{first_name}, ne-ați lipsit! Reducere 15% la următoarea comandă: {link}", "Ioana"),
    ("ko", "{first_name}님, 다시 만나서 반가워요! 다음 주문 15% 할인: {link}", "지민"),
]


def rendered(template: str, name: str, tracking: Tracking | None, **options):
    campaign = parse_campaign(f'campaign "sms-reengagement-ladder"\ntemplate t sms "{template}"')
    kind = options.pop("kind", "sms")
    return render_message(
        campaign="sms-reengagement-ladder",
        link=LINK,
        rule="coupon",
        customer_id=123456,
        template=campaign.campaign.templates[0],
        channel=kind,
        kind=kind,
        to="+40700000000",
        fields={"first_name": name},
        params={},
        tracking=tracking,
        **options,
    )


@pytest.mark.parametrize(("language", "template", "name"), SMS)
def test_a_short_link_saves_a_part_of_a_romanian_or_korean_sms(language, template, name) -> None:
    long = rendered(template, name, None)
    short = rendered(template, name, Tracking("https://go.example.com", b"secret"))
    assert long.text.endswith("&wl_r=coupon&wl_m=" + short.text[-12:])
    assert len(long.text) - len(short.text) == 96 - 37  # the link: 96 characters, then 37
    assert (long.parts, short.parts) == {"ro": (3, 2), "ko": (2, 1)}[language]
    assert short.metadata == {"link": long.text.split(" ")[-1]}  # where /r/ redirects to


def test_every_step_of_a_send_chain_links_to_the_firing() -> None:
    tracking = Tracking("https://go.example.com", b"secret")
    first = rendered("Hi: {link}", "Ana", tracking)
    key = first.idempotency_key
    failover = rendered("{link}", "Ana", tracking, kind="push", key=f"{key}/1", firing_key=key)
    assert failover.idempotency_key != key
    assert failover.text == first.text.split(" ")[-1]


UNSUBSCRIBE = """campaign "t"
  link "https://shop.example.com"
template hi sms "{first_name|Hi}: {link} Stop: {unsubscribe}"
rule hi: when orders > 0 then send sms hi
"""


def test_unsubscribe_needs_tracking_and_is_known_with_it() -> None:
    assert codes(UNSUBSCRIBE) == ["E414"]
    assert codes(UNSUBSCRIBE, config=TRACKED) == []


def test_require_unsubscribe_warns_by_channel_name_or_kind() -> None:
    without = UNSUBSCRIBE.replace(" Stop: {unsubscribe}", "")
    for required in (("sms",), ("email", "sms")):
        config = replace(TRACKED, tracking=TrackingSettings("https://go.example.com", required))
        assert codes(without, config=config) == ["W415"]
        assert codes(UNSUBSCRIBE, config=config) == []
    config = replace(TRACKED, tracking=TrackingSettings("https://go.example.com", ("email",)))
    assert codes(without, config=config) == []


def test_check_measures_an_sms_with_the_short_link() -> None:
    text = (
        'campaign "sms-reengagement-ladder"\n  link "https://shop.example.com/welcome-back"\n'
        'template t sms "다시 만나서 반가워요! 다음 주문 15% 할인: {link}"\n'
        "rule coupon: when orders > 0 then send sms t\n"
    )
    assert codes(text) == ["W501"]  # 2 parts with the long link
    assert codes(text, config=TRACKED) == []
