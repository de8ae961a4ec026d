"""Collection settings for the whole repository (the doctests of ``winlang/`` included)."""

import importlib.util

# The Spark store's DB-API module imports Databricks' SQLAlchemy dialect at the top: its
# doctests need the `spark` extra (CI installs it; a `.[dev]` checkout skips them).
collect_ignore = (
    [] if importlib.util.find_spec("databricks") else ["winlang/sources/spark_dbapi.py"]
)
