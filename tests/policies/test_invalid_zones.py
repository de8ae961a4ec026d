"""Unknown zones fall back (campaign, then [defaults], then UTC) and are counted for the run
summary's ``invalid_zones``."""

from __future__ import annotations

from datetime import UTC, datetime, time

import numpy as np
import pyarrow as pa
import pytest

from winlang.policies.quiet import in_quiet_hours, resolve_zones
from winlang.report.summary import render_text

ZONES = ["Asia/Seoul", "Mars/Base", "", None, "  ", "Mars/Base", "Europe/Paris", "America"]


@pytest.mark.parametrize(
    "values",
    [
        ZONES,
        np.array(ZONES, dtype=object),
        pa.array(ZONES, pa.string()),
        pa.array(ZONES, pa.string()).dictionary_encode(),
        np.array([*ZONES, 3.5], dtype=object),  # not all texts: the value-by-value path
    ],
    ids=["list", "numpy", "arrow", "dictionary", "mixed"],
)
def test_unknown_zones_are_counted_by_customer(values) -> None:
    found = resolve_zones(values, "Europe/London")
    mixed = len(values) > len(ZONES)
    assert found.invalid_customers == 3 + mixed  # Mars/Base twice, America (a folder)
    assert set(found.invalid) == {"Mars/Base", "America"} | ({"3.5"} if mixed else set())
    assert found.names.tolist()[: len(ZONES)] == ["Asia/Seoul"] + ["Europe/London"] * 5 + [
        "Europe/Paris",
        "Europe/London",
    ]


def test_empty_zones_are_not_counted() -> None:
    assert resolve_zones(["", None, "  "], None).invalid_customers == 0


def test_the_fallback_goes_campaign_then_defaults_then_utc() -> None:
    """At 22:00 UTC: quiet in London (22:00) and in UTC, not in New York (17:00)."""
    now = datetime(2026, 1, 5, 22, tzinfo=UTC)
    window = time(21), time(9)
    assert in_quiet_hours(now, ["Mars/Base"], *window, "America/New_York").tolist() == [False]
    assert in_quiet_hours(now, ["Mars/Base"], *window, "Europe/London").tolist() == [True]
    assert resolve_zones(["Mars/Base"], None).fallback == "UTC"


def test_the_text_summary_names_them() -> None:
    report = {
        "campaign": "c",
        "now": "2026-11-22T10:00:00Z",
        "dry_run": True,
        "engine": "numpy",
        "audience": 3,
        "rules": [],
        "invalid_zones": {"count": 2, "examples": ["Mars/Base"]},
    }
    assert render_text(report).splitlines()[-1] == (
        "unknown zones: 2 customers (Mars/Base), quiet hours in the fallback zone"
    )
    report["invalid_zones"] = {"count": 0, "examples": []}
    assert "unknown zones" not in render_text(report)
