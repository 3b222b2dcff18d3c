"""The SQL schema, declared once as SQLModel models: the same tables serve SQLite and PostgreSQL.

These models describe what migration 0001 (and later revisions) create; a test compares
their metadata with the migrated database so the two cannot drift apart. The models are
named ...Row so that they are never taken for the domain's Ticket and Comment
(domain/model.py), which the store returns.

The store itself runs on `tables.py`: the same tables as SQLAlchemy Core, generated from
these models by `python -m helpdesk_tui.store.sql.codegen` and checked against them by
tests/store/test_tables_generated.py. Why two files for one declaration: SQLModel brings
pydantic and the SQLAlchemy ORM, about 0.13 s of import on the launch's longer leg (the
helper that opens the store and reads the first page, launch/startup.py), and mapping
rows straight to domain objects is several times faster than building model instances
anyway. So the models are imported where they are used: the tests, which compare them
with the migrated database and with tables.py (migrations run on tables.py: an upgrade
holds the store's write lock, and is no place for a heavy import). The models live in a
registry of their own (`StoreTable`), so `metadata` holds exactly this store's tables,
whatever other SQLModel models a process declares.

Storage choices, and why:

- Timestamps are `UtcTimestamp`: on PostgreSQL a `timestamptz`; on SQLite an integer of
  microseconds since 1970-01-01 UTC. Integers sort and compare correctly (ISO strings
  only do while every writer uses the same format and offset), take 8 bytes in an index
  instead of 32, and convert to and from `datetime` exactly.
- Enums are stored as their string values; `priority_rank` (1 = critical) and
  `is_active` (status is new/open/pending/on hold) are derived columns written with
  them, so that priority sorts and the open/closed views are served by plain indexes.
- Tuples (watchers, tags, SLA flags) and pauses are JSON text in the ticket row, so a
  ticket is mapped from one row; watchers are also kept in `ticket_watchers` because
  the "watching" view filters on them.
- Audit rows carry the ticket key and no foreign key: they outlive a purged ticket.
- Full text: on SQLite an FTS5 table `tickets_fts` (rowid = ticket id; subject,
  description and all comments; unicode61 with diacritics folded; each row's length
  kept for bm25's ranking, migration 0011), created by the migrations with raw DDL and
  kept by the repository in the same transactions. On PostgreSQL a `search_vector`
  tsvector column ('simple' configuration) behind a RUM index, or GIN's (migration 0010).
- No index on closed_at: only the nightly purge filters on it, and a scan of a million
  rows costs it well under a second, less than the index would cost every write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from .column_types import UtcTimestamp, id_type

# Each model field names its column exactly (type, nullability, keys): the declaration
# must match the migrations, so nothing is left to SQLModel's defaults.


def _text(name: str, nullable: bool = False) -> Any:
    return Field(sa_column=sa.Column(name, sa.Text, nullable=nullable))


def _ts(name: str, nullable: bool = True) -> Any:
    return Field(sa_column=sa.Column(name, UtcTimestamp(), nullable=nullable))


def _int(name: str, nullable: bool = True) -> Any:
    return Field(sa_column=sa.Column(name, sa.Integer, nullable=nullable))


def _bool(name: str) -> Any:
    return Field(sa_column=sa.Column(name, sa.Boolean, nullable=False))


def _id(name: str = "id") -> Any:
    return Field(default=None, sa_column=sa.Column(name, id_type(), primary_key=True))


def _ref(name: str, target: str, *, nullable: bool = False, primary_key: bool = False) -> Any:
    # Rows that go with the row they refer to (a ticket, a comment) when it is purged.
    column = sa.Column(
        name,
        id_type(),
        sa.ForeignKey(target, ondelete="CASCADE"),
        nullable=nullable,
        primary_key=primary_key,
    )
    return Field(default=None, sa_column=column) if nullable else Field(sa_column=column)


def _ticket_ref(name: str) -> Any:
    return _ref(name, "tickets.id")


def _name_key(name: str) -> Any:
    return Field(sa_column=sa.Column(name, sa.Text, primary_key=True))


class StoreTable(SQLModel, registry=registry()):
    """The base of the store's table models: their own registry and `metadata`."""

    # Nothing validates through these models (the store runs on the Core tables):
    # pydantic builds their validators on first use, not on import.
    model_config = SQLModel.model_config | {"defer_build": True}


