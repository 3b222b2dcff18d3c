"""The SQL schema as SQLAlchemy Core tables: the same definitions serve SQLite and PostgreSQL.

These tables describe what migration 0001 (and later revisions) create; a test compares
them with the migrated database so the two cannot drift apart. The repository reads and
writes them with SQLAlchemy Core: mapping rows straight to domain objects is several times
faster than building ORM instances, and the queue maps rows on every page.

They were SQLModel classes until the launch was measured: SQLModel brings pydantic and the
SQLAlchemy ORM, about 0.2 s of every start (of a 0.6 s budget) for declarations nothing
else used. The store's domain objects are dataclasses in domain/model.py.

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


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=nullable)


def _ts(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, UtcTimestamp(), nullable=nullable)


def _int(name: str, nullable: bool = True) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=nullable)


def _bool(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean, nullable=False)


def _id(name: str = "id") -> sa.Column[int]:
    return sa.Column(name, _id_type(), primary_key=True)


def _ticket_ref(name: str, nullable: bool = False) -> sa.Column[int]:
    # Rows that go with their ticket when it is purged.
    return sa.Column(
        name, _id_type(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=nullable
    )


metadata = sa.MetaData()


# Column order matters nowhere: the repository selects columns by name.
tickets = sa.Table(
    "tickets",
    metadata,
    # Ids are never reused (AUTOINCREMENT): a purged key must not come back.
    sa.Column("id", _id_type(), sa.Identity(), primary_key=True),
    _text("key"),
    _text("subject"),
    _text("description"),
    _text("type"),
    _text("priority"),
    _int("priority_rank", nullable=False),
    _text("status"),
    _bool("is_active"),
    _int("tier", nullable=False),
    _text("assignee", nullable=True),
    _text("team", nullable=True),
    _text("requester_name"),
    _text("requester_email"),
    _text("organization", nullable=True),
    _text("watchers"),
    _text("channel"),
    _text("environment", nullable=True),
    _text("impact"),
    _int("affected_users"),
    _text("integration", nullable=True),
    _text("category", nullable=True),
    _text("tags"),
    _text("language"),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("first_response_at"),
    _ts("resolved_at"),
    _ts("closed_at"),
    _ts("last_public_update_at"),
    _ts("last_customer_reply_at"),
    _text("pauses"),
    _text("escalation"),
    _text("escalation_reason", nullable=True),
    _text("escalated_by", nullable=True),
    _ts("escalated_at"),
    _int("escalated_from_tier"),
    _text("merged_into", nullable=True),
    _text("follow_up_of", nullable=True),
    _int("csat_score"),
    _text("csat_comment", nullable=True),
    _ts("sla_due_at"),
    _ts("sla_risk_at"),
    _text("sla_flags"),
    _int("version", nullable=False),
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
    sqlite_autoincrement=True,
)
"""One ticket."""

watchers = sa.Table(
    "ticket_watchers",
    metadata,
    sa.Column(
        "ticket_id",
        _id_type(),
        sa.ForeignKey("tickets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("username", sa.Text, primary_key=True),
    sa.Index("ix_ticket_watchers_username", "username", "ticket_id"),
    # Only the two key columns: the primary key is the table (no separate rowid tree).
    sqlite_with_rowid=False,
)
"""Who watches which ticket: the index behind the "watching" view."""

comments = sa.Table(
    "comments",
    metadata,
    _id(),
    _ticket_ref("ticket_id"),
    _text("kind"),
    _text("author"),
    _text("body"),
    _ts("created_at", nullable=False),
    _bool("from_customer"),
    sa.Index("ix_comments_ticket", "ticket_id", "id"),
)
"""A public reply or an internal note."""

attachments = sa.Table(
    "attachments",
    metadata,
    _id(),
    _ticket_ref("ticket_id"),
    sa.Column(
        "comment_id",
        _id_type(),
        sa.ForeignKey("comments.id", ondelete="CASCADE"),
        nullable=True,
    ),
    _text("filename"),
    _text("content_type"),
    sa.Column("size", sa.BigInteger, nullable=False),
    _text("sha256"),
    _text("storage_path"),
    _text("uploaded_by", nullable=True),
    _ts("created_at", nullable=False),
    sa.Index("ix_attachments_ticket", "ticket_id", "id"),
    sa.Index("ix_attachments_comment", "comment_id"),
)
"""A stored file; `storage_path` is relative to the repository's attachments folder."""

audit = sa.Table(
    "audit",
    metadata,
    _id(),
    # No foreign key on purpose: the tombstone of a purge stays.
    sa.Column("ticket_id", _id_type(), nullable=True),
    # A refused action on no ticket (an import, a purge) has no ticket key (0002).
    _text("ticket_key", nullable=True),
    _ts("at", nullable=False),
    _text("actor"),
    _text("field"),
    _text("old", nullable=True),
    _text("new", nullable=True),
    _text("reason", nullable=True),
    _int("version"),
    sa.Index("ix_audit_ticket_key", "ticket_key", "id"),
)
"""One history entry."""

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("username", sa.Text, primary_key=True),
    _text("name"),
    _text("email"),
    _int("tier", nullable=False),
    _text("role"),
    _text("team", nullable=True),
    _text("organizations"),
    _bool("active"),
)
"""An agent; `organizations` is a JSON list (empty = serves all)."""

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    _text("description"),
)
"""A team of agents."""

store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
"""Small named counters; "changes" is bumped by every write (the change token)."""

mail = sa.Table(
    "mail",
    metadata,
    _id(),
    _ticket_ref("ticket_id"),
    _text("ticket_key"),
    _text("direction"),
    _text("kind"),
    _text("address"),
    _text("subject"),
    _text("body"),
    _text("params"),
    _text("message_id", nullable=True),
    _text("state"),
    _int("attempts", nullable=False),
    _ts("created_at", nullable=False),
    _ts("next_attempt_at"),
    _ts("claimed_until"),
    _ts("sent_at"),
    _text("last_error", nullable=True),
    # The delivery step's one query: queued mail whose next attempt is due.
    sa.Index("ix_mail_due", "state", "next_attempt_at"),
    sa.Index("ix_mail_ticket", "ticket_id", "id"),
    # Incoming mail is taken in once; outgoing ids are ours and unique too.
    sa.Index("uq_mail_message_id", "message_id", unique=True),
)
"""A message to or from a ticket's requester (0003): the outgoing queue and the record
of incoming Message-IDs. Rows go with their ticket when it is purged (addresses and
texts are personal data)."""

FTS_TABLE = "tickets_fts"

"""SQLite: the FTS5 table (rowid = ticket id; subject, description, comments)."""
SEARCH_VECTOR = "search_vector"
"""PostgreSQL: the tsvector column on tickets, behind a GIN index."""
CHANGE_COUNTER = "changes"
