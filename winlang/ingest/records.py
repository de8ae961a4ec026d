"""One event record, validated: the pure part of ``winlang ingest``.

A record is a mapping of field names to values, from a JSON line or a CSV row. It becomes an
:class:`Event` or a :class:`Problem` (its line and the reason, in words):

>>> rules = Rules(types=frozenset({"open", "click"}))
>>> event = validate({"event_id": "e1", "customer_id": 17, "type": "open",
...                   "occurred_at": "2026-11-22T10:00:00+02:00"}, 1, rules)
>>> event.customer_id, event.occurred_at
('17', datetime.datetime(2026, 11, 22, 8, 0))
>>> validate({"event_id": "e2", "customer_id": "17", "type": "opened",
...           "occurred_at": "2026-11-22"}, 2, rules).reason
'unknown event type `opened` (did you mean `open`?)'

A record may name its message instead of its customer, campaign and template: by the ``wl_m``
parameter of a tracked link (with ``wl_c`` and ``wl_r`` if at hand). It is then a
:class:`Tracked` record, which :func:`complete` turns into an event with the message's
customer, campaign, channel and template, from the ledger row ingest looks up.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from ..ast import VERB_EVENT_TYPES
from ..links import is_message_id
from ..suggest import closest

if TYPE_CHECKING:
    from ..state.tracking import TrackedMessage

REQUIRED = ("event_id", "customer_id", "type", "occurred_at")
_MAX_ID_DIGITS = 100  # a number id longer than this is no id (and Python's str() has limits)
# The state's column widths (winlang/state/tables.py): longer text would not fit everywhere.
MAX_LENGTH = {
    "event_id": 200,
    "customer_id": 200,
    "type": 100,
    "channel": 100,
    "campaign": 200,
    "template": 200,
    "rule": 200,
    "wl_m": 40,
}


class Event(NamedTuple):
    """A valid event; ``occurred_at`` is naive UTC.

    A named tuple rather than a frozen dataclass: it is built once per record (a million
    times for a large file, three times faster so) and is the row that gets inserted.
    """

    # In the order of the columns of ``ingested_events``, so an event is its row.
    event_id: str
    customer_id: str
    type: str
    channel: str | None
    campaign: str | None
    template: str | None
    occurred_at: datetime
    amount: float | None = None
    product_name: str | None = None

    def content(self) -> tuple:
        """Everything but the id: two events with one id must agree on all of it."""
        return self[1:]


FIELDS = Event._fields
# The parameters of a tracked link (winlang.links.tracking_link): campaign, rule, message id.
LINK_FIELDS = ("wl_c", "wl_r", "wl_m")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the record on ``line`` was not taken."""

    line: int
    reason: str

    def at(self, path: str) -> str:
        """``file:line: reason``, as compilers print it."""
        return f"{path}:{self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class FileProblem(Problem):
    """A problem of the whole file (a CSV header): no record can be read."""


@dataclass(frozen=True, slots=True)
class Tracked:
    """A valid record that names its message (``wl_m``), still to be completed from the
    ledger by :func:`complete`; ``event.customer_id`` is empty when the record has none."""

    event: Event
    message_id: str
    campaign: str | None  # wl_c
    rule: str | None  # wl_r


@dataclass(frozen=True)
class Rules:
    """What a record is checked against besides itself.

    ``types``: the event types that may be ingested (the standard ones and those declared in
    ``[events] types``); ``text_numbers``: numbers arrive as text (CSV) and are parsed.
    """

    types: frozenset[str]
    text_numbers: bool = False


class _Invalid(ValueError):
    """Raised by the field checks below; becomes a :class:`Problem`."""


