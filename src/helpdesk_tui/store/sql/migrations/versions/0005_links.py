"""Links between tickets: related, parent and child, problem and incident; and the
ticket a merged message came from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

`comments.merged_from` names the ticket a merge moved a message from; `tickets.contacts`
holds the other customers a ticket keeps informed.

`ticket_links` holds each link once, from its source to its target (domain/links.py).
On PostgreSQL a link is visible, and may be made or removed, only by a login that sees
both of its tickets: the subqueries on `tickets` are themselves under the tickets policy
(0004), so a link never tells an agent that a ticket it may not see exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BOTH_SEEN = (
    "EXISTS (SELECT 1 FROM tickets t WHERE t.id = source_id)"
    " AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = target_id)"
)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    id_type = sa.Integer() if sqlite else sa.BigInteger()
    stamp = sa.BigInteger() if sqlite else sa.DateTime(timezone=True)

    def ticket(name: str) -> sa.Column[int]:
        return sa.Column(
            name, id_type, sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
        )

    op.create_table(
        "ticket_links",
        ticket("source_id"),
        sa.Column("kind", sa.Text(), primary_key=True),
        ticket("target_id"),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", stamp, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ticket_links_target", "ticket_links", ["target_id", "source_id"])
    op.add_column("comments", sa.Column("merged_from", sa.Text(), nullable=True))
    op.add_column("tickets", sa.Column("contacts", sa.Text(), nullable=False, server_default="[]"))
    if sqlite:
        return
    op.execute("ALTER TABLE ticket_links ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY helpdesk_scope_0 ON ticket_links FOR ALL USING ({_BOTH_SEEN})")
    op.execute("GRANT SELECT, INSERT, DELETE ON ticket_links TO helpdesk_agent")


def downgrade() -> None:
    with op.batch_alter_table("comments") as batch:
        batch.drop_column("merged_from")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("contacts")
    op.drop_index("ix_ticket_links_target", "ticket_links")
    op.drop_table("ticket_links")
