"""The delivery loop: claims on messages, run liveness, the rendered payload, deferrals.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("host", sa.String(200)))
        runs.add_column(sa.Column("pid", sa.Integer))
        runs.add_column(sa.Column("heartbeat_at", sa.DateTime))
    with op.batch_alter_table("messages") as messages:
        messages.add_column(sa.Column("step", sa.Integer))
        messages.add_column(sa.Column("payload", sa.Text))
        messages.add_column(sa.Column("claimed_by", sa.Integer))
        messages.add_column(sa.Column("next_attempt_at", sa.DateTime))
    op.create_index("messages_to_send", "messages", ["campaign", "status", "claimed_by"])
    with op.batch_alter_table("skips") as skips:
        skips.add_column(sa.Column("until", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("skips") as skips:
        skips.drop_column("until")
    op.drop_index("messages_to_send", "messages")
    with op.batch_alter_table("messages") as messages:
        for name in ("next_attempt_at", "claimed_by", "payload", "step"):
            messages.drop_column(name)
    with op.batch_alter_table("runs") as runs:
        for name in ("heartbeat_at", "pid", "host"):
            runs.drop_column(name)
