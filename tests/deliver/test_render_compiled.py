"""Rendering a slice column by column gives, for every row, the message the row-by-row
renderer gives: for generated templates (literal text with HTML metacharacters, control
characters and braces; placeholders with fallbacks and format specs; `{link}` and
`{unsubscribe}`) and generated values (None, unicode, numbers of every kind, times, dates;
as Arrow columns and as Python values), in several locales, on every kind of channel."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from winlang import ast as A
from winlang.addresses import header_text
from winlang.check.sms import measure
from winlang.check.templates import Show, is_html, placeholder_names, text_pieces
from winlang.contracts.message import Message, idempotency_key
from winlang.deliver.columns import Distinct, codes_of, distinct
from winlang.deliver.render import (
    Recipients,
    _html_escape,
    compile_template,
    render_messages,
    shower,
)
from winlang.formats import DEFAULT_LOCALE
from winlang.links import Tracking, message_id, tracking_link
from winlang.parse import parse_campaign


def reference_message(
    *,
    campaign: str,
    link: str | None,
    rule: str,
    customer_id: object,
    template: A.Template,
    channel: str,
    kind: str,
    to: str,
    values: Mapping[str, object],
    variant: str | None = None,
    key: str,
    locale: str = DEFAULT_LOCALE,
    tracking: Tracking | None = None,
    firing_key: str,
) -> Message:
    """The row-by-row renderer the compiled one replaced, kept as the reference: one dict
    of values per message, each placeholder shown, escaped and joined for that message."""
    values = dict(values)
    metadata: dict[str, str] = {}
    if link or tracking is not None:
        token = message_id(firing_key)
        if link:
            values["link"] = tracking_link(link, campaign, rule, token)
            if tracking is not None:
                metadata["link"] = values["link"]
                values["link"] = tracking.short_link(token)
        texts = (template.body, template.subject) if template.subject else (template.body,)
        uses = any("unsubscribe" in placeholder_names(t.value) for t in texts)
        if tracking is not None and (kind == "email" or uses):
            values["unsubscribe"] = metadata["unsubscribe"] = tracking.unsubscribe_link(token)
    html = kind == "email" and is_html(template.body)
    show = shower(locale)
    body = _filled(template.body.value, values, show, _html_escape if html else None)
    name, customer = template.name.name, str(customer_id)
    if template.subject is not None:
        subject = header_text(_filled(template.subject.value, values, show))
        return Message(
            key, campaign, rule, customer, channel, name, to, None, subject, body, None,
            variant, html, metadata,
        )  # fmt: skip
    parts = measure(body).parts if kind == "sms" else None
    return Message(
        key, campaign, rule, customer, channel, name, to, body, None, None, parts, variant,
        None, metadata,
    )  # fmt: skip


def _filled(
    text: str, values: Mapping[str, object], show: Show, escape: Callable[[str], str] | None = None
) -> str:
    """``text``'s placeholders filled for one message: each value shown by its spec, else the
    fallback, then escaped."""
    shown = (
        piece if isinstance(piece, str) else (show(values.get(piece[0]), piece[2]) or piece[1])
        for piece in text_pieces(text)
    )
    if escape is None:
        return "".join(shown)
    return "".join(
        piece if isinstance(piece, str) else escape(value)
        for piece, value in zip(text_pieces(text), shown, strict=True)
    )


# ---- generated templates ---------------------------------------------------------------------

NAMES = ("a", "b", "c", "link", "unsubscribe", "absent")
SPECS = (
    None, "number", "percent", "currency:EUR", "currency:KRW", "date", "date:long", "time",
    "datetime:short",
)  # fmt: skip
LITERAL = st.lists(
    st.sampled_from([*"Hi, <p>&\"'  é김€\r\n\x07{}", "{{", "}}", "<b>", "{color:red}"]),
    max_size=8,
).map("".join)
FALLBACK = st.text(st.sampled_from(list("you&<>'\"é김 \x07€")), max_size=5)


@st.composite
def placeholders(draw) -> str:
    name = draw(st.sampled_from(NAMES))
    spec = draw(st.sampled_from(SPECS))
    text = name if spec is None else f"{name}:{spec}"
    if draw(st.booleans()):
        text += "|" + draw(FALLBACK)
    return "{" + text + "}"


@st.composite
def template_texts(draw) -> str:
    pieces = draw(st.lists(st.one_of(LITERAL, placeholders()), max_size=6))
    return "".join(pieces)


def _template(kind: str, body: str, subject: str | None) -> A.Template:
    """A template of ``kind`` whose texts are ``body`` and ``subject``, as written (the
    parser's escapes can't spell every character a text may hold)."""
    text = f'campaign "c"\ntemplate t {kind} '
    text += 'subject "s" body "b"' if subject is not None else '"b"'
    template = parse_campaign(text).campaign.templates[0]
    texts = {"body": replace(template.body, value=body, offsets=None)}
    if subject is not None:
        texts["subject"] = replace(template.subject, value=subject, offsets=None)
    return replace(template, **texts)


# ---- generated values ------------------------------------------------------------------------

TEXTS = st.one_of(
    st.none(),
    st.text(st.sampled_from(list("Ana <i>&'\"\r\n\x00\t김민준ăț€😀{}")), max_size=6),
)
NUMBERS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 15.0, 0.15, 1 / 3, 1e22, 1234567.891]),
)
INTEGERS = st.one_of(st.none(), st.integers(-(10**12), 10**12))
BOOLS = st.one_of(st.none(), st.booleans())
MOMENTS = st.one_of(
    st.none(),
    st.datetimes(datetime(1970, 1, 2), datetime(2100, 1, 1)),
    st.just(datetime(2026, 11, 22)),  # midnight: shown as a date
)
DATES = st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 1, 1)))
ARROW = {
    "text": (TEXTS, pa.string()),
    "number": (NUMBERS, pa.float64()),
    "integer": (INTEGERS, pa.int64()),
    "bool": (BOOLS, pa.bool_()),
    "moment": (MOMENTS, pa.timestamp("us")),
    "date": (DATES, pa.date32()),
}
ANYTHING = st.one_of(
    TEXTS,
    NUMBERS,
    INTEGERS,
    BOOLS,
    MOMENTS,
    DATES,
    st.decimals(allow_nan=False, places=3, min_value=-(10**6), max_value=10**6),
    st.sampled_from([Decimal("1.0"), Decimal("1.00"), 1, True, 1.0]),
    st.datetimes(timezones=st.just(timezone(timedelta(hours=9)))),
    st.just(datetime(2026, 1, 1, tzinfo=UTC)),
)


@st.composite
def columns(draw, size: int) -> tuple[list[object], object]:
    """A column of ``size`` values: (the Python value of each row, the column as the
    planner holds it: an Arrow array of one type, or a list of mixed Python values)."""
    kind = draw(st.sampled_from([*ARROW, "python"]))
    if kind == "python":
        rows = draw(st.lists(ANYTHING, min_size=size, max_size=size))
        return rows, rows
    values, arrow_type = ARROW[kind]
    rows = draw(st.lists(values, min_size=size, max_size=size))
    if draw(st.booleans()):  # a few distinct values repeated, as real columns have
        rows = [rows[i % max(1, size // 3)] for i in range(size)]
    array = pa.array(rows, type=arrow_type)
    if draw(st.booleans()):  # a categorical Parquet column, a DuckDB enum
        array = array.dictionary_encode()
    return array.to_pylist(), array


def _same(left: object, right: object) -> bool:
    """Equal, NaN equal to NaN."""
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    return left == right


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_slice_renders_as_each_row_rendered_alone(data):
    kind = data.draw(st.sampled_from(["email", "sms", "push"]), label="kind")
    body = data.draw(template_texts(), label="body")
    if kind == "email" and data.draw(st.booleans()):
        body = "<p>" + body
    subject = data.draw(template_texts(), label="subject") if kind == "email" else None
    template = _template(kind, body, subject)

    size = data.draw(st.integers(1, 7), label="rows")
    drawn = {name: data.draw(columns(size), label=name) for name in ("a", "b", "c")}
    locale = data.draw(st.sampled_from(["en", "ro_RO", "ko_KR", "de_DE", "ar"]), label="locale")
    link = data.draw(st.sampled_from([None, "https://shop.example/back?x=1&y=<2>"]))
    tracking = data.draw(st.sampled_from([None, Tracking("https://go.example", b"s")]))
    keys = [idempotency_key("c", "r", 100 + row) for row in range(size)]
    firing_keys = [key if row % 2 else key.rsplit("/", 1)[0] for row, key in enumerate(keys)]
    variants = [None if row % 3 else "B" for row in range(size)]

    rendered = render_messages(
        compile_template(template, kind, locale),
        campaign="c",
        rule="r",
        channel=kind,
        link=link,
        tracking=tracking,
        recipients=Recipients(
            keys, firing_keys, [str(100 + r) for r in range(size)], ["to"] * size, variants
        ),
        values={name: distinct(column, range(size)) for name, (_, column) in drawn.items()},
    )
    for row, message in enumerate(rendered):
        expected = reference_message(
            campaign="c",
            link=link,
            rule="r",
            customer_id=100 + row,
            template=template,
            channel=kind,
            kind=kind,
            to="to",
            values={name: rows[row] for name, (rows, _) in drawn.items()},
            variant=variants[row],
            key=keys[row],
            locale=locale,
            tracking=tracking,
            firing_key=firing_keys[row],
        )
        assert message == expected


@given(st.lists(ANYTHING, max_size=12), st.data())
def test_distinct_values_give_back_each_row(values, data):
    """Every row's value is its distinct value; values that print apart never share one."""
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, max(0, len(values) - 1))))))
    rows = rows.astype(np.int64) if len(values) else np.zeros(0, dtype=np.int64)
    column = distinct(values, rows)
    assert len(column) == rows.size
    for row, code in zip(rows.tolist(), column.codes.tolist(), strict=True):
        found = column.values[code]
        assert type(found) is type(values[row]) and _same(found, values[row])
        assert repr(found) == repr(values[row])
    assert codes_of(values).size == len(values)


