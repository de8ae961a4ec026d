"""How many SMS parts a text takes: GSM-7 (160, then 153 a part) or UCS-2 (70, then 67).

One character outside the GSM-7 alphabet makes the whole message UCS-2. GSM-7 extension
characters (``{ } [ ] ~ \\ | ^ €``) take two septets; UCS-2 counts UTF-16 code units, so an
emoji takes two. Neither kind of pair is split across parts, as phones reassemble them.
"""

from __future__ import annotations

from ..frozen import frozen

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


@frozen(slots=True)
class SmsSize:
    """An SMS's encoding, length in that encoding's units, and parts."""

    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int
    first_non_gsm: str | None = None  # the character that forced UCS-2


_GSM7 = GSM7_BASIC | GSM7_EXTENSION


def measure(text: str) -> SmsSize:
    """Size of ``text`` as an SMS.

    >>> measure("Hi Ana").parts, measure("x" * 161).parts, measure("안녕" * 36).parts
    (1, 2, 2)
    >>> measure("x" * 161).encoding, measure("안녕").encoding
    ('GSM-7', 'UCS-2')
    """
    # Set operations over the text's distinct characters (done in C): every message a run
    # sends is measured, and `check` measures each SMS template's texts.
    chars = set(text)
    if chars <= _GSM7:
        encoding, odd, wide = "GSM-7", None, chars & GSM7_EXTENSION
    else:
        encoding = "UCS-2"
        odd = next(ch for ch in text if ch not in _GSM7)
        wide = {ch for ch in chars if ord(ch) > 0xFFFF}  # two UTF-16 code units
    total = len(text) + sum(text.count(ch) for ch in wide)
    if total <= SINGLE[encoding]:
        return SmsSize(encoding, total, 1 if total else 0, odd)
    if not wide:
        return SmsSize(encoding, total, -(-total // PART[encoding]), odd)
    parts, used = 1, 0
    for ch in text:  # pack greedily: a pair never straddles two parts
        width = 2 if ch in wide else 1
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
