"""What ``winlang demo`` may replace in its folder: only what it made itself.

The demo writes a manifest, ``.winlang-demo.json``, beside its sample project: the SHA-256 of
each file it wrote (``shop.db``, ``winlang.toml``, ``ladder.win``) and the ids of the runs it
made. Its runs also leave outputs that change with every run (the ledger
``winlang-state.db`` and the outbox files); they are the demo's while the manifest is there.

:func:`survey` reads a folder and says what in it the demo did not make (``foreign``), which
of its own files were changed since (``changed``), and whether the ledger holds runs the demo
can't account for (``ledger``): runs of another campaign, or runs made after
``winlang.toml`` was edited (its channels may then have sent real messages). A folder
without a manifest holds nothing of the demo's.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson

MANIFEST = ".winlang-demo.json"
CAMPAIGN = "sms-reengagement-ladder"  # the campaign of ladder.win
MADE = ("shop.db", "winlang.toml", "ladder.win")  # written by the demo, with their hashes
STATE = "winlang-state.db"
OUTBOX = ("outbox/email.jsonl", "outbox/push.jsonl", "outbox/sms.jsonl")
OUTPUTS = (STATE, *OUTBOX)  # written by its runs
_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


@dataclass(frozen=True)
class Manifest:
    """What the demo wrote: each file's SHA-256 (None while it is being written) and the ids
    of its runs."""

    files: Mapping[str, str | None] = field(default_factory=dict)
    runs: tuple[int, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "made_by": "winlang demo",
            "campaign": CAMPAIGN,
            "files": dict(self.files),
            "outputs": list(OUTPUTS),
            "runs": list(self.runs),
        }


@dataclass(frozen=True)
class Survey:
    """A folder as ``winlang demo`` finds it (paths relative to it, ``/`` after a folder)."""

    foreign: tuple[str, ...] = ()  # not made by the demo
    changed: tuple[str, ...] = ()  # made by the demo, changed since
    ledger: str | None = None  # why the ledger is not the demo's alone, if it is not
    manifest: bool = True  # False: no manifest, so nothing here is the demo's

    def collisions(self) -> tuple[str, ...]:
        """Foreign files where the demo would write: ``--force`` can't replace those."""
        own = {*MADE, *OUTPUTS, "outbox"}
        own |= {f"{name}{side}" for name in (MADE[0], STATE) for side in _SQLITE_SIDE_FILES}
        return tuple(path for path in self.foreign if path.rstrip("/") in own)


def survey(folder: Path) -> Survey:
    """What in ``folder`` is the demo's; an empty or missing folder is all clear."""
    if not folder.is_dir():
        return Survey()
    manifest = read_manifest(folder)
    present = _entries(folder)
    if manifest is None:
        return Survey(foreign=tuple(present), manifest=False)
    foreign, changed = [], []
    for path in present:
        own = _owner(path)
        if own is None:
            foreign.append(path)
        elif own == path and own in manifest.files and not _same(folder / own, manifest, own):
            changed.append(path)
    config_changed = "winlang.toml" in changed or not (folder / "winlang.toml").is_file()
    ledger = _ledger_problem(folder / STATE, manifest, config_changed)
    return Survey(tuple(foreign), tuple(changed), ledger)


