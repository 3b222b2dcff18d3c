"""The first schema: tickets, watchers, comments, attachments, audit, agents, teams, search.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Self-contained on purpose (it does not import the package's table classes): a migration
must keep creating the same schema however the models change later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite: epoch microseconds (sort as integers); elsewhere timestamptz.
    ts = sa.BigInteger() if sqlite else sa.DateTime(timezone=True)
    id_type = sa.Integer() if sqlite else sa.BigInteger()

    def stamp(name: str, nullable: bool = True) -> sa.Column[object]:
        return sa.Column(name, ts, nullable=nullable)

    def text(name: str, nullable: bool = False) -> sa.Column[str]:
        return sa.Column(name, sa.Text(), nullable=nullable)

    op.create_table(
        "tickets",
        sa.Column("id", id_type, sa.Identity(), primary_key=True),
        text("key"),
        text("subject"),
        text("description"),
        text("type"),
        text("priority"),
        sa.Column("priority_rank", sa.Integer(), nullable=False),
        text("status"),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        text("assignee", True),
        text("team", True),
        text("requester_name"),
        text("requester_email"),
        text("organization", True),
        text("watchers"),
        text("channel"),
        text("environment", True),
        text("impact"),
        sa.Column("affected_users", sa.Integer(), nullable=True),
        text("integration", True),
        text("category", True),
        text("tags"),
        text("language"),
        stamp("created_at", False),
        stamp("updated_at", False),
        stamp("first_response_at"),
        stamp("resolved_at"),
        stamp("closed_at"),
        stamp("last_public_update_at"),
        stamp("last_customer_reply_at"),
        text("pauses"),
        text("escalation"),
        text("escalation_reason", True),
        text("escalated_by", True),
        stamp("escalated_at"),
        sa.Column("escalated_from_tier", sa.Integer(), nullable=True),
        text("merged_into", True),
        text("follow_up_of", True),
        sa.Column("csat_score", sa.Integer(), nullable=True),
        text("csat_comment", True),
        stamp("sla_due_at"),
        stamp("sla_risk_at"),
        text("sla_flags"),
        sa.Column("version", sa.Integer(), nullable=False),
        sqlite_autoincrement=True,
    )
    # A unique index rather than a constraint: bulk_import can drop and rebuild it.
    op.create_index("uq_tickets_key", "tickets", ["key"], unique=True)
    # Queue views: equality filters first, the view's sort last (see store/sql/tables.py).
    # The trailing id is the tie-break of every sort (most closed tickets have no due time).
    op.create_index("ix_tickets_active_sla", "tickets", ["is_active", "sla_due_at", "id"])
    op.create_index(
        "ix_tickets_assignee_active_sla",
        "tickets",
        ["assignee", "is_active", "sla_due_at", "id"],
    )
    op.create_index(
        "ix_tickets_tier_active_sla", "tickets", ["tier", "is_active", "sla_due_at", "id"]
    )
    op.create_index(
        "ix_tickets_active_priority",
        "tickets",
        ["is_active", "priority_rank", "sla_due_at", "id"],
    )
    op.create_index("ix_tickets_active_created", "tickets", ["is_active", "created_at"])
    op.create_index("ix_tickets_active_updated", "tickets", ["is_active", "updated_at"])

    op.create_table(
        "ticket_watchers",
        sa.Column(
            "ticket_id",
            id_type,
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("username", sa.Text(), primary_key=True),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ticket_watchers_username", "ticket_watchers", ["username", "ticket_id"])

    op.create_table(
        "comments",
        sa.Column("id", id_type, primary_key=True),
        sa.Column(
            "ticket_id", id_type, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        text("kind"),
        text("author"),
        text("body"),
        stamp("created_at", False),
        sa.Column("from_customer", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_comments_ticket", "comments", ["ticket_id", "id"])

    op.create_table(
        "attachments",
        sa.Column("id", id_type, primary_key=True),
        sa.Column(
            "ticket_id", id_type, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "comment_id", id_type, sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
        ),
        text("filename"),
        text("content_type"),
        sa.Column("size", sa.BigInteger(), nullable=False),
        text("sha256"),
        text("storage_path"),
        text("uploaded_by", True),
        stamp("created_at", False),
    )
    op.create_index("ix_attachments_ticket", "attachments", ["ticket_id", "id"])
    op.create_index("ix_attachments_comment", "attachments", ["comment_id"])

    # No foreign key to tickets: the audit trail (and a purge's tombstone) outlives them.
    op.create_table(
        "audit",
        sa.Column("id", id_type, primary_key=True),
        sa.Column("ticket_id", id_type, nullable=True),
        text("ticket_key"),
        stamp("at", False),
        text("actor"),
        text("field"),
        text("old", True),
        text("new", True),
        text("reason", True),
        sa.Column("version", sa.Integer(), nullable=True),
    )
    op.create_index("ix_audit_ticket_key", "audit", ["ticket_key", "id"])

    op.create_table(
        "agents",
        sa.Column("username", sa.Text(), primary_key=True),
        text("name"),
        text("email"),
        sa.Column("tier", sa.Integer(), nullable=False),
        text("role"),
        text("team", True),
        text("organizations"),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "teams",
        sa.Column("name", sa.Text(), primary_key=True),
        text("description"),
    )
    meta = op.create_table(
        "store_meta",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(meta, [{"name": "changes", "value": 0}])

    if sqlite:
        # A normal FTS5 table keyed by rowid = ticket id, kept by the repository.
        # unicode61 with remove_diacritics folds "café" and "cafe" together.
        op.execute(
            "CREATE VIRTUAL TABLE tickets_fts USING fts5("
            "subject, description, comments, tokenize = 'unicode61 remove_diacritics 2',"
            " columnsize = 0)"
        )
    else:
        # 'simple': no stemming and no stop words, so results match what FTS5 finds.
        op.add_column("tickets", sa.Column("search_vector", postgresql.TSVECTOR()))
        op.create_index("ix_tickets_search", "tickets", ["search_vector"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS tickets_fts")
    for table in (
        "store_meta",
        "teams",
        "agents",
        "audit",
        "attachments",
        "comments",
        "ticket_watchers",
        "tickets",
    ):
        op.drop_table(table)
