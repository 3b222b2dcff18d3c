"""Indexes for every sort over all tickets, and for the urgency reads of the work queues.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

A list with no open/closed filter (all tickets, a search) sorted by due time, priority,
creation or last change had no index in that order: at a million tickets the database
sorted the whole match for a page of 50. The two partial indexes serve "needs first
response" and "take next" (unassigned, by tier) most urgent first: their filter and the
clock columns the urgency classes test are in the index, so no row is read before the
page is found; the priority index of the open/closed sets gains the risk time likewise.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SORTS = {
    "ix_tickets_sla": ["sla_due_at", "id"],
    "ix_tickets_priority": ["priority_rank", "sla_due_at", "id"],
    "ix_tickets_created": ["created_at", "id"],
    "ix_tickets_updated": ["updated_at", "id"],
}
_PARTIAL = {
    "ix_tickets_awaiting_first_response": (
        ["is_active", "priority_rank", "sla_due_at", "id", "sla_risk_at", "first_response_at"],
        "first_response_at IS NULL",
    ),
    "ix_tickets_unassigned": (
        ["is_active", "tier", "priority_rank", "sla_due_at", "id", "sla_risk_at"],
        "assignee IS NULL",
    ),
}


def upgrade() -> None:
    # The urgency classes test the risk time: held in the index, no row is visited.
    op.drop_index("ix_tickets_active_priority", "tickets")
    op.create_index(
        "ix_tickets_active_priority",
        "tickets",
        ["is_active", "priority_rank", "sla_due_at", "id", "sla_risk_at"],
    )
    for name, columns in _SORTS.items():
        op.create_index(name, "tickets", columns)
    for name, (columns, where) in _PARTIAL.items():
        op.create_index(
            name,
            "tickets",
            columns,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    for name in [*_PARTIAL, *_SORTS]:
        op.drop_index(name, "tickets")
    op.drop_index("ix_tickets_active_priority", "tickets")
    op.create_index(
        "ix_tickets_active_priority", "tickets", ["is_active", "priority_rank", "sla_due_at", "id"]
    )