def refusal(folder: Path, found: Survey, force: bool) -> tuple[str, ...]:
    """Why the demo may not write into ``folder`` (the lines of one message), or ``()``
    when it may: never over a ledger of real runs; with ``force``, over its own files
    (changed or not) but not where a file it did not make is in the way; without, only when
    everything there is its own and unchanged."""
    where = f"{folder}/"
    if found.ledger is not None:
        return (
            f"{folder / STATE} {found.ledger}: winlang demo never replaces a ledger of real runs.",
            "Make the demo in another folder (--dir PATH), or move the ledger away yourself.",
        )
    if force:
        if not found.collisions():
            return ()
        return (
            "--force replaces only what winlang demo made, and it did not make "
            f"{describe(found.collisions())} in {where}.",
            "Make the demo in another folder (--dir PATH).",
        )
    lines = []
    if found.foreign:
        without = "" if found.manifest else f" (there is no {MANIFEST})"
        lines.append(
            f"{where} holds files winlang demo did not make{without}: {describe(found.foreign)}."
        )
    if found.changed:
        lines.append(
            f"{'and' if lines else f'{where} holds'} files winlang demo made that were changed "
            f"since: {describe(found.changed)}."
        )
    if not lines:
        return ()
    return (
        *lines,
        "winlang demo writes only into a new or empty folder, or one it made. Make it in "
        "another folder (--dir PATH), or add --force to replace only the files it made (the "
        "others are left alone).",
    )


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest; None when there is none or it is not one the demo wrote."""
    try:
        found = orjson.loads((folder / MANIFEST).read_bytes())
        files = {str(k): v for k, v in found["files"].items() if v is None or isinstance(v, str)}
        return Manifest(files, tuple(int(run) for run in found["runs"]))
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write the manifest whole or not at all (a torn one would disown the folder)."""
    partial = folder / f"{MANIFEST}.partial"
    partial.write_bytes(orjson.dumps(manifest.as_json(), option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(partial, folder / MANIFEST)


def digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def remove_outputs(folder: Path) -> None:
    """A new sample store starts a new story: the ledger and outbox files of earlier demo
    runs (and only those) are removed."""
    for name in (STATE, *(STATE + side for side in _SQLITE_SIDE_FILES), *OUTBOX):
        (folder / name).unlink(missing_ok=True)


def describe(paths: Iterable[str], limit: int = 8) -> str:
    """``a.txt, notes/ and 3 more``."""
    shown = list(paths)
    rest = len(shown) - limit
    return ", ".join(shown[:limit]) + (f" and {rest} more" if rest > 0 else "")


# ---- reading the folder ---------------------------------------------------------------------


def _entries(folder: Path) -> list[str]:
    """The folder's entries and those of its ``outbox/``, sorted; the manifest left out.
    Folders other than ``outbox/`` are not looked into: nothing of the demo's is there."""
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name in (MANIFEST, f"{MANIFEST}.partial"):
            continue
        is_folder = entry.is_dir(follow_symlinks=False)
        if entry.name == "outbox" and is_folder:
            inner = sorted(os.scandir(entry.path), key=lambda e: e.name)
            found += [f"outbox/{e.name}" + ("/" if e.is_dir() else "") for e in inner]
        else:
            found.append(entry.name + ("/" if is_folder else ""))
    return found


def _owner(path: str) -> str | None:
    """The demo file or output ``path`` belongs to (SQLite's side files belong to their
    database); None when it is none of the demo's."""
    for name in (*MADE, *OUTPUTS):
        if path == name or (name.endswith(".db") and path in _side_files(name)):
            return name
    return None


def _side_files(name: str) -> tuple[str, ...]:
    return tuple(name + side for side in _SQLITE_SIDE_FILES)


def _same(path: Path, manifest: Manifest, name: str) -> bool:
    """Whether the file is as the demo wrote it (a file it was still writing counts)."""
    expected = manifest.files[name]
    return expected is None or (path.is_file() and digest(path) == expected)


def _ledger_problem(path: Path, manifest: Manifest, config_changed: bool) -> str | None:
    """Why the ledger at ``path`` is not the demo's alone, or None when it is (or is not
    there). Runs the demo did not make are still its own when they ran its campaign with
    its untouched ``winlang.toml`` (`winlang run ladder.win` in the folder, as it suggests):
    their messages went to the folder's outbox files."""
    if not path.exists():
        return None
    import sqlalchemy as sa

    from ..contracts.errors import DataError
    from ..state import read_state

    try:
        state = read_state(f"sqlite:///{path}")
        if state is None:
            return "is not a winlang ledger"
        try:
            runs = state.runs()
        finally:
            state.close()
    except DataError as error:
        return f"can't be read ({error})"
    except sa.exc.SQLAlchemyError as error:  # damaged: not something to delete unread
        return f"can't be read ({str(getattr(error, 'orig', error)).strip()})"
    others = [(run, campaign) for run, campaign in runs if run not in manifest.runs]
    if not others:
        return None
    campaigns = sorted({campaign for _, campaign in others} - {CAMPAIGN})
    if campaigns:
        return f"holds runs of {describe(f'`{c}`' for c in campaigns)}, not of the demo"
    if config_changed:
        runs_text = "a run" if len(others) == 1 else f"{len(others)} runs"
        return (
            f"holds {runs_text} winlang demo did not make, and winlang.toml is no longer the "
            "one it wrote (its channels may have sent real messages)"
        )
    return None
