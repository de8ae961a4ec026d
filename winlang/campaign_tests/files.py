"""Finding campaign test files: ``*.test.toml``, in the folders named and below them."""

from __future__ import annotations

from pathlib import Path

SUFFIX = ".test.toml"
_SKIPPED = {"node_modules", "__pycache__", "site-packages"}


def is_test_file(path: Path) -> bool:
    return path.name.endswith(SUFFIX)


def test_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files named, plus test files found in folders named (hidden folders, virtual
    environments and caches left out); and the paths that do not exist."""
    files, missing = [], []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob(f"*{SUFFIX}")
                if p.is_file()
                and not any(
                    part.startswith(".") or part in _SKIPPED
                    for part in p.relative_to(path).parts[:-1]
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(str(path))
    return list(dict.fromkeys(files)), missing


test_files.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
