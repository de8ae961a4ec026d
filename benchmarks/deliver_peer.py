"""The hand-written peer of a real run: a ledger-first delivery loop, as a team would write
it without winlang (issue 12: "select, render, insert planned rows, commit, append JSON
lines, fsync, mark sent, commit; batches of 1,000").

It selects the customers a one-rule e-mail campaign sends to (``id <= LAST``, e-mail consent,
an address) from the Parquet store, and for each batch of 1,000: renders subject and body,
inserts the planned rows (unique idempotency key) into an SQLite ledger and commits, appends
the messages as JSON lines to the outbox and fsyncs, marks the batch sent and commits. No
suppressions, caps, quiet hours or failover: the floor a delivery loop can't go under.

    python -m benchmarks.deliver_peer PARQUET_FOLDER STATE_DB OUTBOX LAST
"""

from __future__ import annotations

import os
import sqlite3
import sys
from datetime import UTC, datetime

import orjson
import pyarrow.compute as pc
import pyarrow.parquet as pq

CAMPAIGN, RULE, BATCH = "deliver-100k", "everyone", 1_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL,
    address TEXT, status TEXT NOT NULL, payload TEXT, planned_at TEXT NOT NULL, sent_at TEXT
)"""


def deliver(folder: str, state: str, outbox: str, last: int) -> int:
    """Send the campaign's messages; how many were sent."""
    table = pq.read_table(
        f"{folder}/customers.parquet", columns=["id", "first_name", "email", "consent_email"]
    )
    email = pc.utf8_trim_whitespace(table["email"])
    keep = pc.and_kleene(pc.less_equal(table["id"], last), table["consent_email"])
    keep = pc.and_kleene(keep, pc.invert(pc.or_kleene(pc.is_null(email), pc.equal(email, ""))))
    chosen = table.filter(pc.fill_null(keep, False))
    ids = chosen["id"].to_pylist()
    names = chosen["first_name"].to_pylist()
    addresses = pc.utf8_trim_whitespace(chosen["email"]).to_pylist()
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    ledger = sqlite3.connect(state)
    ledger.execute(SCHEMA)
    sent = 0
    with open(outbox, "ab") as out:
        for start in range(0, len(ids), BATCH):
            rows, lines = [], []
            for customer, name, to in zip(
                ids[start : start + BATCH],
                names[start : start + BATCH],
                addresses[start : start + BATCH],
                strict=True,
            ):
                key = f"{CAMPAIGN}/{RULE}/{customer}/0"
                message = {
                    "idempotency_key": key,
                    "campaign": CAMPAIGN,
                    "rule": RULE,
                    "customer_id": str(customer),
                    "channel": "email",
                    "to": to,
                    "subject": f"Hi {name or 'there'}",
                    "body": f"We have something for you, {name or 'friend'}.",
                }
                line = orjson.dumps(message)
                rows.append((key, str(customer), to, "planned", line.decode(), now))
                lines.append(line + b"\n")
            ledger.executemany(
                "INSERT INTO messages (idempotency_key, customer_id, address, status, payload,"
                " planned_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
            ledger.commit()
            out.write(b"".join(lines))
            out.flush()
            os.fsync(out.fileno())
            keys = [row[0] for row in rows]
            marks = ", ".join("?" * len(keys))
            ledger.execute(
                f"UPDATE messages SET status = 'sent', sent_at = ? "
                f"WHERE idempotency_key IN ({marks})",
                [now, *keys],
            )
            ledger.commit()
            sent += len(keys)
    ledger.close()
    return sent


if __name__ == "__main__":
    folder, state, outbox, last = sys.argv[1:5]
    print(deliver(folder, state, outbox, int(last)))
