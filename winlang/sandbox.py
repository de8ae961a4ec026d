"""The files a campaign or a configuration may name: inside the project, regular, bounded.

The **project folder** is the folder of ``winlang.toml`` (or of the ``pyproject.toml`` holding
``[tool.winlang]``); a campaign checked without one has its own folder as project folder. A
path is resolved first (``..`` applied, every symbolic link followed) and must then lie inside
the project folder, so neither ``/proc/self/environ``, ``../../etc/passwd`` nor a link
pointing out of the project can be read or written. A body file may also lie in the campaign
file's own folder or below (a campaign kept outside the project, checked with ``--config``,
still reads the templates beside it).

- A **body file** (``body file "..."``) must be a regular file (not a device, FIFO, socket or
  folder: ``/dev/zero`` is refused without reading a byte) of at most :data:`MAX_BODY_BYTES`.
- An **outbox file** must end in ``.jsonl``; an existing one must be a regular file that is
  empty or whose first line is an outbox line (a JSON object with a text
  ``idempotency_key``): the outbox appends only to its own files, never to ``winlang.toml``.

Check and run refuse through these same functions, so what ``winlang check`` accepts is
exactly what ``winlang run`` reads.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from .smallfiles import NotASmallFile, read_small_file

MAX_BODY_BYTES = 1024 * 1024  # 1 MiB: far above any real email, far below harm
OUTBOX_SUFFIX = ".jsonl"
_FIRST_LINE_BYTES = 64 * 1024  # enough for any outbox line's start; bounded read of the file


class SandboxError(ValueError):
    """A path the project may not use; the message says why."""


def inside_project(
    root: Path, path: str | Path, base: Path | None = None, also: Path | None = None
) -> Path:
    """``path`` (relative to ``base``, by default ``root``) resolved, symbolic links
    included; SandboxError when the result is outside ``root`` (and outside ``also``).

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> inside_project(root, "templates/../a.html") == root.resolve() / "a.html"
    True
    >>> inside_project(root, "../../etc/passwd")
    Traceback (most recent call last):
    ...
    winlang.sandbox.SandboxError: `../../etc/passwd` is outside the project folder
    """
    folder = root.resolve()
    resolved = ((base or folder) / path).resolve()
    extra = also.resolve() if also is not None else folder
    folders = (folder,) if extra.is_relative_to(folder) else (folder, extra)
    if not any(resolved.is_relative_to(f) for f in folders):
        where = "the project folder" + (" and the campaign's folder" if len(folders) > 1 else "")
        raise SandboxError(f"`{path}` is outside {where}")
    return resolved


def read_body_file(root: Path, path: str, base: Path) -> str:
    """The UTF-8 text of body file ``path`` of a campaign in folder ``base``; SandboxError for
    a file outside the project folder ``root`` and ``base``, not regular or too big; OSError
    when it can't be read, UnicodeDecodeError when it is not UTF-8."""
    resolved = inside_project(root, path, base, also=base)
    try:
        # no link followed: a file swapped for a link after the check above is refused
        data = read_small_file(resolved, MAX_BODY_BYTES, follow_link=False)
    except NotASmallFile as error:
        raise SandboxError(_refusal(path, error)) from None
    return data.decode("utf-8")


def _refusal(path: str, error: NotASmallFile) -> str:
    if error.too_large:
        return f"`{path}` is larger than the 1 MiB ({MAX_BODY_BYTES:,} bytes) a body file may have"
    return f"`{path}` is not a regular file (a device, pipe, socket or folder)"


def outbox_file(root: Path, path: str | Path) -> Path:
    """The outbox file ``path`` resolved inside the project; SandboxError when it is outside,
    does not end in ``.jsonl``, or exists and is not an outbox file.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "winlang.toml").write_text("[store]\\n")
    8
    >>> outbox_file(root, "winlang.toml")
    Traceback (most recent call last):
    ...
    winlang.sandbox.SandboxError: `winlang.toml` is not a .jsonl file
    """
    resolved = inside_project(root, path)
    if resolved.suffix != OUTBOX_SUFFIX:
        raise SandboxError(f"`{path}` is not a {OUTBOX_SUFFIX} file")
    if not os.path.lexists(resolved):
        return resolved
    info = os.stat(resolved)
    if not stat.S_ISREG(info.st_mode):
        raise SandboxError(f"`{path}` is not a regular file (a device, pipe, socket or folder)")
    with open(resolved, "rb") as file:
        start = file.read(_FIRST_LINE_BYTES)
    if not is_outbox_start(start):
        raise SandboxError(
            f"`{path}` exists and is not an outbox file (its first line is not a message)"
        )
    return resolved


def is_outbox_start(data: bytes) -> bool:
    """Whether the start of a file is an outbox's: nothing, or a first line that is a JSON
    object with a text ``idempotency_key`` (or, cut short by a crash, the start of one).

    >>> is_outbox_start(b""), is_outbox_start(b'{"idempotency_key": "c/r/1/0"}\\n')
    (True, True)
    >>> is_outbox_start(b'{"idempotency_k'), is_outbox_start(b"[store]\\n"), is_outbox_start(b"\\n")
    (True, False, False)
    """
    if not data:
        return True  # an empty file: the outbox may start it
    line, newline, _ = data.partition(b"\n")
    try:
        value = json.loads(line)
    except ValueError:
        return not newline and is_torn_outbox_line(line)
    return isinstance(value, dict) and isinstance(value.get("idempotency_key"), str)


_LINE_START = b'{"idempotency_key":"'


def is_torn_outbox_line(line: bytes) -> bool:
    """Whether ``line`` (without a newline) is the start of a line the outbox writes: only a
    crash in the middle of a write leaves one, and it is the outbox's to repair.

    >>> is_torn_outbox_line(b'{"idempotency_key":"c/r/1/0","mess'), is_torn_outbox_line(b"ab")
    (True, False)
    """
    return line.startswith(_LINE_START) or _LINE_START.startswith(line)
