"""Reading the project's own small files (the configuration, a schema file) safely: a path
that names a device (/dev/zero), a pipe or a folder, or a file far larger than any such file
is refused before anything is read, with the reason in words."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotASmallFile(ValueError):
    """The path is not a regular file of at most the allowed size; ``too_large`` tells which."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def read_small_file(path: Path, limit: int, *, follow_link: bool = True) -> bytes:
    """The bytes of the regular file ``path`` of at most ``limit`` bytes. Raises OSError when
    it can't be opened (or, with ``follow_link=False``, when it is a symbolic link),
    :class:`NotASmallFile` when it is no file or too large. Opened without blocking, so a
    named pipe can't hang the command.

    >>> read_small_file(Path("/dev/zero"), 100)
    Traceback (most recent call last):
    ...
    winlang.smallfiles.NotASmallFile: it is a device or pipe, not a file
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_link:
        flags |= os.O_NOFOLLOW
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as file:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a device or pipe"
            raise NotASmallFile(f"it is {kind}, not a file")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise NotASmallFile(f"it is larger than {limit:,} bytes", too_large=True)
    return data