def validate(record: Mapping[str, object], line: int, rules: Rules) -> Event | Tracked | Problem:
    """The record on ``line`` as an :class:`Event` (a :class:`Tracked` one when it names its
    message by ``wl_m``), or the first reason it is not one."""
    try:
        if not _KNOWN.issuperset(record):
            unknown = next(name for name in record if name not in _KNOWN)
            raise _Invalid(unknown_field(str(unknown), "field"))
        get = record.get
        # Checked in the order a reader expects the first problem: ids, type, time, the rest.
        event_id = _identifier(get("event_id"), "event_id")
        linked = any(get(name) not in (None, "") for name in LINK_FIELDS)
        if linked and get("customer_id") in (None, ""):
            customer_id = ""  # the ledger knows whom the message went to
        else:
            customer_id = _identifier(get("customer_id"), "customer_id")
        kind = _event_type(get("type"), rules.types)
        moment = _moment(get("occurred_at"))
        event = Event(
            event_id,
            customer_id,
            kind,
            _text(get("channel"), "channel"),
            _text(get("campaign"), "campaign"),
            _text(get("template"), "template"),
            moment,
            _amount(get("amount"), rules.text_numbers),
            _text(get("product_name"), "product_name"),
        )
        if not linked:
            return event
        message = _text(get("wl_m"), "wl_m")
        if message is None or not is_message_id(message):
            shown = "missing" if message is None else f"not a message id: {message!r}"
            raise _Invalid(f"`wl_m` is {shown} (the 12 characters after wl_m= in the link)")
        return Tracked(event, message, _text(get("wl_c"), "campaign"), _text(get("wl_r"), "rule"))
    except _Invalid as problem:
        return Problem(line, str(problem))


def complete(tracked: Tracked, line: int, found: Sequence[TrackedMessage]) -> Event | Problem:
    """The event of a :class:`Tracked` record, with the customer, campaign, channel and
    template of the ledger's message ``found`` for its ``wl_m``; a problem when there is no
    such message (or several), or when the record says otherwise than the ledger.

    >>> from winlang.state.tracking import TrackedMessage
    >>> m = TrackedMessage("g5xc5dk6h7o7", "l/s/42/0", "l", "s", "42", "sms", "t", "sent",
    ...                    None, None)
    >>> at = datetime(2026, 11, 22)
    >>> t = Tracked(Event("e1", "", "click", None, None, None, at), "g5xc5dk6h7o7", "l", "s")
    >>> e = complete(t, 1, [m])
    >>> e.customer_id, e.campaign, e.channel, e.template
    ('42', 'l', 'sms', 't')
    >>> complete(Tracked(t.event, t.message_id, "l", "x"), 2, [m]).reason
    '`wl_r` is `x`, but message g5xc5dk6h7o7 was sent by rule `s`'
    """
    if len(found) != 1:
        what = "no message" if not found else "several messages"
        return Problem(
            line,
            f"`wl_m` {tracked.message_id} names {what} in the ledger (is this the state "
            "database of the runs that sent it?)",
        )
    message, event = found[0], tracked.event
    said = (
        ("wl_c", tracked.campaign, message.campaign, "was sent by campaign"),
        ("wl_r", tracked.rule, message.rule, "was sent by rule"),
        ("customer_id", event.customer_id or None, message.customer_id, "went to customer"),
        ("campaign", event.campaign, message.campaign, "was sent by campaign"),
        ("channel", event.channel, message.channel, "went out on"),
        ("template", event.template, message.template, "has template"),
    )
    for name, given, known, verb in said:
        if given is not None and given != known:
            return Problem(
                line, f"`{name}` is `{given}`, but message {tracked.message_id} {verb} `{known}`"
            )
    return event._replace(
        customer_id=message.customer_id,
        channel=message.channel,
        campaign=message.campaign,
        template=message.template,
    )


_KNOWN = frozenset((*FIELDS, *LINK_FIELDS))


def unknown_field(name: str, what: str) -> str:
    """``unknown field `amout` (did you mean `amount`?)``; ``what`` is field or column."""
    match = closest(name, (*FIELDS, *LINK_FIELDS))
    hint = f" (did you mean `{match}`?)" if match else ""
    return f"unknown {what} `{name}`{hint}"


# The checks below take the value of one field (None when absent or null). An empty text is
# null too: CSV has no other way to write one.


