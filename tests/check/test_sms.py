"""SMS measuring: GSM-7 and UCS-2 boundaries, two-unit characters, and the checker's W501/E502."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.check.support import findings, with_limits
from winlang.check.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    ROMANIAN_PLAIN,
    measure,
    without_romanian_diacritics,
)

# ---- GSM-7 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "parts"),
    [
        (0, 0),
        (1, 1),
        (160, 1),
        (161, 2),
        (153 * 2, 2),
        (153 * 2 + 1, 3),
        (153 * 3, 3),
        (153 * 3 + 1, 4),
        (153 * 10, 10),
    ],
)
def test_gsm7_boundaries(length: int, parts: int) -> None:
    size = measure("a" * length)
    assert (size.encoding, size.characters, size.parts) == ("GSM-7", length, parts)


def test_gsm7_alphabet_includes_accented_letters_and_symbols() -> None:
    text = "Hé! Ça coûte 5€? Non: 4£ @ 10% — ok"
    assert measure("Héllo Ça £ ¥ ÆØÅ ß ñ ü à").encoding == "GSM-7"
    assert measure(text).encoding == "UCS-2"  # û and the long dash are not GSM-7
    assert measure(text).first_non_gsm == "û"


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION - {"\f"}))
def test_extension_characters_count_two(char: str) -> None:
    assert measure(char).characters == 2
    assert measure(char * 80) == measure(char * 80)  # deterministic
    assert measure(char * 80).parts == 1  # 160 septets
    assert measure(char * 81).parts == 2


def test_extension_pair_is_not_split_across_parts() -> None:
    # 152 plain characters leave one septet in the first part: the € moves to the next one
    text = "a" * 152 + "€" + "a" * 152
    size = measure(text)
    assert size.characters == 306  # would fit 2 parts of 153 if the pair could be split
    assert size.parts == 3


def test_extension_pair_fits_exactly() -> None:
    text = "a" * 151 + "€" + "a" * 153
    assert (measure(text).characters, measure(text).parts) == (306, 2)


# ---- UCS-2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "parts"),
    [(1, 1), (70, 1), (71, 2), (67 * 2, 2), (67 * 2 + 1, 3), (67 * 3, 3), (67 * 3 + 1, 4)],
)
def test_ucs2_boundaries(length: int, parts: int) -> None:
    size = measure("가" * length)
    assert (size.encoding, size.characters, size.parts) == ("UCS-2", length, parts)


def test_one_character_outside_gsm7_makes_it_all_ucs2() -> None:
    text = "a" * 69 + "’"
    assert (measure(text).encoding, measure(text).parts) == ("UCS-2", 1)
    assert measure(text + "a").parts == 2
    assert measure(text).first_non_gsm == "’"


def test_extension_characters_count_one_in_ucs2() -> None:
    assert measure("가€").characters == 2


def test_emoji_counts_two() -> None:
    assert measure("😀").characters == 2
    assert measure("😀" * 35).parts == 1
    assert measure("😀" * 35 + "a").parts == 2


def test_emoji_pair_is_not_split_across_parts() -> None:
    text = "가" * 66 + "😀" + "가" * 66  # 134 units: 2 parts only if the pair could straddle
    size = measure(text)
    assert (size.characters, size.parts) == (134, 3)


def test_romanian_letters_are_not_gsm7_and_their_plain_letters_are() -> None:
    assert set(ROMANIAN_PLAIN).isdisjoint(GSM7_BASIC | GSM7_EXTENSION)
    assert set(ROMANIAN_PLAIN.values()) <= GSM7_BASIC
    assert measure(without_romanian_diacritics("Țară în ședință")).encoding == "GSM-7"


def test_basic_alphabet_is_complete() -> None:
    assert len(GSM7_BASIC) == 127  # the 128 positions of GSM 03.38 but the escape


# ---- the checker ----------------------------------------------------------------------------


def campaign(template: str, send: str = "send sms t", link: bool = True) -> str:
    lines = ['campaign "t"']
    if link:
        lines.append('  link "https://shop.example.com/x"')
    lines += [f"template t sms {template}", f"when orders > 1 then {send}"]
    return "\n".join(lines) + "\n"


def codes(text: str, **options) -> list[str]:
    return [d.code for d in findings(text, **options)]


def test_one_part_is_silent() -> None:
    assert codes(campaign('"' + "a" * 160 + '"')) == []


def test_two_parts_warn_with_the_count() -> None:
    (finding,) = findings(campaign('"' + "a" * 161 + '"'))
    assert finding.code == "W501"
    assert "takes 2 parts (GSM-7, 161 characters" in finding.message
    assert "160 characters or fewer" in finding.hint


def test_more_than_the_maximum_is_an_error() -> None:
    (finding,) = findings(campaign('"' + "가" * 202 + '"'))
    assert finding.code == "E502"
    assert "takes 4 parts" in finding.message and "the maximum is 3" in finding.message
    assert "201 characters" in finding.hint and "Korean" in finding.hint


def test_maximum_comes_from_the_configuration() -> None:
    text = campaign('"' + "a" * 161 + '"')
    assert codes(text, config=with_limits(sms_max_parts=1)) == ["E502"]
    long = campaign('"' + "a" * 1000 + '"')
    assert codes(long, config=with_limits(sms_max_parts=10)) == ["W501"]


def test_stray_character_is_named_in_the_hint() -> None:
    (finding,) = findings(campaign('"We haven’t seen you in a while, ' + "a" * 60 + '"'))
    assert finding.code == "W501"
    assert finding.hint.startswith("replace `’`")
    assert "takes 1 part" in finding.hint


ROMANIAN = "Bună ziua, ți-am pregătit o reducere specială de 15% la următoarea comandă în magazin"


def test_romanian_diacritics_get_their_own_hint() -> None:
    """ă, ț and î are not GSM-7: a Romanian text is named as such, whatever its length (the
    stray-character hint is for at most three), with the plain letters that fix it."""
    (finding,) = findings(campaign(f'"{ROMANIAN}"'))
    assert finding.code == "W501" and "UCS-2" in finding.message
    assert finding.hint == (
        "`ă`, `ț` and `î` are Romanian letters outside the GSM-7 alphabet: the text is sent as "
        "UCS-2 (70 characters a message, 67 a part); write `a`, `t` and `i` instead and it is "
        "GSM-7 in 1 part"
    )


@pytest.mark.parametrize(
    ("text", "letters"),
    [
        ("Șansa ta: " + "a" * 70, "`Ș` is a Romanian letter"),
        ("ş ţ â " + "a" * 70, "`ş`, `ţ` and `â`"),
    ],
)
def test_every_romanian_letter_is_named_cedilla_forms_too(text: str, letters: str) -> None:
    (finding,) = findings(campaign(f'"{text}"'))
    assert finding.hint.startswith(letters), finding.hint
    assert finding.hint.endswith("GSM-7 in 1 part")


def test_romanian_and_a_stray_quote_are_named_together() -> None:
    (finding,) = findings(campaign(f'"{ROMANIAN}, vă așteptăm’"'))
    assert "write `a`, `t`, `i` and `s` instead (and replace `’` with a plain character)" in (
        finding.hint
    )


def test_romanian_letters_in_korean_text_keep_the_non_latin_hint() -> None:
    (finding,) = findings(campaign('"ă ' + "가" * 202 + '"'))
    assert finding.code == "E502" and "Korean" in finding.hint


def test_field_placeholders_count_as_configured() -> None:
    text = campaign('"{first_name}' + "a" * 150 + '"')  # 10 + 150 = 160
    assert codes(text) == []
    assert codes(text, config=with_limits(sms_placeholder_length=11)) == ["W501"]


def test_long_fallback_counts_in_full() -> None:
    fallback = "x" * 20
    text = campaign('"{first_name|' + fallback + "}" + "a" * 145 + '"')  # 20 + 145 = 165
    assert codes(text) == ["W501"]


def test_literal_with_values_count_as_written() -> None:
    text = campaign('"{code}' + "a" * 155 + '"', send='send sms t with code = "ABCDE"')
    assert codes(text) == []
    longer = campaign('"{code}' + "a" * 155 + '"', send='send sms t with code = "ABCDEFG"')
    assert codes(longer) == ["W501"]


def test_link_counts_as_the_full_tracking_link() -> None:
    # the link alone is the base URL and about 40 characters of tracking parameters
    text = campaign('"{link}' + "a" * 100 + '"')
    assert codes(text) == ["W501"]
    assert codes(campaign('"{link}' + "a" * 60 + '"')) == []


def test_each_send_is_measured_and_the_worst_reported() -> None:
    text = (
        'campaign "t"\ntemplate t sms "{code}' + "a" * 150 + '"\n'
        'rule a: when orders > 1 then send sms t with code = "A"\n'
        'rule b: when orders > 2 then send sms t with code = "' + "B" * 20 + '"\n'
    )
    (finding,) = findings(text)
    assert finding.code == "W501" and "170 characters" in finding.message


# ---- W503: a fallback or `with` value changes the size ---------------------------------------


def test_a_non_gsm_fallback_that_makes_the_text_ucs2_is_named() -> None:
    text = campaign('"{first_name|Dragă client}, -15% today with code BACK15 at the shop"')
    (finding,) = findings(text)
    assert finding.code == "W503"
    assert "the fallback `Dragă client` of `{first_name}`" in finding.message
    assert (
        "is sent as UCS-2 (1 part" in finding.message and "as GSM-7 it takes 1" in finding.message
    )
    assert finding.hint.startswith("replace `ă` with plain letters")


def test_a_short_non_gsm_fallback_is_measured_too() -> None:
    # two letters: shorter than the placeholder's estimate, but they make the text UCS-2
    text = campaign('"{first_name|Ţu}, ' + "a" * 70 + '"')
    (finding,) = findings(text)
    assert finding.code == "W503" and "takes 1" in finding.message
    assert "2 parts" in finding.message


def test_a_fallback_that_pushes_over_the_maximum_warns_instead_of_failing() -> None:
    text = campaign('"{first_name|' + "x" * 200 + "}" + "a" * 150 + '"')
    (finding,) = findings(text, config=with_limits(sms_max_parts=2))
    assert finding.code == "W503"
    assert "takes 3 parts, over the maximum of 2" in finding.message
    assert "too_long" in finding.message and "sms_max_parts" in finding.hint


def test_a_literal_with_value_that_makes_the_text_ucs2_is_named() -> None:
    text = campaign('"{code}: 15% off"', send='send sms t with code = "ÇA-15"')
    assert codes(text) == []  # Ç is GSM-7
    text = campaign('"{code}: 15% off"', send='send sms t with code = "ŞA-15"')
    (finding,) = findings(text)
    assert finding.code == "W503" and '`with code = "ŞA-15"`' in finding.message


def test_the_template_itself_over_the_maximum_stays_an_error() -> None:
    text = campaign('"{first_name|Dragă}' + "a" * 600 + '"')
    assert codes(text) == ["E502"]


# ---- measure against its definition, character by character -------------------------------


def _measured_one_by_one(text: str) -> tuple[str, int, int, str | None]:
    """The definition, plainly: each character's width, then greedy packing into parts."""
    odd = next((ch for ch in text if ch not in GSM7_BASIC | GSM7_EXTENSION), None)
    if odd is None:
        encoding, widths = "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    else:
        encoding, widths = "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    single, part = {"GSM-7": (160, 153), "UCS-2": (70, 67)}[encoding]
    total = sum(widths)
    if total <= single:
        return encoding, total, 1 if total else 0, odd
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts, used = parts + 1, 0
        used += width
    return encoding, total, parts, odd


_SMS_CHARACTERS = st.sampled_from("aZ 9@é€^{}[]~|\\\fșă안😀\n")


@given(st.text(_SMS_CHARACTERS, max_size=400) | st.integers(0, 700).map(lambda n: "a" * n))
def test_measure_is_its_definition(text: str) -> None:
    size = measure(text)
    assert (size.encoding, size.characters, size.parts, size.first_non_gsm) == (
        _measured_one_by_one(text)
    )