def test_python_values_that_may_print_apart_never_share_a_code():
    values = [0.0, -0.0, Decimal("1.0"), Decimal("1.00"), 1, True, 1.0, 0.0, [1], [1]]
    column = distinct(values, range(len(values)))
    assert [repr(column.values[c]) for c in column.codes.tolist()] == list(map(repr, values))
    assert column.codes[0] == column.codes[7] and len(column.values) == 9


def test_an_arrow_column_keeps_zeros_of_either_sign_apart():
    column = distinct(pa.array([0.0, -0.0, None, 0.0]), range(1, 4))
    assert [column.values[c] for c in column.codes.tolist()] == [-0.0, None, 0.0]
    assert repr(column.values[column.codes[0]]) == "-0.0"


def test_a_column_that_is_a_dictionary_already_gives_back_each_row():
    categorical = pa.array(["b", None, "a", "b", "c"]).dictionary_encode()
    column = distinct(categorical, range(4))
    assert [column.values[c] for c in column.codes.tolist()] == ["b", None, "a", "b"]
    assert codes_of(pa.chunked_array([categorical])).tolist() == [0, 1, 2, 0, 3]


def test_each_distinct_value_is_shown_once():
    shown: list[object] = []

    def turn(value: object) -> str:
        shown.append(value)
        return str(value)

    column = distinct(pa.array(["Ana", "Bo", "Ana", None, "Ana"]), range(5))
    assert column.mapped(turn)[1] == ["Ana", "Bo", "Ana", "None", "Ana"]
    assert sorted(shown, key=str) == ["Ana", "Bo", None]
    assert Distinct([], np.zeros(0, dtype=np.int64)).mapped(turn) == ([], [])
