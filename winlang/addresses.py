"""Customer values that end up in message headers: addresses and one-line header text.

An address is taken only when it is exactly what its channel needs; anything else is
``bad_address`` at planning time (:mod:`winlang.policies.contact`) and a permanent failure if
it ever reaches a channel, so no customer value can add a recipient or a header line.

- **email**: exactly one mailbox, parsed by :mod:`email.headerregistry` (``ana@example.com``
  or ``Ana <ana@example.com>``) without a defect, an ASCII local part of at most 64 characters,
  an ASCII host name for domain (letters, digits and inner hyphens between dots: an
  international domain is written in its ``xn--`` form; no ``[1.2.3.4]``), at most 254
  characters in all. ``a@b.c>, <x@evil.test`` names two mailboxes and is refused.
- **sms**: a phone number: an optional ``+``, then 1 to 15 digits, which spaces, dots,
  hyphens, slashes and parentheses may separate (``+40 (722) 123-456``).
- **every channel**: no control character (CR, LF, NUL, DEL, the C1 controls, the Unicode
  line and paragraph separators).

>>> str(email_address("Ana <ana@example.com>")), email_address("a@b.c>, <x@evil.test")
('Ana <ana@example.com>', None)
>>> valid_address("+40 722 123 456", "sms"), valid_address("tok\\r\\nX: y", "push")
(True, False)
>>> header_text("Hi\\r\\nBcc: x@evil.test")
'Hi Bcc: x@evil.test'
"""

from __future__ import annotations

import re
from email.headerregistry import Address, HeaderRegistry
from email.utils import getaddresses

# Characters that end or corrupt a header line, or that no address has: C0, DEL and C1
# controls, the Unicode line and paragraph separators (first and last code point of each range).
CONTROL_RANGES = ((0x00, 0x1F), (0x7F, 0x9F), (0x2028, 0x2029))
# The same as a character class in RE2's syntax, for Arrow's regular expressions.
CONTROL_CLASS = "[" + "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in CONTROL_RANGES) + "]"
_CONTROL_PY = "[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in CONTROL_RANGES) + "]"
_CONTROL = re.compile(_CONTROL_PY)
_CONTROL_RUN = re.compile(_CONTROL_PY + "+")

# A plain ``local@host`` that is certainly one valid mailbox (RFC 5322 dot-atom, LDH host,
# short enough for every length limit): most addresses, judged in bulk without the parser.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LDH = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
PLAIN_EMAIL = rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@{_LDH}(?:\.{_LDH})*$"
# ... and the same after a display name of plain words: ``Ana Lee <ana@example.com>``.
NAMED_EMAIL = rf"^[A-Za-z0-9]+(?: [A-Za-z0-9]+)* <{PLAIN_EMAIL[1:-1]}>$"
PLAIN_EMAIL_MAX_LENGTH = 64  # the local part then can't pass its own limit of 64
_HOST = re.compile(rf"{_LDH}(?:\.{_LDH})*")  # ASCII letters and digits, inner hyphens

# An optional +, then 1 to 15 digits with separators between them.
PHONE = r"^\+?[ .()/-]*(?:[0-9][ .()/-]*){1,15}$"
_PHONE = re.compile(PHONE)

_REGISTRY = HeaderRegistry()


def has_control_characters(text: str) -> bool:
    """Whether ``text`` holds a character that would break a header line."""
    return _CONTROL.search(text) is not None


def header_text(text: str) -> str:
    """``text`` on one line: each run of control characters (a CR LF above all) becomes one
    space, so a value can never start a header of its own."""
    return _CONTROL_RUN.sub(" ", text)


def email_address(text: str) -> Address | None:
    """The one mailbox ``text`` names (surrounding blanks ignored), or None when it names
    none, several, a group, or one with a defect."""
    text = text.strip()
    if not text or has_control_characters(text):
        return None
    # email.utils first: 20 times faster than the registry, it turns most junk away early
    found = getaddresses([text])
    if len(found) != 1 or not found[0][1]:
        return None
    try:
        header = _REGISTRY("To", text)
        addresses, groups, defects = header.addresses, header.groups, header.defects
    except Exception:  # the stdlib parser also raises IndexError, AttributeError...
        return None  # on odd input (`a@`, `.:`): no mailbox either way
    if defects or len(addresses) != 1 or len(groups) != 1 or groups[0].display_name:
        return None
    address = addresses[0]
    local, domain = address.username, address.domain
    if not local or not local.isascii() or len(local) > 64 or len(address.addr_spec) > 254:
        return None
    return address if _HOST.fullmatch(domain) else None


def valid_phone(text: str) -> bool:
    """Whether ``text`` (surrounding blanks ignored) is a phone number."""
    return _PHONE.match(text.strip()) is not None


def valid_address(text: str, kind: str) -> bool:
    """Whether ``text`` is a usable address for a channel of ``kind`` (a blank one is not)."""
    if not text.strip():
        return False
    if kind == "email":
        return email_address(text) is not None
    if kind == "sms":
        return valid_phone(text)
    return not has_control_characters(text.strip())
