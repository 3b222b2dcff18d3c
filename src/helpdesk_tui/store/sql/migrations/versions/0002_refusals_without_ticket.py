"""Audit entries without a ticket: refused actions that name none (an import, a purge).

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-04

`audit.ticket_key` becomes nullable. On SQLite that means rebuilding the audit table
(batch mode copies its rows and its index); on PostgreSQL it is one ALTER. A bulk
import writes no audit rows, so even a store of a million tickets has few to copy.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("ticket_key", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    # Keep the refusals rather than drop them: an empty key is what 0001 can hold.
    op.execute("UPDATE audit SET ticket_key = '' WHERE ticket_key IS NULL")
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("ticket_key", existing_type=sa.Text(), nullable=False)
