"""``winlang ingest``: events from outside (opens, clicks, purchases...) into the state database,
where the next run's event conditions see them.

Pipeline: :mod:`.read` (JSON Lines or CSV, record by record) → :mod:`.records` (validation,
pure) → :mod:`.write` (idempotent batches into ``ingested_events``, suppressions for
unsubscribes). By default a file with any invalid record changes nothing: the whole file is
validated first, then written (``skip_invalid`` writes the valid records and reports the
rest). Re-ingesting a file adds nothing.

>>> import tempfile, pathlib
>>> from winlang.state import open_state
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> state = open_state(f"sqlite:///{folder / 'state.db'}")
>>> _ = (folder / "events.jsonl").write_text(
...     '{"event_id": "e1", "customer_id": 17, "type": "open", "occurred_at": "2026-11-20"}\\n')
>>> ingest_file(folder / "events.jsonl", state).counts.summary()
'1 read, 1 new, 0 already ingested, 0 conflicting, 0 invalid'
>>> ingest_file(folder / "events.jsonl", state).counts.summary()
'1 read, 0 new, 1 already ingested, 0 conflicting, 0 invalid'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..check.expressions import STANDARD_EVENT_TYPES
from .read import FORMATS, FormatError, format_of, read_records
from .records import Event, FileProblem, Problem, Rules, Tracked, complete, validate

if TYPE_CHECKING:  # SQLAlchemy: imported when something is written
    from ..state import State

# Events per transaction: fewer, larger commits journal fewer pages in all (measured 30%
# faster than 10,000 at 1M events on SQLite); ids are looked up as one array, so no
# parameter limit applies.
BATCH_SIZE = 50_000
KEEP_PROBLEMS = 100  # problems kept to show; all are counted
LOOKUP_CHUNK = 5_000  # records read before the messages their `wl_m` name are looked up


@dataclass(frozen=True)
class Counts:
    """``read`` = ``new`` + ``already`` + ``conflicting`` + ``invalid``."""

    read: int = 0
    new: int = 0
    already: int = 0
    conflicting: int = 0
    invalid: int = 0

    def summary(self) -> str:
        return (
            f"{self.read:,} read, {self.new:,} new, {self.already:,} already ingested, "
            f"{self.conflicting:,} conflicting, {self.invalid:,} invalid"
        )


@dataclass(frozen=True)
class IngestResult:
    """The counts, and the first :data:`KEEP_PROBLEMS` invalid records and conflicts.

    ``written`` is false when the file was rejected: an invalid record (without
    ``skip_invalid``), or ``unreadable``: a problem of the whole file (a CSV header), which
    ``skip_invalid`` can't skip.
    """

    counts: Counts
    invalid: tuple[Problem, ...] = ()
    conflicts: tuple[Problem, ...] = ()
    written: bool = True
    unreadable: bool = False


@dataclass
class _Tally:
    """Counts and kept problems while a file is read."""

    read: int = 0
    new: int = 0
    already: int = 0
    invalid: list[Problem] = field(default_factory=list)
    invalid_count: int = 0
    conflicts: list[Problem] = field(default_factory=list)
    conflict_count: int = 0
    unreadable: bool = False

    def reject(self, problem: Problem) -> None:
        self.unreadable = self.unreadable or isinstance(problem, FileProblem)
        self.invalid_count += 1
        if len(self.invalid) < KEEP_PROBLEMS:
            self.invalid.append(problem)

    def disagree(self, problems: tuple[Problem, ...]) -> None:
        self.conflict_count += len(problems)
        self.conflicts.extend(problems[: max(KEEP_PROBLEMS - len(self.conflicts), 0)])

    def result(self, written: bool) -> IngestResult:
        counts = Counts(self.read, self.new, self.already, self.conflict_count, self.invalid_count)
        return IngestResult(
            counts,
            tuple(self.invalid),
            tuple(self.conflicts),
            written and not self.unreadable,
            self.unreadable,
        )


def event_rules(extra_types: Iterable[str] = (), file_format: str = "jsonl") -> Rules:
    """The standard event types and ``extra_types`` (``[events] types`` of winlang.toml)."""
    return Rules(frozenset((*STANDARD_EVENT_TYPES, *extra_types)), file_format == "csv")


def ingest_file(
    path: Path,
    state: State,
    extra_types: Iterable[str] = (),
    file_format: str | None = None,
    skip_invalid: bool = False,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> IngestResult:
    """Validate ``path`` and store its events in ``state`` (a migrated
    :class:`winlang.state.State`). Raises :class:`FormatError` when the format can't be told
    and ``OSError`` when the file can't be read."""
    found_format = format_of(path, file_format)
    rules = event_rules(extra_types, found_format)
    if not skip_invalid:
        checked = _Tally()
        for _ in _validated(path, found_format, rules, checked, state):
            pass  # only counting: nothing is written unless every record is valid
        if checked.invalid_count:
            return checked.result(written=False)
    tally = _Tally()  # (a record gone bad since the check is reported here, and not written)
    moment = now or datetime.now(UTC)
    ingested_at = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    batch: list[tuple[int, Event]] = []
    for item in _validated(path, found_format, rules, tally, state):
        batch.append(item)
        if len(batch) >= batch_size:
            _write(state, batch, ingested_at, tally)
            batch = []
    if batch:
        _write(state, batch, ingested_at, tally)
    return tally.result(written=True)


def _validated(
    path: Path, file_format: str, rules: Rules, tally: _Tally, state: State
) -> Iterator[tuple[int, Event]]:
    """The valid events of the file with their lines; the rest goes to ``tally``, in file
    order. Records naming their message (``wl_m``) are completed from the ledger, a chunk
    at a time."""
    chunk: list[tuple[int, Event | Tracked | Problem]] = []
    for item in read_records(path, file_format):
        if not isinstance(item, FileProblem):  # a header is no record
            tally.read += 1
        if isinstance(item, Problem):
            chunk.append((item.line, item))
        else:
            line, record = item
            chunk.append((line, validate(record, line, rules)))
        if len(chunk) >= LOOKUP_CHUNK:
            yield from _completed(chunk, state, tally)
            chunk = []
    yield from _completed(chunk, state, tally)


def _completed(
    chunk: list[tuple[int, Event | Tracked | Problem]], state: State, tally: _Tally
) -> Iterator[tuple[int, Event]]:
    """The chunk's events, each :class:`Tracked` one completed from its ledger message."""
    ids = [item.message_id for _, item in chunk if isinstance(item, Tracked)]
    found = state.messages_by_id(ids) if ids else {}
    for line, item in chunk:
        if isinstance(item, Tracked):
            item = complete(item, line, found.get(item.message_id, []))
        if isinstance(item, Problem):
            tally.reject(item)
        else:
            yield line, item


def _write(
    state: State, batch: list[tuple[int, Event]], ingested_at: datetime, tally: _Tally
) -> None:
    from .write import write_batch  # SQLAlchemy and the state's tables: only when writing

    with state.event_writer() as writer:
        outcome = write_batch(writer, batch, ingested_at)
    tally.new += outcome.new
    tally.already += outcome.already
    tally.disagree(outcome.conflicts)


__all__ = [
    "BATCH_SIZE",
    "FORMATS",
    "Counts",
    "Event",
    "FormatError",
    "IngestResult",
    "Problem",
    "Rules",
    "event_rules",
    "format_of",
    "ingest_file",
    "validate",
]