metadata = StoreTable.metadata


# Column order matters nowhere: the repository selects columns by name.
class TicketRow(StoreTable, table=True):
    """One ticket."""

    __tablename__ = "tickets"
    __table_args__ = (
        # The queue views: each index starts with the view's equality filters and ends
        # with its default sort, so a page is an index range read in order (no sort) and
        # the count reads one index range. `is_active` stands for the open/closed sets.
        # The trailing id is the sort's tie-break: nearly every closed ticket has no due
        # time, and PostgreSQL would otherwise sort that whole group (SQLite ends every
        # index with the rowid anyway).
        sa.Index("ix_tickets_active_sla", "is_active", "sla_due_at", "id"),
        sa.Index("ix_tickets_assignee_active_sla", "assignee", "is_active", "sla_due_at", "id"),
        sa.Index("ix_tickets_tier_active_sla", "tier", "is_active", "sla_due_at", "id"),
        # The risk time last: the urgency classes test it, read from the index alone.
        sa.Index(
            "ix_tickets_active_priority",
            "is_active",
            "priority_rank",
            "sla_due_at",
            "id",
            "sla_risk_at",
        ),
        # Sorts by created/updated within the open or closed set (every view filters on
        # it).
        sa.Index("ix_tickets_active_created", "is_active", "created_at"),
        sa.Index("ix_tickets_active_updated", "is_active", "updated_at"),
        # Every sort a list offers, over all tickets (a search, a filter on something no
        # index leads with): the page is read in the index's order and stops at 50 rows
        # instead of sorting the whole match (migration 0009).
        sa.Index("ix_tickets_sla", "sla_due_at", "id"),
        sa.Index("ix_tickets_priority", "priority_rank", "sla_due_at", "id"),
        sa.Index("ix_tickets_created", "created_at", "id"),
        sa.Index("ix_tickets_updated", "updated_at", "id"),
        # The urgency order's reads (service/ordering.py) of the two queues agents take
        # work from: priority-sorted, filtered on the clock columns the index holds, so
        # no row is visited before the page is found.
        sa.Index(
            "ix_tickets_awaiting_first_response",
            "is_active",
            "priority_rank",
            "sla_due_at",
            "id",
            "sla_risk_at",
            "first_response_at",
            sqlite_where=sa.text("first_response_at IS NULL"),
            postgresql_where=sa.text("first_response_at IS NULL"),
        ),
        sa.Index(
            "ix_tickets_unassigned",
            "is_active",
            "tier",
            "priority_rank",
            "sla_due_at",
            "id",
            "sla_risk_at",
            sqlite_where=sa.text("assignee IS NULL"),
            postgresql_where=sa.text("assignee IS NULL"),
        ),
        # A unique index rather than a constraint: bulk_import can drop and rebuild it.
        sa.Index("uq_tickets_key", "key", unique=True),
        {"sqlite_autoincrement": True},
    )

    # Ids are never reused (AUTOINCREMENT): a purged key must not come back.
    id: int | None = Field(
        default=None, sa_column=sa.Column("id", id_type(), sa.Identity(), primary_key=True)
    )
    key: str = _text("key")
    subject: str = _text("subject")
    description: str = _text("description")
    type: str = _text("type")
    priority: str = _text("priority")
    priority_rank: int = _int("priority_rank", nullable=False)
    status: str = _text("status")
    is_active: bool = _bool("is_active")
    tier: int = _int("tier", nullable=False)
    assignee: str | None = _text("assignee", nullable=True)
    team: str | None = _text("team", nullable=True)
    requester_name: str = _text("requester_name")
    requester_email: str = _text("requester_email")
    organization: str | None = _text("organization", nullable=True)
    watchers: str = _text("watchers")
    # JSON, like the watchers: "Name <address>" each (0005; its default there fills the
    # rows of before, every write names it).
    contacts: str = _text("contacts")
    channel: str = _text("channel")
    environment: str | None = _text("environment", nullable=True)
    impact: str = _text("impact")
    affected_users: int | None = _int("affected_users")
    integration: str | None = _text("integration", nullable=True)
    category: str | None = _text("category", nullable=True)
    tags: str = _text("tags")
    language: str = _text("language")
    created_at: datetime = _ts("created_at", nullable=False)
    updated_at: datetime = _ts("updated_at", nullable=False)
    first_response_at: datetime | None = _ts("first_response_at")
    resolved_at: datetime | None = _ts("resolved_at")
    closed_at: datetime | None = _ts("closed_at")
    last_public_update_at: datetime | None = _ts("last_public_update_at")
    last_customer_reply_at: datetime | None = _ts("last_customer_reply_at")
    pauses: str = _text("pauses")
    escalation: str = _text("escalation")
    escalation_reason: str | None = _text("escalation_reason", nullable=True)
    escalated_by: str | None = _text("escalated_by", nullable=True)
    escalated_at: datetime | None = _ts("escalated_at")
    escalated_from_tier: int | None = _int("escalated_from_tier")
    merged_into: str | None = _text("merged_into", nullable=True)
    follow_up_of: str | None = _text("follow_up_of", nullable=True)
    csat_score: int | None = _int("csat_score")
    csat_comment: str | None = _text("csat_comment", nullable=True)
    sla_due_at: datetime | None = _ts("sla_due_at")
    sla_risk_at: datetime | None = _ts("sla_risk_at")
    sla_flags: str = _text("sla_flags")
    version: int = _int("version", nullable=False)


