"""PyArrow without pandas: winlang never uses pandas, and importing it costs 0.3–0.8 s.

PyArrow imports pandas, when it is installed, the first time it builds an array, whenever it
infers a type or converts to NumPy, and as ``pyarrow.dataset`` loads — to recognise pandas
objects among its inputs. Those imports come from its C code (or its own modules), so the
Python frame they come from is the function that called PyArrow. An import of pandas
started, directly or through PyArrow, by winlang's own code (which never imports pandas) is
PyArrow's look, and is refused: PyArrow then treats plain arrays as plain, and the result is
the same. Anyone else's import of pandas — a plugin's, PySpark's, a notebook's, PyArrow's
``to_pandas`` called by them — goes on as usual, and once pandas is imported nothing is
refused.
"""

from __future__ import annotations

import sys
from types import FrameType


class PandasForOthers:
    """An import finder that refuses pandas to PyArrow's look for it on winlang's behalf."""

    def find_spec(self, name: str, path=None, target=None):
        if name == "pandas" and _started_by_winlang(sys._getframe(1)):
            raise ModuleNotFoundError("winlang does not use pandas", name=name)
        return None


def leave_pandas_to_others() -> None:
    """Install :class:`PandasForOthers`, once per process."""
    if not any(isinstance(finder, PandasForOthers) for finder in sys.meta_path):
        sys.meta_path.insert(0, PandasForOthers())


def _started_by_winlang(frame: FrameType | None) -> bool:
    """Whether the import under way was started by winlang's code: the first frame below
    ``frame`` that belongs neither to the import system nor to PyArrow is winlang's."""
    while frame is not None and _passes_on(frame):
        frame = frame.f_back
    return frame is not None and _is_winlang(frame.f_globals.get("__name__", ""))


def _passes_on(frame: FrameType) -> bool:
    """A frame of the import system or of PyArrow: not where an import comes from."""
    module = frame.f_globals.get("__name__", "")
    return frame.f_code.co_filename.startswith("<frozen importlib") or _in(module, "pyarrow")


def _is_winlang(module: str) -> bool:
    return _in(module, "winlang")


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
