"""The SQL schema as SQLModel tables: the same definitions serve SQLite and PostgreSQL.

These classes describe what migration 0001 (and later revisions) create; a test compares
them with the migrated database so the two cannot drift apart. The repository works on
their `__table__` with SQLAlchemy Core: mapping rows straight to domain objects is several
times faster than building ORM instances, and the queue maps rows on every page.

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
  description and all comments; unicode61 with diacritics folded; `columnsize=0` as
  nothing ranks by bm25), created by the migration with raw DDL and kept by the
  repository in the same transactions. On PostgreSQL a `search_vector` tsvector column
  ('simple' configuration) behind a GIN index.
- No index on closed_at: only the nightly purge filters on it, and a scan of a million
  rows costs it well under a second, less than the index would cost every write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from .base import InvalidInput

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_epoch_us(value: datetime) -> int:
    """A timezone-aware datetime as integer microseconds since the epoch (exact)."""
    if value.tzinfo is None:
        raise InvalidInput(f"timestamp without a timezone: {value.isoformat()}")
    return (value - _EPOCH) // _MICROSECOND


def from_epoch_us(value: int) -> datetime:
    """The inverse of `to_epoch_us`: an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=value)


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC; refuses naive datetimes rather than guessing their zone."""
    if value.tzinfo is None:
        raise InvalidInput(f"timestamp without a timezone: {value.isoformat()}")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


class UtcTimestamp(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime: `timestamptz` on PostgreSQL, epoch microseconds on SQLite."""

    impl = sa.BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return to_epoch_us(value)
        return to_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_epoch_us(value)
        return to_utc(value)


def _id_type() -> TypeEngine[int]:
    # SQLite only makes "INTEGER PRIMARY KEY" an alias of the rowid (BIGINT would not be).
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _text(nullable: bool = False, **kw: Any) -> Any:
    return Field(sa_column=sa.Column(sa.Text, nullable=nullable, **kw))


def _ts(nullable: bool = True) -> Any:
    return Field(sa_column=sa.Column(UtcTimestamp(), nullable=nullable))


def _int(nullable: bool = True) -> Any:
    return Field(sa_column=sa.Column(sa.Integer, nullable=nullable))


class TicketRow(SQLModel, table=True):
    """One ticket. Column order matters nowhere: the repository selects columns by name."""

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
        sa.Index("ix_tickets_active_priority", "is_active", "priority_rank", "sla_due_at", "id"),
        # Sorts by created/updated within the open or closed set (every view filters on
        # it). A sort over all tickets with no status filter has no index: it sorts.
        sa.Index("ix_tickets_active_created", "is_active", "created_at"),
        sa.Index("ix_tickets_active_updated", "is_active", "updated_at"),
        # A unique index rather than a constraint: bulk_import can drop and rebuild it.
        sa.Index("uq_tickets_key", "key", unique=True),
        # Ids are never reused (AUTOINCREMENT): a purged key must not come back.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(_id_type(), sa.Identity(), primary_key=True),
    )
    key: str = _text()
    subject: str = _text()
    description: str = _text()
    type: str = _text()
    priority: str = _text()
    priority_rank: int = _int(nullable=False)
    status: str = _text()
    is_active: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    tier: int = _int(nullable=False)
    assignee: str | None = _text(nullable=True)
    team: str | None = _text(nullable=True)
    requester_name: str = _text()
    requester_email: str = _text()
    organization: str | None = _text(nullable=True)
    watchers: str = _text()
    channel: str = _text()
    environment: str | None = _text(nullable=True)
    impact: str = _text()
    affected_users: int | None = _int()
    integration: str | None = _text(nullable=True)
    category: str | None = _text(nullable=True)
    tags: str = _text()
    language: str = _text()
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    first_response_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    last_public_update_at: datetime | None = _ts()
    last_customer_reply_at: datetime | None = _ts()
    pauses: str = _text()
    escalation: str = _text()
    escalation_reason: str | None = _text(nullable=True)
    escalated_by: str | None = _text(nullable=True)
    escalated_at: datetime | None = _ts()
    escalated_from_tier: int | None = _int()
    merged_into: str | None = _text(nullable=True)
    follow_up_of: str | None = _text(nullable=True)
    csat_score: int | None = _int()
    csat_comment: str | None = _text(nullable=True)
    sla_due_at: datetime | None = _ts()
    sla_risk_at: datetime | None = _ts()
    sla_flags: str = _text()
    version: int = _int(nullable=False)


