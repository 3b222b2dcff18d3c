"""Macros kept in the store: a team on one PostgreSQL server shares its canned replies.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

`shared_macros` holds each macro file as it was (its format and text), keyed by name and
team ("" for everybody). On PostgreSQL every agent may read them and only a lead's or an
admin's login may change them: the database refuses anybody else.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    stamp = sa.BigInteger() if sqlite else sa.DateTime(timezone=True)
    op.create_table(
        "shared_macros",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("team", sa.Text(), primary_key=True),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
    )
    if sqlite:
        return
    op.execute("GRANT SELECT ON shared_macros TO helpdesk_agent")
    op.execute("GRANT INSERT, UPDATE, DELETE ON shared_macros TO helpdesk_lead")


def downgrade() -> None:
    op.drop_table("shared_macros")
