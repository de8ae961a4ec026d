"""The import graph of winlang's parts: no cycle, and no import of a higher layer.

A *unit* is a top-level module or sub-package of ``winlang`` (``winlang.check``,
``winlang.config``). Every ``import`` statement counts, wherever it is: at module level, inside
a function, under ``if TYPE_CHECKING``. :data:`LAYERS` is the order, written once; the lowest
layer comes first, and a unit may import units of its own layer and of the layers below. This
test is the source of truth for docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "winlang"

LAYERS: tuple[tuple[str, ...], ...] = (
    # the language's vocabulary and small leaf helpers: they import no other layer
    (
        "frozen",
        "ast",
        "types",
        "diagnostics",
        "suggest",
        "smallfiles",
        "sandbox",
        "links",
        "addresses",
        "cron",
        "times",
        "formats",
        "schema",
        "arrow_types",
        "database_urls",
    ),
    ("contracts",),  # data source, state view, channel, message, errors
    ("hookspecs",),  # the plugin hooks: they name contracts only
    ("plugins",),
    ("parse", "config"),
    ("store_layout", "fmt"),
    ("check",),
    ("plan",),
    ("state", "sources"),
    ("backends",),
    ("evaluate", "policies"),
    ("deliver", "channels", "testing"),
    ("explain", "report", "ingest", "tracking", "schedule", "demo", "project", "runs"),
    ("preview", "diff", "scaffold", "lsp", "campaign_tests", "serve"),
    ("cli",),
    ("__main__",),
)


@dataclass(frozen=True)
class Import:
    """One import statement of one unit naming another."""

    file: Path
    line: int
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.source} imports {self.target}"


def units(root: Path) -> frozenset[str]:
    """The top-level modules and sub-packages of the package at ``root``."""
    found = {p.stem for p in root.glob("*.py") if p.name != "__init__.py"}
    found |= {p.name for p in root.iterdir() if (p / "__init__.py").is_file()}
    return frozenset(found)


def imports(root: Path) -> list[Import]:
    """Every import by a unit of the package at ``root`` of another of its units."""
    name, known = root.name, units(root)
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        package = [name, *parts[:-1]]  # the package a relative import starts from
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            for target in _targets(node, package, name, known):
                if target != parts[0]:
                    found.append(Import(path, node.lineno, parts[0], target))
    return found


def _targets(node: ast.AST, package: list[str], name: str, known: frozenset[str]) -> list[str]:
    """The units an import statement names (``from winlang import config`` names one)."""
    if isinstance(node, ast.Import):
        modules = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = package[: len(package) - node.level + 1] if node.level else []
        module = ".".join([*base, node.module] if node.module else base)
        modules = [f"{module}.{a.name}" for a in node.names] if module == name else [module]
    else:
        return []
    inside = [m.split(".")[1] for m in modules if m.startswith(name + ".")]
    return [unit for unit in inside if unit in known]


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for other in sorted(graph[unit]):
            if other not in index:
                visit(other)
                low[unit] = min(low[unit], low[other])
            elif other in stack:
                low[unit] = min(low[unit], index[other])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return found


def upward(found: Iterable[Import], layers: Sequence[Sequence[str]]) -> list[str]:
    """One message per import of a unit from a higher layer than the importer's."""
    level: Mapping[str, int] = {u: i for i, layer in enumerate(layers) for u in layer}
    return [
        f"{i}, a higher layer ({i.target}: layer {level[i.target]}, "
        f"{i.source}: layer {level[i.source]})"
        for i in found
        if i.source in level and i.target in level and level[i.target] > level[i.source]
    ]


# ---- winlang itself ---------------------------------------------------------------------


def test_no_cycle_between_units():
    found = imports(PACKAGE)
    knots = cycles((i.source, i.target) for i in found)
    detail = [str(i) for knot in knots for i in found if i.source in knot and i.target in knot]
    assert not knots, f"import cycles among {knots}:\n" + "\n".join(detail)


def test_no_unit_imports_a_higher_layer():
    problems = upward(imports(PACKAGE), LAYERS)
    assert not problems, "\n".join(problems)


def test_every_unit_has_one_layer():
    placed = [u for layer in LAYERS for u in layer]
    assert len(placed) == len(set(placed)), "a unit is in two layers"
    assert set(placed) == units(PACKAGE), (
        f"add to LAYERS: {sorted(units(PACKAGE) - set(placed))}; "
        f"gone: {sorted(set(placed) - units(PACKAGE))}"
    )


def test_hookspecs_name_only_contracts():
    targets = {i.target for i in imports(PACKAGE) if i.source == "hookspecs"}
    assert targets == {"contracts"}


def test_documented_plugin_names_are_the_contracts():
    """docs/plugins.md documented these names before the contracts moved; they still work."""
    from winlang.backends import base
    from winlang.contracts import channel, errors, message, source
    from winlang.deliver import channel as old_channel
    from winlang.deliver import model

    assert base.Source is source.Source
    assert old_channel.Channel is channel.Channel
    assert model.ChannelError is errors.ChannelError
    assert (model.Message, model.SendResult, model.Outcome) == (
        message.Message,
        message.SendResult,
        message.Outcome,
    )


# ---- the checker itself, on a package made up for it ---------------------------------------


def _package(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / "toy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "toy"


@pytest.fixture
def toy(tmp_path):
    return _package(
        tmp_path,
        {
            "__init__.py": "",
            "low.py": "import os\n",
            "mid/__init__.py": "from ..low import os\n",
            "mid/inner.py": "def f():\n    from toy import high\n",
            "high.py": (
                "from typing import TYPE_CHECKING\n"
                "from . import mid\n"
                "if TYPE_CHECKING:\n"
                "    import toy.low\n"
            ),
        },
    )


def test_checker_sees_every_kind_of_import(toy):
    found = {(i.source, i.target, i.file.name, i.line) for i in imports(toy)}
    assert found == {
        ("mid", "low", "__init__.py", 1),  # relative, from a package's __init__
        ("mid", "high", "inner.py", 2),  # inside a function, `from toy import unit`
        ("high", "mid", "high.py", 2),  # `from . import unit`
        ("high", "low", "high.py", 4),  # under TYPE_CHECKING
    }


def test_checker_finds_a_cycle_through_a_function_import(toy):
    assert cycles((i.source, i.target) for i in imports(toy)) == [["high", "mid"]]


def test_checker_names_file_line_and_both_units_of_an_upward_import(toy):
    [problem] = upward(imports(toy), (("low",), ("mid",), ("high",)))
    assert problem.endswith(
        "inner.py:2: mid imports high, a higher layer (high: layer 2, mid: layer 1)"
    )
    assert upward(imports(toy), (("low",), ("mid", "high"))) == []


def test_checker_passes_a_clean_package(tmp_path):
    clean = _package(tmp_path, {"__init__.py": "", "a.py": "", "b.py": "from .a import x\n"})
    found = imports(clean)
    assert [(i.source, i.target) for i in found] == [("b", "a")]
    assert cycles((i.source, i.target) for i in found) == []
    assert upward(found, (("a",), ("b",))) == []


def test_no_relative_import_climbs_out_of_the_package():
    """A ``from ..x import`` one level too high names no unit and would slip past the checks
    above; Python refuses it only when it runs."""
    climbing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        depth = len(path.relative_to(PACKAGE).parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > depth:
                climbing.append(f"{path}:{node.lineno}")
    assert not climbing, "relative imports above winlang: " + ", ".join(climbing)