class WatcherRow(SQLModel, table=True):
    """Who watches which ticket: the index behind the "watching" view."""

    __tablename__ = "ticket_watchers"
    __table_args__ = (
        sa.Index("ix_ticket_watchers_username", "username", "ticket_id"),
        # Only the two key columns: the primary key is the table (no separate rowid tree).
        {"sqlite_with_rowid": False},
    )

    ticket_id: int = Field(
        sa_column=sa.Column(
            _id_type(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
        )
    )
    username: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))


class CommentRow(SQLModel, table=True):
    """A public reply or an internal note."""

    __tablename__ = "comments"
    __table_args__ = (sa.Index("ix_comments_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, sa_column=sa.Column(_id_type(), primary_key=True))
    ticket_id: int = Field(
        sa_column=sa.Column(
            _id_type(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        )
    )
    kind: str = _text()
    author: str = _text()
    body: str = _text()
    created_at: datetime = _ts(nullable=False)
    from_customer: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))


class AttachmentRow(SQLModel, table=True):
    """A stored file; `storage_path` is relative to the repository's attachments folder."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.Index("ix_attachments_ticket", "ticket_id", "id"),
        sa.Index("ix_attachments_comment", "comment_id"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(_id_type(), primary_key=True))
    ticket_id: int = Field(
        sa_column=sa.Column(
            _id_type(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        )
    )
    comment_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            _id_type(), sa.ForeignKey("comments.id", ondelete="CASCADE"), nullable=True
        ),
    )
    filename: str = _text()
    content_type: str = _text()
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    sha256: str = _text()
    storage_path: str = _text()
    uploaded_by: str | None = _text(nullable=True)
    created_at: datetime = _ts(nullable=False)


class AuditRow(SQLModel, table=True):
    """One history entry. No foreign key on purpose: the tombstone of a purge stays.

    A refused action on no ticket (an import, a purge) has no ticket key (0002)."""

    __tablename__ = "audit"
    __table_args__ = (sa.Index("ix_audit_ticket_key", "ticket_key", "id"),)

    id: int | None = Field(default=None, sa_column=sa.Column(_id_type(), primary_key=True))
    ticket_id: int | None = Field(default=None, sa_column=sa.Column(_id_type(), nullable=True))
    ticket_key: str | None = _text(nullable=True)
    at: datetime = _ts(nullable=False)
    actor: str = _text()
    field: str = _text()
    old: str | None = _text(nullable=True)
    new: str | None = _text(nullable=True)
    reason: str | None = _text(nullable=True)
    version: int | None = _int()


class AgentRow(SQLModel, table=True):
    """An agent; `organizations` is a JSON list (empty = serves all)."""

    __tablename__ = "agents"

    username: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    name: str = _text()
    email: str = _text()
    tier: int = _int(nullable=False)
    role: str = _text()
    team: str | None = _text(nullable=True)
    organizations: str = _text()
    active: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))


class TeamRow(SQLModel, table=True):
    """A team of agents."""

    __tablename__ = "teams"

    name: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    description: str = _text()


class MetaRow(SQLModel, table=True):
    """Small named counters; "changes" is bumped by every write (the change token)."""

    __tablename__ = "store_meta"

    name: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    value: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class MailRow(SQLModel, table=True):
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

    id: int | None = Field(default=None, sa_column=sa.Column(_id_type(), primary_key=True))
    ticket_id: int = Field(
        sa_column=sa.Column(
            _id_type(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        )
    )
    ticket_key: str = _text()
    direction: str = _text()
    kind: str = _text()
    address: str = _text()
    subject: str = _text()
    body: str = _text()
    params: str = _text()
    message_id: str | None = _text(nullable=True)
    state: str = _text()
    attempts: int = _int(nullable=False)
    created_at: datetime = _ts(nullable=False)
    next_attempt_at: datetime | None = _ts()
    claimed_until: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    last_error: str | None = _text(nullable=True)


metadata = SQLModel.metadata
# Core handles on the tables, for the repository's hot paths.
tickets = metadata.tables["tickets"]
watchers = metadata.tables["ticket_watchers"]
comments = metadata.tables["comments"]
attachments = metadata.tables["attachments"]
audit = metadata.tables["audit"]
agents = metadata.tables["agents"]
teams = metadata.tables["teams"]
store_meta = metadata.tables["store_meta"]
mail = metadata.tables["mail"]

FTS_TABLE = "tickets_fts"
"""SQLite: the FTS5 table (rowid = ticket id; subject, description, comments)."""
SEARCH_VECTOR = "search_vector"
"""PostgreSQL: the tsvector column on tickets, behind a GIN index."""
CHANGE_COUNTER = "changes"
