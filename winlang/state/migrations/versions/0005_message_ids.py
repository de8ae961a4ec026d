"""Each ledger row keeps its message id (the token of its short link, the ``wl_m`` of its
tracked link), indexed, so `winlang serve` and `winlang ingest` find a message by it. Rows
written before are given theirs from their idempotency key.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from winlang.links import message_id

revision = "0005"
down_revision = "0004"
BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("messages") as messages:
        messages.add_column(sa.Column("message_id", sa.String(40)))
    connection = op.get_bind()
    table = sa.table(
        "messages",
        sa.column("id", sa.Integer),
        sa.column("idempotency_key", sa.String),
        sa.column("message_id", sa.String),
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, table.c.idempotency_key)
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            table.update()
            .where(table.c.id == sa.bindparam("_id"))
            .values(message_id=sa.bindparam("_message_id")),
            [{"_id": id_, "_message_id": message_id(key)} for id_, key in rows],
        )
        last = rows[-1][0]
    op.create_index("messages_by_message_id", "messages", ["message_id"])


def downgrade() -> None:
    op.drop_index("messages_by_message_id", "messages")
    with op.batch_alter_table("messages") as messages:
        messages.drop_column("message_id")