class WatcherRow(StoreTable, table=True):
    """Who watches which ticket: the index behind the "watching" view."""

    __tablename__ = "ticket_watchers"
    __table_args__ = (
        sa.Index("ix_ticket_watchers_username", "username", "ticket_id"),
        # Only the two key columns: the primary key is the table (no separate rowid tree).
        {"sqlite_with_rowid": False},
    )

    ticket_id: int = _ref("ticket_id", "tickets.id", primary_key=True)
    username: str = _name_key("username")


class TicketLinkRow(StoreTable, table=True):
    """A link from one ticket to another (domain/links.py), stored once: read from
    either end, so the target has an index of its own."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        sa.Index("ix_ticket_links_target", "target_id", "source_id"),
        {"sqlite_with_rowid": False},
    )

    source_id: int = _ref("source_id", "tickets.id", primary_key=True)
    kind: str = _name_key("kind")
    target_id: int = _ref("target_id", "tickets.id", primary_key=True)
    created_by: str = _text("created_by")
    created_at: datetime = _ts("created_at", nullable=False)


class SharedMacroRow(StoreTable, table=True):
    """A macro file kept in the store (0008): a team on one server shares it."""

    __tablename__ = "shared_macros"

    name: str = _name_key("name")
    team: str = _name_key("team")
    """"" for everybody."""
    format: str = _text("format")
    text: str = _text("text")
    updated_by: str = _text("updated_by")
    updated_at: datetime = _ts("updated_at", nullable=False)


class CommentRow(StoreTable, table=True):
    """A public reply or an internal note."""

    __tablename__ = "comments"
    __table_args__ = (
        sa.Index("ix_comments_ticket", "ticket_id", "id"),
        # The report's time spent reads a period's messages by when they were written.
        sa.Index("ix_comments_created", "created_at"),
    )

    id: int | None = _id()
    ticket_id: int = _ticket_ref("ticket_id")
    kind: str = _text("kind")
    author: str = _text("author")
    body: str = _text("body")
    created_at: datetime = _ts("created_at", nullable=False)
    from_customer: bool = _bool("from_customer")
    # The key of the ticket a merge moved this message from (0005); NULL: written here.
    merged_from: str | None = _text("merged_from", nullable=True)
    # Minutes the author spent on the ticket for this message (0006); NULL: not recorded.
    minutes: int | None = _int("minutes")


class AttachmentRow(StoreTable, table=True):
    """A stored file; `storage_path` is relative to the repository's attachments folder."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.Index("ix_attachments_ticket", "ticket_id", "id"),
        sa.Index("ix_attachments_comment", "comment_id"),
    )

    id: int | None = _id()
    ticket_id: int = _ticket_ref("ticket_id")
    comment_id: int | None = _ref("comment_id", "comments.id", nullable=True)
    filename: str = _text("filename")
    content_type: str = _text("content_type")
    size: int = Field(sa_column=sa.Column("size", sa.BigInteger, nullable=False))
    sha256: str = _text("sha256")
    storage_path: str = _text("storage_path")
    uploaded_by: str | None = _text("uploaded_by", nullable=True)
    created_at: datetime = _ts("created_at", nullable=False)


