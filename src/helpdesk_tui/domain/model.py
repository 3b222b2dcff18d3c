"""The ticket, the people who work it, and the vocabulary they share.

Pure data: no I/O, no clock, no framework. Every timestamp is timezone-aware UTC.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from email.utils import getaddresses, parseaddr

from .text import N_

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

KEY_NUMBER = r"[1-9][0-9]{0,11}"
"""A ticket's number as its key writes it: no leading zero, at most twelve digits."""
KEY_RE = re.compile(rf"^(?P<prefix>[A-Z][A-Z0-9]{{0,9}})-(?P<number>{KEY_NUMBER})$")


def keys_of(prefix: str) -> str:
    """A regular expression for this store's keys ("HD-12") where they stand in text."""
    return rf"{re.escape(prefix)}-{KEY_NUMBER}"


def parse_key(text: str) -> tuple[str, int]:
    """Split `HD-1042` into ("HD", 1042); raise ValueError on anything else."""
    # fullmatch, not match: KEY_RE's `$` also matches before a final newline.
    match = KEY_RE.fullmatch(text.strip().upper()) if len(text) <= MAX_KEY else None
    if not match:
        raise ValueError(f"not a ticket key: {text[:40]!r} (expected something like HD-1042)")
    return match["prefix"], int(match["number"])


def canonical_key(text: str) -> str:
    """`text` as a key is stored and shown ("hd-0042 " → "HD-42"); ValueError otherwise."""
    prefix, number = parse_key(text)
    return f"{prefix}-{number}"


# --- what every new ticket must satisfy, however it comes in -----------------------------
# One set of checks for `ticket create`, the TUI's form and an import: a record that could
# not have been typed in cannot be imported either. The messages are one line each.

MAX_KEY = 40
"""Longer than any key KEY_RE accepts; checked first so a huge string is not uppercased."""
MAX_SUBJECT = 250
MAX_BODY = 1_000_000
"""Descriptions, comments and other free text, in characters."""
MAX_LINE = 1_000
"""One-line fields (names, addresses, organization, category, each tag): in characters."""
MAX_AFFECTED_USERS = 1_000_000_000
"""Above any real head count, and well inside a 64-bit column."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""Timestamps outside these are typos: and SLA arithmetic near year 9999 overflows."""
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_LINE_FIELDS = (
    "requester_name",
    "requester_email",
    "organization",
    "team",
    "assignee",
    "integration",
    "category",
    "language",
    "escalated_by",
)
_TEXT_FIELDS = ("description", "impact", "escalation_reason", "csat_comment")
_ENUM_FIELDS: dict[str, type[enum.Enum]] = {
    "type": TicketType,
    "priority": Priority,
    "status": Status,
    "channel": Channel,
    "escalation": Escalation,
}
_TIME_FIELDS = (
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "last_public_update_at",
    "last_customer_reply_at",
    "escalated_at",
)


class InvalidTicket(ValueError):
    """A new ticket that breaks a rule; the message names the field."""


def contact_address(contact: str) -> str:
    """The address of a contact written "Name <address>" (or a bare address), lowercased."""
    return parseaddr(contact)[1].strip().lower()


_NAME_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def contact_line(name: str, address: str) -> str:
    """A contact as stored and shown: "Name <address>" (quoted where the name holds a
    comma or the like), or the address alone. Not `formataddr`: it writes a name that is
    not ASCII as a MIME encoded word ("=?utf-8?q?Ann_Z=C3=BCrich?="), which is for a
    mail header, not for people; the mail composer encodes what it sends itself."""
    name, address = " ".join(name.split()), address.strip()
    if not name:
        return address
    if _NAME_SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def check_contact(contact: str) -> None:
    """One contact: one address, bare or as "Name <address>"; InvalidTicket otherwise.

    Read as one address, "a@x.org, b@y.org" was a@x.org alone (b was never copied), and
    "Doe, John <j@x.org>" was the address "Doe": each is said for what it is."""
    check_text("contact", contact, MAX_LINE)
    parts = getaddresses([contact])
    addresses = [address for _name, address in parts if "@" in address]
    shown = repr(contact[:60])
    if len(parts) > 1 and len(addresses) == 1:
        before, after = contact.split(",", 1)
        quoted = contact_line(f"{before.strip()}, {parseaddr(after)[0]}", addresses[0])
        raise InvalidTicket(f"contact {shown}: a name with a comma needs quotes: {quoted}")
    if len(addresses) > 1:
        raise InvalidTicket(
            f"contact {shown} holds {len(addresses)} addresses: give each one on its own"
        )
    if not EMAIL_RE.match(contact_address(contact)):
        raise InvalidTicket(f"contact {shown} is not an e-mail address")


def distinct_contacts(contacts: Iterable[str]) -> tuple[str, ...]:
    """Each address once (the first spelling kept), blanks dropped."""
    seen: dict[str, str] = {}
    for contact in contacts:
        if contact.strip():
            seen.setdefault(contact_address(contact) or contact.strip(), contact.strip())
    return tuple(seen.values())


