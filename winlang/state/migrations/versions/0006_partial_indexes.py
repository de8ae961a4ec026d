"""The ledger's index of messages to send becomes two partial indexes: planned messages by
campaign and claiming run (claims, retries, the claims a run leaves behind), and deferred
firings by campaign and due time. Sent, failed and done rows, nearly all of a ledger, are in
neither: a message leaves them once sent, and planning and sending a message touch a small
index instead of one over the whole history.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

PLANNED = sa.text("status = 'planned'")
DEFERRED = sa.text("status = 'deferred'")


def upgrade() -> None:
    op.drop_index("messages_to_send", "messages")
    op.create_index(
        "messages_to_claim",
        "messages",
        ["campaign", "claimed_by", "id"],
        sqlite_where=PLANNED,
        postgresql_where=PLANNED,
    )
    op.create_index(
        "messages_deferred",
        "messages",
        ["campaign", "due_at"],
        sqlite_where=DEFERRED,
        postgresql_where=DEFERRED,
    )


def downgrade() -> None:
    op.drop_index("messages_deferred", "messages")
    op.drop_index("messages_to_claim", "messages")
    op.create_index("messages_to_send", "messages", ["campaign", "status", "claimed_by"])