def _text(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if value.__class__ is not str:
        raise _Invalid(f"`{name}` must be text, not {_shown(value)}")
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(value) > limit:  # type: ignore[arg-type]
        raise _Invalid(f"`{name}` is longer than {limit} characters")
    if found := _CONTROL.search(value):  # type: ignore[arg-type]
        # A NUL is cut off by some databases and drivers (two ids become one), and no
        # export means a control character: refused, never stored.
        raise _Invalid(f"`{name}` holds a control character ({found[0]!r})")
    return value  # type: ignore[return-value]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1


def _required(value: object, name: str) -> str:
    text = _text(value, name)
    if text is None:
        raise _Invalid(f"missing `{name}`")
    return text


def _identifier(value: object, name: str) -> str:
    """An id: text, or a whole JSON number (kept as its digits). Spaces around an id would
    make it a different id from the store's, so they are refused rather than guessed away."""
    if value.__class__ is int:
        if abs(value) >= 10**_MAX_ID_DIGITS:  # type: ignore[arg-type]
            raise _Invalid(f"`{name}` is a number of more than {_MAX_ID_DIGITS} digits")
        return str(value)
    if value is not None and value.__class__ is not str:
        raise _Invalid(f"`{name}` must be text or a whole number, not {_shown(value)}")
    text = _required(value, name)
    if text[0].isspace() or text[-1].isspace():
        raise _Invalid(f"`{name}` has spaces around it: {text!r}")
    return text


def _event_type(value: object, types: frozenset[str]) -> str:
    if value.__class__ is str and value in types:
        return value  # type: ignore[return-value]
    kind = _required(value, "type")
    match = VERB_EVENT_TYPES.get(kind.lower()) or closest(kind.lower(), sorted(types))
    hint = (
        f"did you mean `{match}`?"
        if match in types
        else "other types are declared in winlang.toml under [events] types"
    )
    raise _Invalid(f"unknown event type `{kind}` ({hint})")


def _moment(value: object) -> datetime:
    """ISO-8601 text; without an offset it is UTC. The result is naive UTC, as stored."""
    if value is None or value == "":
        raise _Invalid("missing `occurred_at`")
    if value.__class__ is not str:
        raise _Invalid(
            f"`occurred_at` must be ISO-8601 text such as 2026-11-22T10:00:00Z, not {_shown(value)}"
        )
    return parse_moment(value)  # type: ignore[arg-type]


def parse_moment(text: str) -> datetime:
    """``text`` as a naive UTC datetime.

    >>> parse_moment("2026-11-22T10:00:00Z"), parse_moment("2026-11-22 12:00:00+02:00")
    (datetime.datetime(2026, 11, 22, 10, 0), datetime.datetime(2026, 11, 22, 10, 0))
    """
    # A trailing Z is parsed as a naive time: the same moment, without building a zone and
    # converting (four times faster, and most exports write Z).
    zulu = text.endswith("Z")
    try:
        moment = datetime.fromisoformat(text[:-1] if zulu else text)
    except ValueError:
        moment = None
    offset = None if moment is None else moment.utcoffset()
    if moment is None or (zulu and offset is not None):
        raise _Invalid(f"`occurred_at` is not an ISO-8601 time: {text!r}")
    if offset is None:
        return moment
    try:
        return moment.replace(tzinfo=None) - offset
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first representable moment
        raise _Invalid(f"`occurred_at` is out of range: {text!r}") from None


def _amount(value: object, text_numbers: bool) -> float | None:
    if value is None or value == "":
        return None
    if value.__class__ is str and text_numbers:
        try:
            number = float(value)  # type: ignore[arg-type]
        except ValueError:
            raise _Invalid(f"`amount` is not a number: {value!r}") from None
    elif value.__class__ not in (int, float):  # bool is a subclass of int, not int itself
        raise _Invalid(f"`amount` must be a number, not {_shown(value)}")
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:
            number = math.inf
    if not math.isfinite(number):
        raise _Invalid(f"`amount` must be a finite number, not {value!r}")
    return number


def _shown(value: object) -> str:
    """A value as the user wrote it in JSON (``true``, ``1.5``, ``[...]``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return repr(value)
