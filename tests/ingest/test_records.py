"""Validation of one record, and the readers' view of JSON Lines and CSV files: the exact
messages a user sees, and what valid records become."""

from __future__ import annotations

import gzip
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from winlang.ingest import FormatError, event_rules, format_of
from winlang.ingest.read import csv_records, jsonl_records, read_records
from winlang.ingest.records import Event, FileProblem, Problem, parse_moment, validate

RULES = event_rules(["cart_add"])
CSV_RULES = event_rules(["cart_add"], "csv")
BASE = {"event_id": "e1", "customer_id": "17", "type": "open", "occurred_at": "2026-11-20"}


def reason(record: dict, rules=RULES) -> str:
    found = validate(record, 7, rules)
    assert isinstance(found, Problem), found
    assert found.line == 7
    return found.reason


@pytest.mark.parametrize(
    "change, message",
    [
        ({"event_id": None}, "missing `event_id`"),
        ({"event_id": ""}, "missing `event_id`"),
        ({"customer_id": None}, "missing `customer_id`"),
        ({"type": None}, "missing `type`"),
        ({"occurred_at": None}, "missing `occurred_at`"),
        ({"event_id": 1.5}, "`event_id` must be text or a whole number, not 1.5"),
        ({"customer_id": True}, "`customer_id` must be text or a whole number, not true"),
        ({"customer_id": [1]}, "`customer_id` must be text or a whole number, not a list"),
        ({"customer_id": " 17"}, "`customer_id` has spaces around it: ' 17'"),
        ({"event_id": "x" * 201}, "`event_id` is longer than 200 characters"),
        ({"type": "opened"}, "unknown event type `opened` (did you mean `open`?)"),
        ({"type": "Open"}, "unknown event type `Open` (did you mean `open`?)"),
        ({"type": "purchse"}, "unknown event type `purchse` (did you mean `purchase`?)"),
        (
            {"type": "signup"},
            "unknown event type `signup` "
            "(other types are declared in winlang.toml under [events] types)",
        ),
        ({"type": 3}, "`type` must be text, not 3"),
        ({"occurred_at": "yesterday"}, "`occurred_at` is not an ISO-8601 time: 'yesterday'"),
        ({"occurred_at": "22/11/2026"}, "`occurred_at` is not an ISO-8601 time: '22/11/2026'"),
        ({"occurred_at": "2026-02-30"}, "`occurred_at` is not an ISO-8601 time: '2026-02-30'"),
        (
            {"occurred_at": "2026-11-20T10:00:00+02:00Z"},
            "`occurred_at` is not an ISO-8601 time: '2026-11-20T10:00:00+02:00Z'",
        ),
        (
            {"occurred_at": 1_763_800_000},
            "`occurred_at` must be ISO-8601 text such as 2026-11-22T10:00:00Z, not 1763800000",
        ),
        (
            {"occurred_at": "0001-01-01T00:00:00+01:00"},
            "`occurred_at` is out of range: '0001-01-01T00:00:00+01:00'",
        ),
        ({"channel": 5}, "`channel` must be text, not 5"),
        ({"channel": "x" * 101}, "`channel` is longer than 100 characters"),
        ({"template": {"a": 1}}, "`template` must be text, not an object"),
        ({"amount": "12.5"}, "`amount` must be a number, not '12.5'"),
        ({"amount": True}, "`amount` must be a number, not true"),
        ({"amount": 10**400}, f"`amount` must be a finite number, not {10**400!r}"),
        ({"amout": 3}, "unknown field `amout` (did you mean `amount`?)"),
        ({"properties": {}}, "unknown field `properties`"),
    ],
)
def test_invalid_records_say_why(change, message):
    assert reason(BASE | change) == message


@pytest.mark.parametrize(
    "change, message",
    [
        ({"amount": "12,5"}, "`amount` is not a number: '12,5'"),
        ({"amount": "nan"}, "`amount` must be a finite number, not 'nan'"),
    ],
)
def test_csv_amounts_are_parsed_from_text(change, message):
    assert reason(BASE | change, CSV_RULES) == message
    assert validate(BASE | {"amount": "12.5"}, 1, CSV_RULES).amount == 12.5


def test_a_valid_record_becomes_an_event():
    record = BASE | {
        "customer_id": 17,
        "occurred_at": "2026-11-20T10:00:00.25+02:00",
        "channel": "sms",
        "campaign": "ladder",
        "template": "survey",
        "amount": 3,
        "product_name": "",
    }
    assert validate(record, 1, RULES) == Event(
        "e1", "17", "open", "sms", "ladder", "survey", datetime(2026, 11, 20, 8, 0, 0, 250000), 3.0
    )


def test_declared_event_types_are_accepted():
    assert validate(BASE | {"type": "cart_add"}, 1, RULES).type == "cart_add"


