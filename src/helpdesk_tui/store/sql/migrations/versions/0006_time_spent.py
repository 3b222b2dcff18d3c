"""Time spent: the minutes an agent records with a reply or a note.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12

`comments.minutes` is NULL where no time was recorded (every message written before).
`ix_comments_created` lets the report sum a period's minutes without reading every
message of the store. No new grant or policy on PostgreSQL: the column is part of
`comments`, whose grants and row-level security (0004) apply to it as they stand.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("comments", sa.Column("minutes", sa.Integer(), nullable=True))
    op.create_index("ix_comments_created", "comments", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_comments_created", "comments")
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("minutes")
