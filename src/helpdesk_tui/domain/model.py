"""The ticket, the people who work it, and the vocabulary they share.

Pure data: no I/O, no clock, no framework. Every timestamp is timezone-aware UTC.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime

from ..i18n import N_

MAX_ATTACHMENT_BYTES = 90 * 1024 * 1024
"""Attachments above this size are refused (product.md: at most 90 MB each)."""


class _Labelled(enum.StrEnum):
    """A string enum whose values are stored and typed; `label` is what people read."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @classmethod
    def parse(cls, text: str) -> _Labelled:
        """Accept the value, the label, or a known alias, case-insensitively."""
        wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
        for member in cls:
            if wanted in (member.value, member.name.lower()):
                return member
        alias = _ALIASES.get(cls.__name__, {}).get(wanted)
        if alias is not None:
            return cls(alias)
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown {cls.__name__.lower()} {text!r} (choose from {choices})")


class Priority(_Labelled):
    """Severity, most urgent first. Shown as P1..P4."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """1 for critical through 4 for low: sorts most urgent first."""
        return _PRIORITY_RANK[self]

    @property
    def short(self) -> str:
        return f"P{self.rank}"


_PRIORITY_RANK = {Priority.CRITICAL: 1, Priority.HIGH: 2, Priority.MEDIUM: 3, Priority.LOW: 4}


class Status(_Labelled):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        """Still somebody's work: not resolved, closed or cancelled."""
        return self in ACTIVE_STATUSES

    @property
    def is_final(self) -> bool:
        return self in (Status.CLOSED, Status.CANCELLED)


ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})
DONE_STATUSES = frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED})


class TicketType(_Labelled):
    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"
    ACCESS_REQUEST = "access_request"
    CHANGE_REQUEST = "change_request"
    INFORMATION_REQUEST = "information_request"
    COMPLAINT = "complaint"


class Channel(_Labelled):
    EMAIL = "email"
    CHAT = "chat"
    PHONE = "phone"
    PORTAL = "portal"
    FORUM = "forum"


class Environment(_Labelled):
    PRODUCTION = "production"
    UAT = "uat"
    TEST = "test"


class Role(_Labelled):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class CommentKind(_Labelled):
    REPLY = "reply"
    """Public: goes to the customer."""
    NOTE = "note"
    """Internal: never goes to the customer."""


class Escalation(_Labelled):
    """Where a ticket waits for somebody other than its assignee to act."""

    NONE = "none"
    AWAITING_TIER = "awaiting_tier"
    """Moved to another tier; nobody there has accepted it yet."""
    AWAITING_LEAD = "awaiting_lead"
    """Sent to a team lead for review; the lead's decision is pending."""


# The labels as the UI shows them, marked for the catalogues: `.label` stays English
# (the CLI, JSON and exports print it); the screens translate it with `i18n.label()`.
LABEL_TEXTS = (
    *(N_("critical"), N_("high"), N_("medium"), N_("low")),
    *(N_("new"), N_("open"), N_("pending"), N_("on hold")),
    *(N_("resolved"), N_("closed"), N_("cancelled")),
    *(N_("incident"), N_("service request"), N_("access request"), N_("change request")),
    *(N_("information request"), N_("complaint")),
    *(N_("email"), N_("chat"), N_("phone"), N_("portal"), N_("forum")),
    *(N_("production"), N_("uat"), N_("test")),
)

_ALIASES: dict[str, dict[str, str]] = {
    "Priority": {
        "p1": "critical",
        "p0": "critical",
        "highest": "critical",
        "urgent": "critical",
        "blocker": "critical",
        "p2": "high",
        "p3": "medium",
        "normal": "medium",
        "standard": "medium",
        "p4": "low",
        "lowest": "low",
    },
    "Status": {
        "hold": "on_hold",
        "onhold": "on_hold",
        "solved": "resolved",
        "canceled": "cancelled",
    },
    "TicketType": {
        "service": "service_request",
        "access": "access_request",
        "change": "change_request",
        "information": "information_request",
        "question": "information_request",
    },
    "Environment": {"prod": "production", "staging": "uat"},
}

TIERS = (1, 2, 3)
TIER_NAMES = {1: N_("Tier 1"), 2: N_("Tier 2"), 3: N_("Tier 3")}

KEY_RE = re.compile(r"^(?P<prefix>[A-Z][A-Z0-9]{0,9})-(?P<number>[1-9][0-9]{0,11})$")


def parse_key(text: str) -> tuple[str, int]:
    """Split `HD-1042` into ("HD", 1042); raise ValueError on anything else."""
    match = KEY_RE.match(text.strip().upper())
    if not match:
        raise ValueError(f"not a ticket key: {text!r} (expected something like HD-1042)")
    return match["prefix"], int(match["number"])


