"""The SQL store's tables as SQLAlchemy Core. GENERATED from models.py: do not edit.

    .venv/bin/python -m helpdesk_tui.store.sql.codegen

The declaration, and why the store runs on a generated copy of it, is in models.py.
"""

from __future__ import annotations

import sqlalchemy as sa

from .column_types import UtcTimestamp, id_type

metadata = sa.MetaData()

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", id_type(), sa.Identity(), primary_key=True, nullable=False),
    sa.Column("key", sa.Text(), nullable=False),
    sa.Column("subject", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("type", sa.Text(), nullable=False),
    sa.Column("priority", sa.Text(), nullable=False),
    sa.Column("priority_rank", sa.Integer(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("is_active", sa.Boolean(), nullable=False),
    sa.Column("tier", sa.Integer(), nullable=False),
    sa.Column("assignee", sa.Text(), nullable=True),
    sa.Column("team", sa.Text(), nullable=True),
    sa.Column("requester_name", sa.Text(), nullable=False),
    sa.Column("requester_email", sa.Text(), nullable=False),
    sa.Column("organization", sa.Text(), nullable=True),
    sa.Column("watchers", sa.Text(), nullable=False),
    sa.Column("contacts", sa.Text(), nullable=False),
    sa.Column("channel", sa.Text(), nullable=False),
    sa.Column("environment", sa.Text(), nullable=True),
    sa.Column("impact", sa.Text(), nullable=False),
    sa.Column("affected_users", sa.Integer(), nullable=True),
    sa.Column("integration", sa.Text(), nullable=True),
    sa.Column("category", sa.Text(), nullable=True),
    sa.Column("tags", sa.Text(), nullable=False),
    sa.Column("language", sa.Text(), nullable=False),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Column("updated_at", UtcTimestamp(), nullable=False),
    sa.Column("first_response_at", UtcTimestamp(), nullable=True),
    sa.Column("resolved_at", UtcTimestamp(), nullable=True),
    sa.Column("closed_at", UtcTimestamp(), nullable=True),
    sa.Column("last_public_update_at", UtcTimestamp(), nullable=True),
    sa.Column("last_customer_reply_at", UtcTimestamp(), nullable=True),
    sa.Column("pauses", sa.Text(), nullable=False),
    sa.Column("escalation", sa.Text(), nullable=False),
    sa.Column("escalation_reason", sa.Text(), nullable=True),
    sa.Column("escalated_by", sa.Text(), nullable=True),
    sa.Column("escalated_at", UtcTimestamp(), nullable=True),
    sa.Column("escalated_from_tier", sa.Integer(), nullable=True),
    sa.Column("merged_into", sa.Text(), nullable=True),
    sa.Column("follow_up_of", sa.Text(), nullable=True),
    sa.Column("csat_score", sa.Integer(), nullable=True),
    sa.Column("csat_comment", sa.Text(), nullable=True),
    sa.Column("sla_due_at", UtcTimestamp(), nullable=True),
    sa.Column("sla_risk_at", UtcTimestamp(), nullable=True),
    sa.Column("sla_flags", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index("ix_tickets_active_created", "is_active", "created_at"),
    sa.Index(
        "ix_tickets_active_priority",
        "is_active",
        "priority_rank",
        "sla_due_at",
        "id",
        "sla_risk_at",
    ),
    sa.Index("ix_tickets_active_sla", "is_active", "sla_due_at", "id"),
    sa.Index("ix_tickets_active_updated", "is_active", "updated_at"),
    sa.Index("ix_tickets_assignee_active_sla", "assignee", "is_active", "sla_due_at", "id"),
    sa.Index(
        "ix_tickets_awaiting_first_response",
        "is_active",
        "priority_rank",
        "sla_due_at",
        "id",
        "sla_risk_at",
        "first_response_at",
        info={"where": "first_response_at IS NULL"},
    ),
    sa.Index("ix_tickets_created", "created_at", "id"),
    sa.Index("ix_tickets_priority", "priority_rank", "sla_due_at", "id"),
    sa.Index("ix_tickets_sla", "sla_due_at", "id"),
    sa.Index("ix_tickets_tier_active_sla", "tier", "is_active", "sla_due_at", "id"),
    sa.Index(
        "ix_tickets_unassigned",
        "is_active",
        "tier",
        "priority_rank",
        "sla_due_at",
        "id",
        "sla_risk_at",
        info={"where": "assignee IS NULL"},
    ),
    sa.Index("ix_tickets_updated", "updated_at", "id"),
    sa.Index("uq_tickets_key", "key", unique=True),
    sqlite_autoincrement=True,
)

watchers = sa.Table(
    "ticket_watchers",
    metadata,
    sa.Column(
        "ticket_id",
        id_type(),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    ),
    sa.Column("username", sa.Text(), primary_key=True, nullable=False),
    sa.Index("ix_ticket_watchers_username", "username", "ticket_id"),
    sqlite_with_rowid=False,
)

links = sa.Table(
    "ticket_links",
    metadata,
    sa.Column(
        "source_id",
        id_type(),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    ),
    sa.Column("kind", sa.Text(), primary_key=True, nullable=False),
    sa.Column(
        "target_id",
        id_type(),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    ),
    sa.Column("created_by", sa.Text(), nullable=False),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Index("ix_ticket_links_target", "target_id", "source_id"),
    sqlite_with_rowid=False,
)

shared_macros = sa.Table(
    "shared_macros",
    metadata,
    sa.Column("name", sa.Text(), primary_key=True, nullable=False),
    sa.Column("team", sa.Text(), primary_key=True, nullable=False),
    sa.Column("format", sa.Text(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("updated_by", sa.Text(), nullable=False),
    sa.Column("updated_at", UtcTimestamp(), nullable=False),
)

comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", id_type(), primary_key=True, nullable=False),
    sa.Column(
        "ticket_id",
        id_type(),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("author", sa.Text(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Column("from_customer", sa.Boolean(), nullable=False),
    sa.Column("merged_from", sa.Text(), nullable=True),
    sa.Column("minutes", sa.Integer(), nullable=True),
    sa.Index("ix_comments_created", "created_at"),
    sa.Index("ix_comments_ticket", "ticket_id", "id"),
)

attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("id", id_type(), primary_key=True, nullable=False),
    sa.Column(
        "ticket_id",
        id_type(),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "comment_id",
        id_type(),
        sa.ForeignKey("comments.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("filename", sa.Text(), nullable=False),
    sa.Column("content_type", sa.Text(), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("sha256", sa.Text(), nullable=False),
    sa.Column("storage_path", sa.Text(), nullable=False),
    sa.Column("uploaded_by", sa.Text(), nullable=True),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Index("ix_attachments_comment", "comment_id"),
    sa.Index("ix_attachments_ticket", "ticket_id", "id"),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", id_type(), primary_key=True, nullable=False),
    sa.Column("ticket_id", id_type(), nullable=True),
    sa.Column("ticket_key", sa.Text(), nullable=True),
    sa.Column("at", UtcTimestamp(), nullable=False),
    sa.Column("actor", sa.Text(), nullable=False),
    sa.Column("field", sa.Text(), nullable=False),
    sa.Column("old", sa.Text(), nullable=True),
    sa.Column("new", sa.Text(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=True),
    sa.Column("login", sa.Text(), nullable=True),
    sa.Index("ix_audit_mentions", "new", "id", info={"where": "field = 'mention'"}),
    sa.Index("ix_audit_ticket_key", "ticket_key", "id"),
)

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("username", sa.Text(), primary_key=True, nullable=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("email", sa.Text(), nullable=False),
    sa.Column("tier", sa.Integer(), nullable=False),
    sa.Column("role", sa.Text(), nullable=False),
    sa.Column("team", sa.Text(), nullable=True),
    sa.Column("organizations", sa.Text(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("db_role", sa.Text(), nullable=True),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("name", sa.Text(), primary_key=True, nullable=False),
    sa.Column("description", sa.Text(), nullable=False),
)

store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("name", sa.Text(), primary_key=True, nullable=False),
    sa.Column("value", sa.BigInteger(), nullable=False),
)

mail = sa.Table(
    "mail",
    metadata,
    sa.Column("id", id_type(), primary_key=True, nullable=False),
    sa.Column(
        "ticket_id",
        id_type(),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("ticket_key", sa.Text(), nullable=False),
    sa.Column("direction", sa.Text(), nullable=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("address", sa.Text(), nullable=False),
    sa.Column("subject", sa.Text(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("params", sa.Text(), nullable=False),
    sa.Column("message_id", sa.Text(), nullable=True),
    sa.Column("state", sa.Text(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Column("next_attempt_at", UtcTimestamp(), nullable=True),
    sa.Column("claimed_until", UtcTimestamp(), nullable=True),
    sa.Column("sent_at", UtcTimestamp(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Index("ix_mail_due", "state", "next_attempt_at"),
    sa.Index("ix_mail_ticket", "ticket_id", "id"),
    sa.Index("uq_mail_message_id", "message_id", unique=True),
)
