"""`winlang report`'s table at three- and four-digit counts: every column keeps its own place.

1,200 customers are messaged by one real run (a 10% holdout keeps about 120 back) and every
one of them buys the next day, so the reactivated and control cells read `1080/1080 100.0%`
and `120/120 100.0%`: wider than the columns of a small report.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from winlang.cli import cli
from winlang.report.funnel import _HEAD

RUN = "2026-11-01T10:00:00Z"
NOW = "2026-12-15T00:00:00Z"
CUSTOMERS = 1_200
CAMPAIGN = """campaign "big"
  holdout 10%
template hi sms "hi"
rule everyone: when orders >= 1 then send sms hi
"""
CONFIG = '[store]\nurl = "sqlite:///shop.db"\n[state]\nurl = "sqlite:///state.db"\n'


def make_project(folder: Path) -> Path:
    db = sqlite3.connect(folder / "shop.db")
    db.execute(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, orders INTEGER, phone TEXT,"
        " consent_sms BOOLEAN)"
    )
    db.execute("CREATE TABLE events (customer_id INTEGER, type TEXT, occurred_at DATETIME)")
    ids = range(1, CUSTOMERS + 1)
    db.executemany("INSERT INTO customers VALUES (?, 1, ?, 1)", [(i, f"+{i}") for i in ids])
    db.executemany(
        "INSERT INTO events VALUES (?, 'purchase', '2026-11-02 10:00:00')", [(i,) for i in ids]
    )
    db.commit()
    db.close()
    (folder / "winlang.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "big.win").write_text(CAMPAIGN, encoding="utf-8")
    return folder


def invoke(folder: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--config", str(folder / "winlang.toml")])


def cells_of(line: str, ends: list[int]) -> list[str]:
    """The cells of a row, each read up to the column where its heading ends; a cell must
    be right-aligned there with at least two spaces before it."""
    cells, start = [], 0
    for end in ends:
        text = line[start:end]
        assert text.startswith("  "), f"columns run together: {line!r}"
        cells.append(text.strip())
        start = end
    return cells


def test_columns_never_run_together_at_large_counts(tmp_path: Path) -> None:
    make_project(tmp_path)
    ran = invoke(tmp_path, "run", str(tmp_path / "big.win"), "--now", RUN)
    assert ran.exit_code == 0, ran.output
    found = json.loads(
        invoke(
            tmp_path, "report", str(tmp_path / "big.win"), "--now", NOW, "--format", "json"
        ).stdout
    )
    rule = found["rules"][0]
    sent, held = rule["sent"], rule["held_out"]
    assert sent + held == CUSTOMERS and 100 <= held < 1000  # three and four digits

    shown = invoke(tmp_path, "report", str(tmp_path / "big.win"), "--now", NOW)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    header, row = lines[1], lines[2]
    ends = [header.index(head) + len(head) for head in _HEAD]
    assert row.startswith("rule everyone")
    cells = cells_of(row[len("rule everyone") :], [e - len("rule everyone") for e in ends])
    assert cells == [
        str(sent), "0", str(held), "0   0%", "0   0%", "0   0%",
        f"{sent}/{sent} 100.0%", f"{held}/{held} 100.0%",
    ]  # fmt: skip
    total = next(line for line in lines if line.startswith("total"))
    assert cells_of(total[len("total") :], [e - len("total") for e in ends])[6:] == cells[6:]
