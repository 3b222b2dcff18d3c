"""An index of the history entries that mention an agent (@name in a note).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

A partial index: only "mention" entries, by the agent named and newest first. The
Mentions list and the on-call check read through it whatever the size of the history
(both dialects support `WHERE` on an index).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_mentions",
        "audit",
        ["new", "id"],
        sqlite_where=sa.text("field = 'mention'"),
        postgresql_where=sa.text("field = 'mention'"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_mentions", "audit")