@pytest.mark.parametrize(
    "text, moment",
    [
        ("2026-11-22", datetime(2026, 11, 22)),  # a date is midnight UTC
        ("2026-11-22T10:00:00", datetime(2026, 11, 22, 10)),  # naive is UTC
        ("2026-11-22 10:00:00Z", datetime(2026, 11, 22, 10)),
        ("2026-11-22T10:00:00.123456Z", datetime(2026, 11, 22, 10, 0, 0, 123456)),
        ("2026-11-22T01:00:00-09:30", datetime(2026, 11, 22, 10, 30)),
        ("2026-11-22T10:00:00+00:00", datetime(2026, 11, 22, 10)),
    ],
)
def test_times_become_naive_utc(text, moment):
    assert parse_moment(text) == moment


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_every_iso_form_of_a_moment_parses_back_to_it(moment):
    for text in (
        moment.isoformat(),
        moment.isoformat(sep=" ") + "Z",
        moment.isoformat() + "+00:00",
    ):
        assert parse_moment(text) == moment


# ---- JSON Lines --------------------------------------------------------------------------------


def test_jsonl_problems_name_their_lines():
    lines = [
        b'\xef\xbb\xbf{"a": 1}\n',  # a byte order mark is not part of the record
        b"   \n",
        b"[1, 2]\n",
        b'{"a": tru}\n',
        b'{"a": "\xff"}\n',
        b'{"a": 1} {"b": 2}\r\n',
        b'{"b": 2}',  # no newline at the end of the file
    ]
    assert list(jsonl_records(lines)) == [
        (1, {"a": 1}),
        Problem(3, "not a JSON object"),
        Problem(4, "not valid JSON: invalid literal, expected 'true' at column 7"),
        Problem(5, "not UTF-8 text"),
        Problem(6, "not valid JSON: unexpected content after document at column 10"),
        (7, {"b": 2}),
    ]


# ---- CSV ---------------------------------------------------------------------------------------


def csv(text: str) -> list:
    return list(csv_records(text.encode().splitlines(keepends=True)))


def test_csv_rows_become_records_with_the_line_they_start_on():
    text = (
        "event_id,customer_id,type,occurred_at,product_name\n"
        "e1,17,open,2026-11-20,\n"
        "\n"
        'e2,18,purchase,2026-11-20,"two\nlines"\n'
        "e3,19,open,2026-11-20,x\n"
    )
    assert csv(text) == [
        (2, {**BASE, "product_name": ""}),
        (
            4,
            {
                "event_id": "e2",
                "customer_id": "18",
                "type": "purchase",
                "occurred_at": "2026-11-20",
                "product_name": "two\nlines",
            },
        ),
        (
            6,
            {"event_id": "e3", "customer_id": "19", "type": "open", "occurred_at": "2026-11-20"}
            | {"product_name": "x"},
        ),
    ]


def test_csv_row_problems_name_their_lines():
    text = (
        "event_id,customer_id,type,occurred_at\n"
        "e1,17,open\n"
        'e2,17,open,"2026"x\n'
        "e3,17,open,2026-11-20\n"
    )
    lines = text.encode().splitlines(keepends=True)
    lines.insert(3, b"e9,\xff,open,2026-11-20\n")
    assert list(csv_records(lines)) == [
        Problem(2, "has 3 fields, the header has 4"),
        Problem(3, "not valid CSV: ',' expected after '\"'"),
        Problem(4, "not UTF-8 text"),
        (5, {"event_id": "e3", "customer_id": "17", "type": "open", "occurred_at": "2026-11-20"}),
    ]


def test_a_bad_csv_header_stops_the_file():
    assert csv("event_id,type,type,amout\ne1,open,open,1\n") == [
        FileProblem(1, "column `type` appears twice"),
        FileProblem(1, "unknown column `amout` (did you mean `amount`?)"),
        FileProblem(1, "no `customer_id` column"),
        FileProblem(1, "no `occurred_at` column"),
    ]


def test_an_empty_csv_file_has_no_records():
    assert csv("") == []
    assert csv("event_id,customer_id,type,occurred_at\n") == []


# ---- formats and files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, explicit, found",
    [
        ("a.jsonl", None, "jsonl"),
        ("a.NDJSON", None, "jsonl"),
        ("a.csv", None, "csv"),
        ("a.csv.gz", None, "csv"),
        ("a.txt", "csv", "csv"),
        ("a.csv", "jsonl", "jsonl"),  # the flag wins
    ],
)
def test_the_format_comes_from_the_flag_or_the_extension(tmp_path, name, explicit, found):
    assert format_of(tmp_path / name, explicit) == found


@pytest.mark.parametrize("name", ["a.txt", "a.json", "events", "a.gz"])
def test_an_unknown_extension_needs_the_flag(tmp_path, name):
    with pytest.raises(FormatError, match="pass --format jsonl or --format csv"):
        format_of(tmp_path / name, None)


def test_gzip_files_are_read_through(tmp_path):
    path = tmp_path / "events.jsonl.gz"
    with gzip.open(path, "wb") as file:
        file.write(b'{"a": 1}\n{"b": 2}\n')
    assert list(read_records(path, "jsonl")) == [(1, {"a": 1}), (2, {"b": 2})]
