"""The repository layer's one contract: what every backend (SQL, Request Tracker) offers.

Backends speak domain types only. Business rules (who may, which transition, which
SLA) are the service's; a store applies a change atomically with its audit entries
and refuses a change based on a stale version.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..domain.model import (
    Agent,
    AuditEntry,
    Comment,
    Escalation,
    Priority,
    Status,
    Team,
    Ticket,
    TicketType,
)


class SortKey(enum.StrEnum):
    SLA_DUE = "sla_due"
    PRIORITY = "priority"
    CREATED = "created"
    UPDATED = "updated"
    KEY = "key"


class Capability(enum.StrEnum):
    """What a backend can do beyond reading and writing tickets; the UI hides the rest."""

    FULL_TEXT = "full_text"
    ATTACHMENTS = "attachments"
    CSAT = "csat"
    WATCHERS = "watchers"
    AGENTS_ADMIN = "agents_admin"
    PURGE = "purge"
    BULK_IMPORT = "bulk_import"
    LIVE_CHANGES = "live_changes"


@dataclass(frozen=True, slots=True)
class Query:
    """Filters (ANDed together), a sort and a page. Empty sets mean "any"."""

    statuses: frozenset[Status] = frozenset()
    priorities: frozenset[Priority] = frozenset()
    types: frozenset[TicketType] = frozenset()
    tiers: frozenset[int] = frozenset()
    assignees: frozenset[str] = frozenset()
    unassigned: bool = False
    """Only tickets nobody holds (combined with `assignees` as OR)."""
    organizations: frozenset[str] | None = None
    """Tickets of these organizations only; None means every organization."""
    watcher: str | None = None
    escalations: frozenset[Escalation] = frozenset()
    due_before: datetime | None = None
    """SLA: the next target falls due before this instant (paused clocks never match)."""
    text: str | None = None
    """Full-text search over subject, description and comments; any input is safe."""
    created_after: datetime | None = None
    created_before: datetime | None = None
    closed_before: datetime | None = None
    sort: SortKey = SortKey.SLA_DUE
    descending: bool = False
    offset: int = 0
    limit: int = 50

    def page(self, offset: int, limit: int | None = None) -> Query:
        from dataclasses import replace

        return replace(self, offset=max(0, offset), limit=self.limit if limit is None else limit)


@dataclass(frozen=True, slots=True)
class Page:
    tickets: list[Ticket]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """A file to attach: the store copies it into its own storage."""

    filename: str
    path: Path
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Change:
    """One atomic write to one ticket, based on the version the writer last saw.

    `fields` holds new values keyed by Ticket field name (editable and derived alike);
    the store writes one audit entry per user-visible field that actually changes,
    with `reason`, in the same transaction. `event` adds an audit entry that is not
    a field change (for example "sla:breached:resolution" or "refused:assign").
    """

    key: str
    base_version: int
    actor: str
    at: datetime
    fields: Mapping[str, object] = field(default_factory=dict)
    reason: str | None = None
    comment: Comment | None = None
    attachments: Sequence[NewAttachment] = ()
    events: Sequence[tuple[str, str | None]] = ()
    """(event name, detail) pairs written to the audit log as extra entries."""


class StoreError(Exception):
    """Base of every error a repository raises; its message is one line for people."""


class NotFound(StoreError):
    pass


class ConflictError(StoreError):
    """A write was based on a version that is no longer current. Nothing was written."""

    def __init__(self, key: str, base_version: int, current: Ticket, changed: Sequence[str]):
        self.key = key
        self.base_version = base_version
        self.current = current
        self.changed_fields = tuple(dict.fromkeys(changed))
        who = ", ".join(self.changed_fields) or "the ticket"
        super().__init__(
            f"{key} changed since you opened it (v{base_version} → v{current.version}): {who}"
        )


class StoreUnavailable(StoreError):
    """The backend cannot be reached; the message names it, never a secret."""


class InvalidInput(StoreError):
    """The backend refused a value (too large, malformed)."""


@runtime_checkable
class TicketRepository(Protocol):
    """Where tickets live. Every method may raise StoreError subclasses only."""

    @property
    def capabilities(self) -> frozenset[Capability]: ...

    @property
    def key_prefix(self) -> str: ...

    def get(self, key: str) -> Ticket: ...

    def query(self, query: Query) -> Page:
        """One page of tickets and the total count, filtered and sorted by the backend."""
        ...

    def count(self, query: Query) -> int: ...

    def create(self, ticket: Ticket, actor: str, comment: Comment | None = None) -> Ticket:
        """Store a new ticket; the store assigns `id` and `key` and writes a "created" entry."""
        ...

    def apply(self, change: Change) -> Ticket:
        """Apply one change atomically; raise ConflictError if `base_version` is stale."""
        ...

    def comments(self, key: str) -> list[Comment]: ...

    def history(self, key: str) -> list[AuditEntry]: ...

    def attachment_path(self, key: str, attachment_id: int) -> Path: ...

    def agents(self) -> list[Agent]: ...

    def get_agent(self, username: str) -> Agent: ...

    def save_agent(self, agent: Agent) -> Agent: ...

    def teams(self) -> list[Team]: ...

    def save_team(self, team: Team) -> Team: ...

    def bulk_import(self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]) -> int:
        """Insert many tickets (with their comments) fast; returns how many were stored."""
        ...

    def purge(self, closed_before: datetime, actor: str, at: datetime, dry_run: bool) -> list[str]:
        """Remove tickets closed before `closed_before`, leaving a tombstone audit entry."""
        ...

    def change_token(self) -> str:
        """An opaque marker that differs whenever any ticket changed: a cheap poll."""
        ...

    def close(self) -> None: ...
