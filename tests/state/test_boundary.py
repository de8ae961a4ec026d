"""The state's boundary: its tables are private to ``winlang.state``, and the command line
runs no SQL. Checked on the source (AST), so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import winlang

PACKAGE = Path(winlang.__file__).parent
STATE = PACKAGE / "state"


def _modules(folder: Path) -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text("utf-8"))) for path in sorted(folder.rglob("*.py"))]


def _imported(path: Path, tree: ast.Module, root: Path = PACKAGE) -> set[str]:
    """Every module ``tree`` (the file ``path`` of the package ``root``) imports, relative
    imports resolved, with each name it takes as ``module.name``."""
    package = path.relative_to(root.parent).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_no_module_outside_the_state_imports_its_tables():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path, tree in _modules(PACKAGE)
        if STATE not in path.parents and "winlang.state.tables" in _imported(path, tree)
    ]
    assert offenders == []


def test_the_command_line_runs_no_sql():
    offenders = []
    for path, tree in _modules(PACKAGE / "cli"):
        imported = _imported(path, tree)
        if any(name == "sqlalchemy" or name.startswith("sqlalchemy.") for name in imported):
            offenders.append(f"{path.name}: imports sqlalchemy")
        if "winlang.state.tables" in imported:
            offenders.append(f"{path.name}: imports the state's tables")
        for node in ast.walk(tree):
            call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if call and node.func.attr in ("execute", "exec_driver_sql", "scalar", "scalars"):
                offenders.append(f"{path.name}:{node.lineno}: .{node.func.attr}(...)")
    assert offenders == []


def test_the_checks_find_what_they_look_for(tmp_path):
    """A check that could not fail would prove nothing: both see a planted offender."""
    planted = tmp_path / "winlang" / "cli" / "bad.py"
    planted.parent.mkdir(parents=True)
    planted.write_text(
        "import sqlalchemy as sa\nfrom ..state import tables as T\n"
        "def f(c):\n    return c.execute(sa.select(T.runs))\n"
    )
    tree = ast.parse(planted.read_text())
    imported = _imported(planted, tree, tmp_path / "winlang")
    assert "sqlalchemy" in imported and "winlang.state.tables" in imported
    assert any(
        isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "execute" for n in ast.walk(tree)
    )
