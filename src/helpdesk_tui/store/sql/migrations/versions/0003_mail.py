"""Mail with its tickets: the outgoing queue and the record of incoming Message-IDs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-04

One new table, `mail`; nothing existing changes. Self-contained like 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    ts = sa.BigInteger() if sqlite else sa.DateTime(timezone=True)
    id_type = sa.Integer() if sqlite else sa.BigInteger()

    def text(name: str, nullable: bool = False) -> sa.Column[str]:
        return sa.Column(name, sa.Text(), nullable=nullable)

    op.create_table(
        "mail",
        sa.Column("id", id_type, primary_key=True),
        sa.Column(
            "ticket_id", id_type, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        text("ticket_key"),
        text("direction"),
        text("kind"),
        text("address"),
        text("subject"),
        text("body"),
        text("params"),
        text("message_id", True),
        text("state"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("next_attempt_at", ts, nullable=True),
        sa.Column("claimed_until", ts, nullable=True),
        sa.Column("sent_at", ts, nullable=True),
        text("last_error", True),
    )
    op.create_index("ix_mail_due", "mail", ["state", "next_attempt_at"])
    op.create_index("ix_mail_ticket", "mail", ["ticket_id", "id"])
    op.create_index("uq_mail_message_id", "mail", ["message_id"], unique=True)


def downgrade() -> None:
    op.drop_table("mail")
