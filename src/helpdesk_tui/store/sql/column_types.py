"""How the SQL store keeps what Python holds: timestamps and row ids, on both databases.

Shared by the table declaration (models.py) and the Core tables the store runs on
(tables.py); imports SQLAlchemy's Core only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from ..base import InvalidInput

FTS_TABLE = "tickets_fts"
"""SQLite: the FTS5 table (rowid = ticket id; subject, description, comments)."""
SEARCH_VECTOR = "search_vector"
"""PostgreSQL: the tsvector column on tickets, behind SEARCH_INDEX."""
SEARCH_INDEX = "ix_tickets_search"
"""PostgreSQL: the index of SEARCH_VECTOR: RUM's where the rum extension is installed (it
matches and ranks), else GIN's (it matches only); see migration 0010."""
CHANGE_COUNTER = "changes"
"""The store_meta row bumped by every write: the change token."""

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


def id_type() -> TypeEngine[int]:
    # SQLite only makes "INTEGER PRIMARY KEY" an alias of the rowid (BIGINT would not be).
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")