@dataclass(frozen=True, slots=True)
class PauseInterval:
    """A span during which SLA clocks stood still; `end` is None while still paused."""

    start: datetime
    end: datetime | None
    status: Status


@dataclass(slots=True)
class Ticket:
    """A support ticket as the agent sees it. `version` grows by one on every write."""

    key: str
    subject: str
    description: str = ""
    type: TicketType = TicketType.INCIDENT
    priority: Priority = Priority.MEDIUM
    status: Status = Status.NEW
    tier: int = 1
    assignee: str | None = None
    team: str | None = None
    requester_name: str = ""
    requester_email: str = ""
    organization: str | None = None
    watchers: tuple[str, ...] = ()
    channel: Channel = Channel.EMAIL
    environment: Environment | None = None
    impact: str = ""
    affected_users: int | None = None
    integration: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    language: str = "en"
    created_at: datetime = field(default_factory=lambda: _epoch())
    updated_at: datetime = field(default_factory=lambda: _epoch())
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    last_public_update_at: datetime | None = None
    """When the customer last heard from us: drives the periodic-update target."""
    last_customer_reply_at: datetime | None = None
    pauses: tuple[PauseInterval, ...] = ()
    """Every span spent in a status that stops the SLA clock, oldest first."""
    escalation: Escalation = Escalation.NONE
    escalation_reason: str | None = None
    escalated_by: str | None = None
    escalated_at: datetime | None = None
    escalated_from_tier: int | None = None
    merged_into: str | None = None
    follow_up_of: str | None = None
    csat_score: int | None = None
    csat_comment: str | None = None
    sla_due_at: datetime | None = None
    """The next unmet target's due time, kept by the service so stores can sort on it."""
    sla_risk_at: datetime | None = None
    """When that target turns at-risk."""
    sla_flags: tuple[str, ...] = ()
    """SLA events already acted on (e.g. "resolution:breached"), so a sweep acts once."""
    version: int = 1
    id: int | None = None

    @property
    def requester(self) -> str:
        if self.requester_name and self.requester_email:
            return f"{self.requester_name} <{self.requester_email}>"
        return self.requester_name or self.requester_email

    def with_changes(self, **changes: object) -> Ticket:
        return replace(self, **changes)  # type: ignore[arg-type]


TICKET_FIELDS = frozenset(f.name for f in fields(Ticket))

EDITABLE_FIELDS = frozenset(
    {
        "subject",
        "description",
        "type",
        "priority",
        "status",
        "tier",
        "assignee",
        "team",
        "requester_name",
        "requester_email",
        "organization",
        "watchers",
        "channel",
        "environment",
        "impact",
        "affected_users",
        "integration",
        "category",
        "tags",
        "language",
        "escalation",
        "escalation_reason",
        "escalated_by",
        "escalated_at",
        "escalated_from_tier",
        "merged_into",
        "follow_up_of",
        "csat_score",
        "csat_comment",
    }
)
"""Fields a write may name. Timestamps, pauses and SLA columns are derived by the service."""

DERIVED_FIELDS = frozenset(
    {
        "first_response_at",
        "resolved_at",
        "closed_at",
        "last_public_update_at",
        "last_customer_reply_at",
        "pauses",
        "sla_due_at",
        "sla_risk_at",
        "sla_flags",
        "updated_at",
    }
)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    size: int
    sha256: str
    content_type: str = "application/octet-stream"
    id: int | None = None
    comment_id: int | None = None
    uploaded_by: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    """A public reply or an internal note. `from_customer` marks what the requester wrote."""

    kind: CommentKind
    author: str
    body: str
    created_at: datetime
    from_customer: bool = False
    attachments: tuple[Attachment, ...] = ()
    id: int | None = None

    @property
    def is_public(self) -> bool:
        return self.kind is CommentKind.REPLY


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One changed field (or one event, with `field` naming it) in a ticket's history."""

    ticket_key: str
    at: datetime
    actor: str
    field: str
    old: str | None
    new: str | None
    reason: str | None = None
    version: int | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    username: str
    name: str
    email: str = ""
    tier: int = 1
    role: Role = Role.AGENT
    team: str | None = None
    organizations: tuple[str, ...] = ()
    """Organizations this agent serves; empty means all of them."""
    active: bool = True


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    description: str = ""


def _epoch() -> datetime:
    # A fixed placeholder, not the clock: the domain never reads the wall clock.
    return datetime(1970, 1, 1, tzinfo=UTC)
