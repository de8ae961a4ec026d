"""``winlang init``: a new project that works at once.

It writes a commented ``winlang.toml``, a campaign and its test file, the store's schema (so CI
checks without a database), a GitHub Actions workflow running ``winlang check`` and ``winlang
test`` with annotations, and a pre-commit configuration. The store is a small sample made on
the spot by :mod:`winlang.demo`'s generator, or the user's own (``--store URL``), which must
open. Nothing is ever overwritten: :func:`in_the_way` names what is there first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from .. import __version__
from ..config import resolve_sqlite
from ..contracts.errors import DataError
from ..schema import Schema, SchemaError

SAMPLE_STORE = "shop.db"
SAMPLE_URL = f"sqlite:///{SAMPLE_STORE}"
STATE = "winlang-state.db"  # named by the configuration: a ledger already there is not ours
CAMPAIGN = "campaigns/winback.win"

# Where each file goes, and the package file it is made from (the test file is not named
# *.test.toml in the package: pytest's winlang plugin would collect it there).
TEMPLATES = {
    "winlang.toml": "winlang.toml",
    CAMPAIGN: "winback.win",
    "campaigns/winback.test.toml": "winback-test.toml",
    ".github/workflows/winlang.yml": "winlang.yml",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
}
SCHEMA = "schema.json"
# Written only where there is none: a repository's own is left as it is, never in the way.
GITIGNORE = ".gitignore"
KEPT_OUT = ("winlang-state.db*", "outbox/", "shop.db*")  # what the template keeps out of git


class StoreError(DataError):
    """The store named by ``--store`` can't be opened or read."""


@dataclass(frozen=True)
class Made:
    """What :func:`write_project` wrote (paths relative to the folder) and the store's size."""

    files: tuple[str, ...]
    customers: int
    events: int
    sample: bool
    gitignore: bool  # False: there was one already, left alone


def planned(sample: bool) -> tuple[str, ...]:
    """The files ``winlang init`` writes, relative to the folder."""
    return (*TEMPLATES, SCHEMA, *((SAMPLE_STORE,) if sample else ()))


def in_the_way(folder: Path, sample: bool) -> tuple[str, ...]:
    """The files already in ``folder`` that init would write (or whose ledger it would use)."""
    names = (*planned(sample), STATE)
    return tuple(name for name in names if (folder / name).exists())


def read_store(url: str, folder: Path) -> Schema:
    """The schema of the store at ``url`` (a sqlite:/// path relative to ``folder``, as the
    configuration will read it); :class:`StoreError` saying why when it does not open."""
    from ..sources import open_source

    resolved = resolve_sqlite(url, folder)
    local = _local_file(resolved)
    if local is not None and not local.is_file():  # SQLite would make an empty one
        raise StoreError(f"the store {url!r} does not exist: there is no file {local}")
    try:
        return open_source(resolved).schema()
    except (DataError, SchemaError) as error:
        raise StoreError(str(error)) from None
    except Exception as error:  # a driver's own error: a URL it can't use
        raise StoreError(
            f"the store {url!r} can't be opened: {type(error).__name__}: {error}"
        ) from None


def write_project(
    folder: Path,
    store_url: str | None,
    customers: int,
    now: datetime,
    seed: int = 7,
    schema: Schema | None = None,
) -> Made:
    """Write the project into ``folder`` (made if missing); the caller has made sure nothing
    is in the way and, for ``store_url``, that it opens (``schema``: what it read there, so
    the store is not opened twice)."""
    folder.mkdir(parents=True, exist_ok=True)
    sample = store_url is None
    rows = (0, 0)
    if sample:
        from ..demo import generate, write_sqlite

        data = generate(customers, seed=seed, now=now)
        write_sqlite(data, folder / SAMPLE_STORE)
        rows = (data.customers.num_rows, data.events.num_rows)
    if schema is None:
        schema = read_store(store_url or SAMPLE_URL, folder)
    (folder / SCHEMA).write_bytes(schema.to_json() + b"\n")
    for target, name in TEMPLATES.items():
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_render(name, store_url, customers), encoding="utf-8")
    ignore = folder / GITIGNORE
    gitignore = not ignore.exists()
    if gitignore:
        ignore.write_text(_render("gitignore", store_url, customers), encoding="utf-8")
    files = (*planned(sample), *((GITIGNORE,) if gitignore else ()))
    return Made(files, *rows, sample, gitignore)


def campaign_errors(folder: Path) -> int:
    """How many errors ``winlang check`` finds in the written campaign (on a store of the
    user's own, whose fields may be named otherwise than the sample's)."""
    from ..project import check_file, open_project

    project = open_project(folder / "winlang.toml", search=False)
    result = check_file(folder / CAMPAIGN, project)
    return sum(f.is_error for f in (*project.diagnostics, *result.diagnostics))


def _render(name: str, store_url: str | None, customers: int) -> str:
    text = (resources.files("winlang.scaffold") / "files" / name).read_text(encoding="utf-8")
    if name == "winlang.toml":
        comment = (
            f"  # a sample store of {customers:,} customers, made by `winlang init`"
            if store_url is None
            else ""
        )
        # A JSON string is a TOML basic string: quotes and backslashes in the URL stay intact.
        url = json.dumps(store_url or SAMPLE_URL)
        text = text.replace('"{store_url}"{store_comment}', url + comment)
    if name == "gitignore" and store_url is not None:  # no sample store to keep out
        text = text[: text.index("# The sample store")]
    return text.replace("{version}", __version__)


def _local_file(url: str) -> Path | None:
    """The file of a SQLite or DuckDB URL, None for other stores and in-memory databases."""
    for scheme in ("sqlite:///", "duckdb:///"):
        if url.startswith(scheme) and ":memory:" not in url:
            return Path(url.removeprefix(scheme).split("?", 1)[0])
    for prefix in ("sqlite+", "duckdb+"):
        if url.startswith(prefix) and ":///" in url:
            return Path(url.split(":///", 1)[1].split("?", 1)[0])
    return None
