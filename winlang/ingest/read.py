"""Reading event files: JSON Lines or CSV (either may be gzip-compressed), record by record.

Readers yield ``(line, record)`` pairs, where ``line`` is the line a record starts on, or a
:class:`~.records.Problem` for a line that is no record at all (broken JSON, a CSV row with
the wrong number of fields). Nothing is validated here beyond the file's own syntax.

>>> format_of(Path("events.jsonl.gz"), None), format_of(Path("x.txt"), "csv")
('jsonl', 'csv')
"""

from __future__ import annotations

import csv
import gzip
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import orjson

from .records import FIELDS, LINK_FIELDS, REQUIRED, FileProblem, Problem, unknown_field

FORMATS = ("jsonl", "csv")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}

Item = tuple[int, Mapping[str, object]] | Problem


class FormatError(ValueError):
    """The file's format can't be told (a usage error: pass ``--format``)."""


def format_of(path: Path, explicit: str | None) -> str:
    """``explicit``, or the format its extension names (``.gz`` looked through)."""
    if explicit is not None:
        if explicit not in FORMATS:
            raise FormatError(f"unknown format `{explicit}`; use one of {', '.join(FORMATS)}")
        return explicit
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    found = EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise FormatError(
            f"can't tell the format of {path.name} from its extension (.jsonl, .ndjson or "
            ".csv, optionally .gz); pass --format jsonl or --format csv"
        )
    return found


@contextmanager
def _opened(path: Path) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed when it ends in ``.gz``."""
    with gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb") as file:
        yield file


def read_records(path: Path, file_format: str) -> Iterator[Item]:
    """Every record of the file (or the problem of its line), in file order."""
    with _opened(path) as file:
        try:
            yield from (jsonl_records if file_format == "jsonl" else csv_records)(file)
        except (EOFError, zlib.error) as error:  # gzip's own words for a cut or bad file
            raise OSError(f"the compressed file is cut short or damaged ({error})") from None


def jsonl_records(lines: Iterable[bytes]) -> Iterator[Item]:
    """One JSON object per line; blank lines are skipped.

    >>> lines = [b'{"a": 1}\\n', b'\\n', b'[1]\\n', b'{"a"\\n']
    >>> list(jsonl_records(lines))  # doctest: +NORMALIZE_WHITESPACE
    [(1, {'a': 1}), Problem(line=3, reason='not a JSON object'),
     Problem(line=4, reason='not valid JSON: unexpected end of data at column 5')]
    """
    for number, raw in enumerate(lines, 1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte order mark some tools write
        if not raw.strip():
            continue
        try:
            record = orjson.loads(raw.rstrip(b"\r\n"))  # so columns count on this line
        except orjson.JSONDecodeError as error:
            reason = (
                "not UTF-8 text"
                if "UTF-8" in error.msg
                else f"not valid JSON: {error.msg} at column {error.colno}"
            )
            yield Problem(number, reason)
            continue
        if isinstance(record, dict):
            yield number, record
        else:
            yield Problem(number, "not a JSON object")


def csv_records(lines: Iterable[bytes]) -> Iterator[Item]:
    """A header row naming the fields, then one event per row; an empty field is null.

    A problem with the header (an unknown or repeated column, a required one missing) makes
    every row unreadable: those problems are yielded and nothing else.
    """
    text = _Decoded(lines)
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        yield FileProblem(reader.line_num, f"not valid CSV: {error}")
        return
    if header is None:
        return
    problems = header_problems(header, reader.line_num)
    if problems:
        yield from problems
        return
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as error:
            yield Problem(start, f"not valid CSV: {error}")
            if reader.line_num < start:
                return  # nothing was consumed: the reader can't go on
            continue  # the reader starts afresh at the next line
        if row is None:
            return
        if not row:
            continue  # a blank line
        if text.bad(start, reader.line_num):
            yield Problem(start, "not UTF-8 text")
        elif len(row) != len(header):
            yield Problem(start, f"has {len(row)} fields, the header has {len(header)}")
        else:
            yield start, dict(zip(header, row, strict=True))


def header_problems(header: list[str], line: int) -> list[FileProblem]:
    """What is wrong with a CSV header, if anything.

    >>> header_problems(["event_id", "type", "type", "amout"], 1)  # doctest: +NORMALIZE_WHITESPACE
    [FileProblem(line=1, reason='column `type` appears twice'),
     FileProblem(line=1, reason='unknown column `amout` (did you mean `amount`?)'),
     FileProblem(line=1, reason='no `customer_id` column'),
     FileProblem(line=1, reason='no `occurred_at` column')]
    """
    problems: list[FileProblem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(FileProblem(line, f"column `{name}` appears twice"))
        seen.add(name)
    known = (*FIELDS, *LINK_FIELDS)
    problems += [FileProblem(line, unknown_field(n, "column")) for n in header if n not in known]
    # a row that names its message by `wl_m` needs no customer: the ledger knows it
    required = [n for n in REQUIRED if not (n == "customer_id" and "wl_m" in seen)]
    problems += [FileProblem(line, f"no `{n}` column") for n in required if n not in seen]
    return problems


class _Decoded:
    """Lines decoded from UTF-8 for the CSV reader; lines that are not UTF-8 are replaced and
    remembered, so the row they belong to is reported instead of the whole file failing."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = iter(lines)
        self._number = 0
        self._bad: set[int] = set()

    def __iter__(self) -> _Decoded:
        return self

    def __next__(self) -> str:
        raw = next(self._lines)
        self._number += 1
        if self._number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._bad.add(self._number)
            return raw.decode("utf-8", "replace")

    def bad(self, first: int, last: int) -> bool:
        """Whether a line from ``first`` to ``last`` was not UTF-8."""
        return bool(self._bad) and any(first <= n <= last for n in self._bad)
