"""How winlang opens a DuckDB store: read-only, within a memory limit, spilling to a folder
of its own.

DuckDB's defaults suit a process whose main job is the database: 80% of the machine's
memory, spill files beside the database file, and one process at a time holding the file
open for writing. winlang only reads a store, and a run's memory is mostly its own after the
decision statement, so it opens the file read-only (a dry run, the scheduler and a benchmark
can read one store at once), gives DuckDB a quarter of the memory the process may use, at
most :data:`DEFAULT_MEMORY_CAP` (the statement's grouped scans spill beyond it instead of
growing), and a spill folder in the system's temporary folder, named after the process
(DuckDB makes it when it first spills and removes it when the database closes). Each is
overridable under ``[store.duckdb]`` (docs/engine.md), and settings in the store's URL
(``duckdb:///shop.duckdb?memory_limit=4GB``) win over both.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

MIB = 1024 * 1024
DEFAULT_MEMORY_SHARE = 0.25  # of the memory the process may use (the machine's or its cgroup's)
DEFAULT_MEMORY_CAP = 1024 * MIB
MINIMUM_MEMORY = 128 * MIB  # below this DuckDB can't run a statement of any size


def connect_args(
    database: str | None, url_settings: Mapping[str, str], settings: Mapping[str, object]
) -> dict[str, object]:
    """SQLAlchemy ``connect_args`` for a DuckDB store: ``read_only`` for a database file
    (an in-memory one can't be), and DuckDB's ``config``: the memory limit, the spill folder
    and the threads from ``settings`` (``[store.duckdb]``), else the defaults; a setting the
    URL's query gives (``url_settings``) is left to it."""
    config = duckdb_config(settings)
    args: dict[str, object] = {"config": {k: v for k, v in config.items() if k not in url_settings}}
    if database and not database.startswith(":memory:") and not _access_given(url_settings):
        args["read_only"] = True
    return args


def duckdb_config(settings: Mapping[str, object]) -> dict[str, object]:
    """DuckDB's settings from ``[store.duckdb]`` (validated by :mod:`winlang.config`),
    the defaults filled in."""
    config: dict[str, object] = {
        "memory_limit": memory_limit(settings.get("memory_limit")),
        "temp_directory": str(settings.get("temp_directory") or default_temp_directory()),
    }
    if settings.get("threads"):
        config["threads"] = int(settings["threads"])  # type: ignore[arg-type]
    return config


def memory_limit(given: object = None, available: int | None = None) -> str:
    """DuckDB's ``memory_limit``: ``given`` as written (``"2GB"``), a percentage of the memory
    the process may use (``"40%"``), or by default a quarter of it, at most 1 GiB.

    >>> memory_limit("2GB")
    '2GB'
    >>> memory_limit("50%", available=8 * 1024**3)
    '4096MiB'
    >>> memory_limit(None, available=2 * 1024**3), memory_limit(None, available=64 * 1024**3)
    ('512MiB', '1024MiB')
    """
    text = str(given).strip() if given else ""
    if text and not text.endswith("%"):
        return text
    total = available if available is not None else usable_memory()
    if text:
        share = int(total * float(text[:-1]) / 100)
    else:
        share = min(int(total * DEFAULT_MEMORY_SHARE), DEFAULT_MEMORY_CAP)
    return f"{max(share, MINIMUM_MEMORY) // MIB}MiB"


def usable_memory() -> int:
    """The memory this process may use: the machine's, or its cgroup's limit when lower (a
    container's); where the system doesn't say (no ``sysconf``), four times the cap, so the
    default is the cap."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        physical = 4 * DEFAULT_MEMORY_CAP
    return min(physical, _cgroup_limit() or physical)


def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text(encoding="ascii").strip()
        except OSError:
            continue
        if text.isdigit():
            return int(text)
    return None


def default_temp_directory() -> Path:
    """The spill folder: the process's own, under the system's temporary folder (never
    beside a store that may sit where winlang can't write)."""
    return Path(tempfile.gettempdir()) / f"winlang-duckdb-{os.getpid()}"


def _access_given(url_settings: Mapping[str, str]) -> bool:
    return "access_mode" in url_settings or "read_only" in url_settings
