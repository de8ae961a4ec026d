"""PyArrow without pandas: winlang never uses pandas, and importing it costs 0.3 s.

PyArrow imports pandas, when it is installed, the first time it builds an array, whenever it
infers a type or converts to NumPy, and as ``pyarrow.dataset`` loads — to recognise pandas
objects among its inputs. Those imports come from its C code (or its own modules), so the
Python frame they come from is the function that called PyArrow. An import of pandas
started, directly or through PyArrow, by winlang's own code (which never imports pandas) is
PyArrow's look, and is refused: PyArrow then treats plain arrays as plain, with the same
result. Anyone else's import of pandas — a plugin's, PySpark's, a notebook's — goes on as
usual, and PyArrow is then told that pandas is there after all, so that pandas objects given
to it are recognised as they would be without winlang.
"""

from __future__ import annotations

import contextlib
import sys
from importlib.machinery import ModuleSpec
from types import FrameType, ModuleType


class PandasForOthers:
    """An import finder that refuses pandas to PyArrow's look for it on winlang's behalf."""

    def find_spec(self, name: str, path=None, target=None) -> ModuleSpec | None:
        if name != "pandas":
            return None
        if _started_by_winlang(sys._getframe(1)):
            raise ModuleNotFoundError("winlang does not use pandas", name=name)
        spec = _found_by_the_others(self, name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenTellPyArrow(spec.loader)
        return spec


def leave_pandas_to_others() -> None:
    """Install :class:`PandasForOthers`, once per process."""
    if not any(isinstance(finder, PandasForOthers) for finder in sys.meta_path):
        sys.meta_path.insert(0, PandasForOthers())


class _ThenTellPyArrow:
    """pandas' own loader, which then tells PyArrow, if it was told "no pandas" before,
    that pandas is there."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = module.__spec__.loader = self.loader  # pandas sees its own
        self.loader.exec_module(module)
        pyarrow = sys.modules.get("pyarrow")
        if pyarrow is not None:
            with contextlib.suppress(Exception):  # a PyArrow that looks again on its own
                pyarrow.array([], pyarrow.null()).to_pandas()  # PyArrow imports it: known now

    def __getattr__(self, name: str):
        return getattr(self.loader, name)  # resources, source, ...: pandas' own loader's


def _found_by_the_others(self: PandasForOthers, name: str, path, target) -> ModuleSpec | None:
    """The spec the finders after ``self`` give for ``name``."""
    finders = sys.meta_path
    after = finders[finders.index(self) + 1 :] if self in finders else finders
    for finder in after:
        find = getattr(finder, "find_spec", None)
        spec = find(name, path, target) if find is not None else None
        if spec is not None:
            return spec
    return None


def _started_by_winlang(frame: FrameType | None) -> bool:
    """Whether the import under way was started by winlang's code: the first frame below
    ``frame`` that belongs neither to the import system nor to PyArrow is winlang's."""
    while frame is not None and _passes_on(frame):
        frame = frame.f_back
    return frame is not None and _in(frame.f_globals.get("__name__", ""), "winlang")


def _passes_on(frame: FrameType) -> bool:
    """A frame of the import system or of PyArrow: not where an import comes from."""
    module = frame.f_globals.get("__name__", "")
    return frame.f_code.co_filename.startswith("<frozen importlib") or _in(module, "pyarrow")


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
