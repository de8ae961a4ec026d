"""The end-to-end scenario of tests/report/test_cli.py, shared with the documentation test."""

from tests.report.test_cli import project as project  # the fixture, for test_docs.py too
