"""List removals are kept, not deleted: who left a list when, so a rerun at the same clock
still sees the list as it was before that run.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("list_members") as members:
        members.add_column(sa.Column("removed_at", sa.DateTime))
        members.add_column(sa.Column("removed_by", sa.String(200)))


def downgrade() -> None:
    op.execute("DELETE FROM list_members WHERE removed_at IS NOT NULL")
    with op.batch_alter_table("list_members") as members:
        members.drop_column("removed_by")
        members.drop_column("removed_at")