def check_new_ticket(ticket: Ticket) -> Ticket:
    """`ticket` as it may be stored (its subject on one line), or InvalidTicket saying why.

    Checks types as well as values: an import hands over whatever a file held."""
    if ticket.key:
        _check_key("key", ticket.key)
    for name in ("merged_into", "follow_up_of"):
        if getattr(ticket, name) is not None:
            _check_key(name, getattr(ticket, name))
    if not isinstance(ticket.subject, str):
        raise InvalidTicket(f"subject must be text, not {_kind(ticket.subject)}")
    subject = " ".join(ticket.subject.split())
    if not subject:
        raise InvalidTicket("subject cannot be empty")
    if len(subject) > MAX_SUBJECT:
        raise InvalidTicket(f"subject is longer than {MAX_SUBJECT} characters")
    for name in _LINE_FIELDS:
        check_text(name, getattr(ticket, name), MAX_LINE)
    for name in _TEXT_FIELDS:
        check_text(name, getattr(ticket, name), MAX_BODY)
    email = ticket.requester_email
    if email and not EMAIL_RE.match(email):
        raise InvalidTicket(f"requester email {email[:80]!r} is not an address")
    for name, kind in _ENUM_FIELDS.items():
        if not isinstance(getattr(ticket, name), kind):
            raise InvalidTicket(f"{name} must be one of {', '.join(m.value for m in kind)}")
    if ticket.environment is not None and not isinstance(ticket.environment, Environment):
        raise InvalidTicket("environment must be production, uat or test")
    if not _is_int(ticket.tier) or ticket.tier not in TIERS:
        raise InvalidTicket(f"tier must be 1, 2 or 3, not {str(ticket.tier)[:40]}")
    if ticket.escalated_from_tier is not None and (
        not _is_int(ticket.escalated_from_tier) or ticket.escalated_from_tier not in TIERS
    ):
        raise InvalidTicket("escalated from tier must be 1, 2 or 3")
    users = ticket.affected_users
    if users is not None:
        if not _is_int(users):
            raise InvalidTicket("affected users must be a whole number")
        if users < 0:
            raise InvalidTicket("affected users cannot be negative")
        if users > MAX_AFFECTED_USERS:
            raise InvalidTicket(f"affected users cannot be more than {MAX_AFFECTED_USERS}")
    score = ticket.csat_score
    if score is not None and (not _is_int(score) or not 1 <= score <= 5):
        raise InvalidTicket("csat score must be 1 to 5")
    for name in ("watchers", "tags"):
        items = getattr(ticket, name)
        if not isinstance(items, tuple):
            raise InvalidTicket(f"{name} must be a list of names")
        for item in items:
            check_text(name, item, MAX_LINE)
    if not isinstance(ticket.contacts, tuple):
        raise InvalidTicket("contacts must be a list of addresses")
    for contact in ticket.contacts:
        check_contact(contact)
    for name in _TIME_FIELDS:
        required = name in ("created_at", "updated_at")
        check_instant(name, getattr(ticket, name), optional=not required)
    for pause in ticket.pauses:
        check_instant("pauses", pause.start)
        check_instant("pauses", pause.end, optional=True)
    return ticket if subject == ticket.subject else replace(ticket, subject=subject)


def check_text(name: str, value: object, limit: int) -> None:
    """Text (or nothing) of at most `limit` characters."""
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidTicket(f"{name.replace('_', ' ')} must be text, not {_kind(value)}")
    if len(value) > limit:
        raise InvalidTicket(f"{name.replace('_', ' ')} is longer than {limit} characters")


def check_instant(name: str, value: object, *, optional: bool = False) -> None:
    """A timezone-aware instant between EARLIEST and LATEST."""
    if value is None and optional:
        return
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidTicket(f"{name.replace('_', ' ')} must be a date and time with a timezone")
    if not EARLIEST <= value < LATEST:
        raise InvalidTicket(
            f"{name.replace('_', ' ')} {value.isoformat()} is outside "
            f"{EARLIEST.year} to {LATEST.year - 1}"
        )


def _check_key(name: str, value: object) -> None:
    # Stored keys are the canonical spelling: what a person types is parsed, not kept.
    if not isinstance(value, str) or len(value) > MAX_KEY or not KEY_RE.fullmatch(value):
        shown = repr(value)[:40] if isinstance(value, str) else _kind(value)
        raise InvalidTicket(f"{name.replace('_', ' ')} {shown} is not a ticket key like HD-1042")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


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
    contacts: tuple[str, ...] = ()
    """Other customers kept informed ("Name <address>"): the public replies and the
    resolution notice go to them too. A merge adds the duplicate's requester."""
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
        "contacts",
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
    merged_from: str | None = None
    """The key of the ticket this message was written on, when a merge moved it here."""
    minutes: int | None = None
    """Time the agent spent on the ticket for this reply or note, in whole minutes (1 to
    a week, domain/worktime.py); None: not recorded."""

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
    login: str | None = None
    """Who was signed in, where that is not the actor: an admin acting as another agent
    ("julia as ivan"), the owner of a database, the OS user of a local file."""

    @property
    def by(self) -> str:
        """The actor, and the login that acted for them where that was someone else."""
        if self.login and self.login != self.actor:
            return f"{self.login} as {self.actor}"
        return self.actor


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
    db_role: str | None = None
    """The database login this agent signs in with, where it is not named as the agent
    (PostgreSQL; a local file's agents sign in as its OS user)."""

    def may_hold(self, tier: int) -> bool:
        """Whether this agent may hold a ticket of `tier`: one of their tier or below;
        a lead or an admin any."""
        return self.tier >= tier or self.role is not Role.AGENT


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    description: str = ""


def _epoch() -> datetime:
    # A fixed placeholder, not the clock: the domain never reads the wall clock.
    return datetime(1970, 1, 1, tzinfo=UTC)
