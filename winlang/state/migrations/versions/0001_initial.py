"""The first state schema: runs, messages, skips, assignments, lists, suppressions, events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("campaign", sa.String(200), nullable=False),
        sa.Column("now", sa.DateTime, nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("summary", sa.Text),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(400), nullable=False, unique=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("campaign", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("occurrence", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(100)),
        sa.Column("template", sa.String(200)),
        sa.Column("variant", sa.String(100)),
        sa.Column("address", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("provider_id", sa.String(400)),
        sa.Column("error", sa.Text),
        sa.Column("parts", sa.Integer),
        sa.Column("planned_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
    )
    op.create_index("messages_by_customer", "messages", ["campaign", "customer_id"])
    op.create_index("messages_by_rule", "messages", ["campaign", "rule", "customer_id"])
    op.create_table(
        "skips",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
    )
    op.create_index("skips_by_run", "skips", ["run_id"])
    op.create_table(
        "assignments",
        sa.Column("campaign", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(240), primary_key=True),
        sa.Column("customer_id", sa.String(200), primary_key=True),
        sa.Column("value", sa.String(100), nullable=False),
        sa.Column("assigned_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "list_members",
        sa.Column("list_name", sa.String(200), primary_key=True),
        sa.Column("customer_id", sa.String(200), primary_key=True),
        sa.Column("campaign", sa.String(200)),
        sa.Column("added_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "suppressions",
        sa.Column("customer_id", sa.String(200), primary_key=True),
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("campaign", sa.String(200)),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "ingested_events",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(100)),
        sa.Column("campaign", sa.String(200)),
        sa.Column("template", sa.String(200)),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("amount", sa.Float),
        sa.Column("product_name", sa.Text),
        sa.Column("ingested_at", sa.DateTime, nullable=False),
    )
    op.create_index("ingested_by_customer", "ingested_events", ["customer_id", "type"])


def downgrade() -> None:
    for table in (
        "ingested_events",
        "suppressions",
        "list_members",
        "assignments",
        "skips",
        "messages",
        "runs",
    ):
        op.drop_table(table)
