"""The state database's tables (SQLAlchemy Core): winlang's own ledger, beside the store.

Changing a table means a new migration in ``migrations/versions``; a test compares the
migrated database with these definitions.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("campaign", sa.String(200), nullable=False),
    sa.Column("now", sa.DateTime, nullable=False),  # the run's clock (naive UTC)
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # running, finished, failed, abandoned
    sa.Column("started_at", sa.DateTime, nullable=False),  # wall clock from here on
    sa.Column("finished_at", sa.DateTime),
    sa.Column("summary", sa.Text),  # the run summary, JSON
    # Liveness, so a later run can take over the messages of a run that died mid-send.
    sa.Column("host", sa.String(200)),
    sa.Column("pid", sa.Integer),
    sa.Column("heartbeat_at", sa.DateTime),
)

# One row per firing of a rule for a customer: planned, then sent / failed; or held_out, or
# done (a rule with list or unsubscribe actions only). The unique key makes a second plan of
# the same message impossible, even from two runs at once. ``payload`` holds the rendered
# message of each usable step of the send chain (JSON), so whichever run sends it, after a
# crash or a failover, sends exactly what was planned; ``claimed_by`` is the run sending it.
# The statuses of the partial indexes' WHERE, written as literals where they are queried.
PLANNED = sa.literal_column("'planned'")
DEFERRED = sa.literal_column("'deferred'")

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(400), nullable=False, unique=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("campaign", sa.String(200), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("customer_id", sa.String(200), nullable=False),
    sa.Column("occurrence", sa.Integer, nullable=False, default=0),
    sa.Column("channel", sa.String(100)),
    sa.Column("template", sa.String(200)),
    sa.Column("variant", sa.String(100)),
    sa.Column("address", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),  # planned sent failed held_out done
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("provider_id", sa.String(400)),
    sa.Column("error", sa.Text),
    sa.Column("parts", sa.Integer),
    sa.Column("planned_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("step", sa.Integer),  # position of `channel` in the rule's send chain
    sa.Column("payload", sa.Text),
    sa.Column("claimed_by", sa.Integer),
    sa.Column("next_attempt_at", sa.DateTime),  # wall clock: backoff after a temporary failure
    sa.Column("due_at", sa.DateTime),  # status deferred: when quiet hours end (the run clock)
    # winlang.links.message_id of the key: the token of the row's short links (`winlang serve`)
    sa.Column("message_id", sa.String(40)),
    sa.Index("messages_by_customer", "campaign", "customer_id"),
    sa.Index("messages_by_rule", "campaign", "rule", "customer_id"),
    # Partial indexes (0006): only the rows a run still acts on, so the sent history does not
    # make them big and a row leaves them once sent. Queries name the status as a literal
    # (:data:`PLANNED`, :data:`DEFERRED`): a database takes a partial index only for a query
    # whose WHERE implies the index's, which a parameter (a PostgreSQL prepared statement's
    # generic plan) does not.
    sa.Index(
        "messages_to_claim",
        "campaign",
        "claimed_by",
        "id",
        sqlite_where=sa.text("status = 'planned'"),
        postgresql_where=sa.text("status = 'planned'"),
    ),
    sa.Index(
        "messages_deferred",
        "campaign",
        "due_at",
        sqlite_where=sa.text("status = 'deferred'"),
        postgresql_where=sa.text("status = 'deferred'"),
    ),
    sa.Index("messages_by_message_id", "message_id"),
)

# Leases that keep two `winlang schedule` processes from running at once, on any machine
# that shares the state database: one row per lock, taken and renewed by conditional updates.
locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),  # host:pid:random, per process
    sa.Column("acquired_at", sa.DateTime, nullable=False),  # wall clock, naive UTC
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

skips = sa.Table(
    "skips",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("customer_id", sa.String(200), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),  # no_consent, cap, quiet_hours, ...
    sa.Column("until", sa.DateTime),  # quiet_hours: when the customer may be messaged
    sa.Index("skips_by_run", "run_id"),
)

assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("campaign", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(240), primary_key=True),  # "holdout" or "variant:<rule>"
    sa.Column("customer_id", sa.String(200), primary_key=True),
    sa.Column("value", sa.String(100), nullable=False),
    sa.Column("assigned_at", sa.DateTime, nullable=False),
)

list_members = sa.Table(
    "list_members",
    metadata,
    sa.Column("list_name", sa.String(200), primary_key=True),
    sa.Column("customer_id", sa.String(200), primary_key=True),
    sa.Column("campaign", sa.String(200)),
    sa.Column("added_at", sa.DateTime, nullable=False),
    # A removal is kept (not deleted) with its time and campaign, so a run at the clock of the
    # run that removed the customer still sees the list as it was (LedgerView).
    sa.Column("removed_at", sa.DateTime),
    sa.Column("removed_by", sa.String(200)),
)

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("customer_id", sa.String(200), primary_key=True),
    sa.Column("channel", sa.String(100), primary_key=True),  # "*": every channel
    sa.Column("campaign", sa.String(200)),
    sa.Column("at", sa.DateTime, nullable=False),
)

ingested_events = sa.Table(
    "ingested_events",
    metadata,
    sa.Column("event_id", sa.String(200), primary_key=True),  # idempotent ingest
    sa.Column("customer_id", sa.String(200), nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(100)),
    sa.Column("campaign", sa.String(200)),
    sa.Column("template", sa.String(200)),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("amount", sa.Float),
    sa.Column("product_name", sa.Text),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
    sa.Index("ingested_by_customer", "customer_id", "type"),
)