class AuditRow(StoreTable, table=True):
    """One history entry."""

    __tablename__ = "audit"
    __table_args__ = (
        sa.Index("ix_audit_ticket_key", "ticket_key", "id"),
        # Only the entries that call an agent in (@name, 0007): the Mentions list.
        sa.Index(
            "ix_audit_mentions",
            "new",
            "id",
            sqlite_where=sa.text("field = 'mention'"),
            postgresql_where=sa.text("field = 'mention'"),
        ),
    )

    id: int | None = _id()
    # No foreign key on purpose: the tombstone of a purge stays.
    ticket_id: int | None = Field(
        default=None, sa_column=sa.Column("ticket_id", id_type(), nullable=True)
    )
    # A refused action on no ticket (an import, a purge) has no ticket key (0002).
    ticket_key: str | None = _text("ticket_key", nullable=True)
    at: datetime = _ts("at", nullable=False)
    actor: str = _text("actor")
    field: str = _text("field")
    old: str | None = _text("old", nullable=True)
    new: str | None = _text("new", nullable=True)
    reason: str | None = _text("reason", nullable=True)
    version: int | None = _int("version")
    # Who was signed in, where not the actor ("julia as ivan", 0004). PostgreSQL fills it
    # with session_user itself and refuses anybody else's (row-level security).
    login: str | None = _text("login", nullable=True)


class AgentRow(StoreTable, table=True):
    """An agent; `organizations` is a JSON list (empty = serves all)."""

    __tablename__ = "agents"

    username: str = _name_key("username")
    name: str = _text("name")
    email: str = _text("email")
    tier: int = _int("tier", nullable=False)
    role: str = _text("role")
    team: str | None = _text("team", nullable=True)
    organizations: str = _text("organizations")
    active: bool = _bool("active")
    # The database login of another name this agent signs in with (0004); NULL: its own.
    db_role: str | None = _text("db_role", nullable=True)


class TeamRow(StoreTable, table=True):
    """A team of agents."""

    __tablename__ = "teams"

    name: str = _name_key("name")
    description: str = _text("description")


class StoreMetaRow(StoreTable, table=True):
    """Small named counters; "changes" is bumped by every write (the change token)."""

    __tablename__ = "store_meta"

    name: str = _name_key("name")
    value: int = Field(sa_column=sa.Column("value", sa.BigInteger, nullable=False))


class MailRow(StoreTable, table=True):
    """A message to or from a ticket's requester (0003): the outgoing queue and the record
    of incoming Message-IDs. Rows go with their ticket when it is purged (addresses and
    texts are personal data)."""

    __tablename__ = "mail"
    __table_args__ = (
        # The delivery step's one query: queued mail whose next attempt is due.
        sa.Index("ix_mail_due", "state", "next_attempt_at"),
        sa.Index("ix_mail_ticket", "ticket_id", "id"),
        # Incoming mail is taken in once; outgoing ids are ours and unique too.
        sa.Index("uq_mail_message_id", "message_id", unique=True),
    )

    id: int | None = _id()
    ticket_id: int = _ticket_ref("ticket_id")
    ticket_key: str = _text("ticket_key")
    direction: str = _text("direction")
    kind: str = _text("kind")
    address: str = _text("address")
    subject: str = _text("subject")
    body: str = _text("body")
    params: str = _text("params")
    message_id: str | None = _text("message_id", nullable=True)
    state: str = _text("state")
    attempts: int = _int("attempts", nullable=False)
    created_at: datetime = _ts("created_at", nullable=False)
    next_attempt_at: datetime | None = _ts("next_attempt_at")
    claimed_until: datetime | None = _ts("claimed_until")
    sent_at: datetime | None = _ts("sent_at")
    last_error: str | None = _text("last_error", nullable=True)
