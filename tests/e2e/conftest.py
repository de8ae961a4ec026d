"""Fixtures of the end-to-end tests: the session's test store and the ``winlang`` runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.e2e.support import Store, make_store
from winlang.cli import cli


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return make_store(tmp_path_factory.mktemp("e2e-store"))


@pytest.fixture(scope="session")
def winlang() -> Callable[..., Result]:
    """Run ``winlang ARGS...`` in-process; exceptions propagate; store overrides are unset."""
    runner = CliRunner(env={"WINLANG_STORE_URL": None, "WINLANG_STATE_URL": None})

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(cli, [str(arg) for arg in args], catch_exceptions=False)

    return invoke
