"""Campaign tests: ``*.test.toml`` files beside the campaigns, run by ``winlang test`` and by
pytest (the ``winlang`` pytest plugin), on the real engine, policies, rendering and ledger.

:mod:`.spec` reads a test file, :mod:`.store` makes its throwaway store, :mod:`.run` runs
the steps on each engine, :mod:`.compare` judges each customer, :mod:`.report` prints.
(``winlang.testing`` is something else: the kit for channel-plugin authors.)
"""

from .run import FileResult, run_test_file
from .spec import TestFileError, read_test_file

__all__ = ["FileResult", "TestFileError", "read_test_file", "run_test_file"]
