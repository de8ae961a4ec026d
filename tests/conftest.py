"""Shared test setup: hypothesis profiles and fixture plugins.

CI (``CI=true``) runs the property tests with 1,000 examples each; locally 200 keep the suite
quick. ``HYPOTHESIS_PROFILE`` picks a profile explicitly.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.spark"]
_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


def pytest_unconfigure(config):
    """End the process as soon as pytest is done. DuckDB's bindings (nanobind) report their
    own module constants as leaks during interpreter teardown, which would print pages of
    warnings after pytest's summary line; nothing of ours runs after this hook."""
    import sys

    if "duckdb" in sys.modules and _EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT_STATUS])


@pytest.fixture(autouse=True)
def _spark_session_when_marked(request):
    """A test marked ``spark`` runs on the run's one local session (tests/fixtures/spark.py):
    the stores it opens join it instead of starting their own; skipped without Java."""
    if request.node.get_closest_marker("spark") is not None:
        request.getfixturevalue("spark_session")
