"""How many SMS parts a text takes: GSM-7 (160, then 153 a part) or UCS-2 (70, then 67).

One character outside the GSM-7 alphabet makes the whole message UCS-2. GSM-7 extension
characters (``{ } [ ] ~ \\ | ^ €``) take two septets; UCS-2 counts UTF-16 code units, so an
emoji takes two. Neither kind of pair is split across parts, as phones reassemble them.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Romanian letters that GSM-7 lacks (comma- and cedilla-below forms alike), and the plain
# letter each is commonly written as in an SMS.
ROMANIAN_PLAIN = {
    **dict(zip("ăâîșşțţ", "aaisstt", strict=True)),
    **dict(zip("ĂÂÎȘŞȚŢ", "AAISSTT", strict=True)),
}

SINGLE = {"GSM-7": 160, "UCS-2": 70}
PART = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True, slots=True)
class SmsSize:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int
    first_non_gsm: str | None = None  # the character that forced UCS-2


def _units(text: str) -> tuple[str, list[int], str | None]:
    """The encoding and the width of each character in it."""
    odd = next((ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION), None)
    if odd is None:
        return "GSM-7", [2 if ch in GSM7_EXTENSION else 1 for ch in text], None
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text], odd


def measure(text: str) -> SmsSize:
    """Size of ``text`` as an SMS.

    >>> measure("Hi Ana").parts, measure("x" * 161).parts, measure("안녕" * 36).parts
    (1, 2, 2)
    >>> measure("x" * 161).encoding, measure("안녕").encoding
    ('GSM-7', 'UCS-2')
    """
    encoding, widths, odd = _units(text)
    total = sum(widths)
    if total <= SINGLE[encoding]:
        return SmsSize(encoding, total, 1 if total else 0, odd)
    parts, used = 1, 0
    for width in widths:  # pack greedily: a pair never straddles two parts
        if used + width > PART[encoding]:
            parts, used = parts + 1, 0
        used += width
    return SmsSize(encoding, total, parts, odd)


def without_romanian_diacritics(text: str) -> str:
    """``text`` with the Romanian letters GSM-7 lacks written plain.

    >>> without_romanian_diacritics("Bună ziua, ți-am pregătit o reducere în magazin")
    'Buna ziua, ti-am pregatit o reducere in magazin'
    """
    return text.translate(str.maketrans(ROMANIAN_PLAIN))
