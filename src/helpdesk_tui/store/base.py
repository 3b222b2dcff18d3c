"""The repository layer's one contract: what every backend (SQL, Request Tracker) offers.

Backends speak domain types only. Business rules (who may, which transition, which
SLA) are the service's; a store applies a change atomically with its audit entries
and refuses a change based on a stale version.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..domain.links import LinkKind, TicketLink
from ..domain.macros import SharedMacro
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
from ..domain.sla.policy import Policy
from ..domain.sla.urgency import Urgency


class SortKey(enum.StrEnum):
    SLA_DUE = "sla_due"
    PRIORITY = "priority"
    CREATED = "created"
    UPDATED = "updated"
    KEY = "key"
    URGENCY = "urgency"
    """Most urgent first (domain/sla/urgency.py): the service reads it class by class, as
    `urgency` filters sorted by PRIORITY; a store is never asked for this sort itself."""
    RELEVANCE = "relevance"
    """A search's best matches first, ranked by the search index itself (a store with
    RANKED_SEARCH); a query without search words cannot be sorted so (InvalidInput)."""


class Capability(enum.StrEnum):
    """What a backend can do beyond reading and writing tickets; the UI hides the rest.

    A backend without one raises `Unsupported` from what needs it, never pretends:
    ATTACHMENTS (`apply` with attachments, `attachment_path`), AGENTS_ADMIN (`save_agent`,
    `save_team`), PURGE (`purge`), BULK_IMPORT (`bulk_import`), ATOMIC_CLAIM (`claim_next`).
    """

    FULL_TEXT = "full_text"
    ATTACHMENTS = "attachments"
    CSAT = "csat"
    WATCHERS = "watchers"
    AGENTS_ADMIN = "agents_admin"
    PURGE = "purge"
    BULK_IMPORT = "bulk_import"
    LIVE_CHANGES = "live_changes"
    """`change_token` moves on every write: a poll can tell that something changed."""
    CHANGE_FEED = "change_feed"
    """`wait_for_changes` (the ChangeFeed protocol) wakes on another writer's change and
    names the tickets it touched; without it, the app polls `change_token`."""
    ATOMIC_CLAIM = "atomic_claim"
    """`claim_next` locks each candidate while it is taken: no two claims get one ticket."""
    KEEPS_CREATED = "keeps_created"
    """`create` keeps the `created_at` it is given (an import keeps its history's dates);
    without it the store stamps a new ticket with its own clock, as RT does."""
    RANKED_SEARCH = "ranked_search"
    """`query` sorts a search by RELEVANCE: the full-text index ranks and pages it."""
    MERGE = "merge"
    """`merge` moves a duplicate's messages and files into the ticket it repeats and
    writes both tickets' changes in one transaction."""
    LOGINS = "logins"
    """Each agent signs in to the store with a login of their own, and the store itself
    decides what that login may read and write (PostgreSQL roles and row-level security):
    `agent add` makes the login, `set_agent_password` sets its password."""
    MAIL = "mail"
    """The store keeps mail with its tickets (the `MailQueue` protocol): outgoing mail is
    queued in the write that causes it, incoming mail is taken in once."""
    PRESENCE = "presence"
    """Who else has a ticket open, and who is replying on it (`announce`, `open_presence`):
    messages that are never stored, each naming the agent the database signed in."""


class PresenceState(enum.StrEnum):
    VIEWING = "viewing"
    REPLYING = "replying"
    """Writing a reply or a note in the composer."""
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class Presence:
    """One announcement of another session: `agent` (as the store signed it in) views,
    replies on or left the ticket `key`. `ask`: it just opened the ticket, and whoever has
    it open answers with their own state at once."""

    agent: str
    key: str
    state: PresenceState
    ask: bool = False


class PresenceListener(Protocol):
    """Other sessions' announcements about one ticket, as they come (Capability.PRESENCE)."""

    def wait(self, timeout: float) -> list[Presence]:
        """Those that arrived, waiting at most `timeout` seconds for the first one."""
        ...

    def close(self) -> None: ...


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
    organization_like: str | None = None
    """Organizations whose name holds this text, in any case (`org:acme`)."""
    requester_like: str | None = None
    """Requesters whose name or e-mail address holds this text, in any case."""
    watcher: str | None = None
    escalations: frozenset[Escalation] = frozenset()
    due_before: datetime | None = None
    """SLA: the next target falls due before this instant (paused clocks never match)."""
    urgency: Urgency | None = None
    """SLA: only tickets in this urgency class at `as_of` (domain/sla/urgency.py)."""
    as_of: datetime | None = None
    """The instant `urgency` is judged at; the service sets it (its clock) on every query."""
    awaiting_first_response: bool = False
    """Only tickets no agent has answered yet (no first response)."""
    text: str | None = None
    """Full-text search over subject, description and comments; any input is safe."""
    created_after: datetime | None = None
    created_before: datetime | None = None
    closed_before: datetime | None = None
    sort: SortKey = SortKey.SLA_DUE
    descending: bool = False
    offset: int = 0
    limit: int = 50
    count_cap: int | None = None
    """Count at most this many matches (None: count them all). A list on screen asks
    for COUNT_CAP: past it nobody scrolls, and an exact count of most of a million
    tickets costs PostgreSQL more than the page. The page then says `capped`."""

    def page(self, offset: int, limit: int | None = None) -> Query:
        from dataclasses import replace

        return replace(self, offset=max(0, offset), limit=self.limit if limit is None else limit)


@dataclass(frozen=True, slots=True)
class TimeSpent:
    """The minutes recorded on replies and notes written in a period, summed three ways:
    by who wrote them, by their ticket's organization now (None: none), and by its type."""

    by_agent: Mapping[str, int] = field(default_factory=dict)
    by_organization: Mapping[str | None, int] = field(default_factory=dict)
    by_type: Mapping[TicketType, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_agent.values())


@dataclass(frozen=True, slots=True)
class Login:
    """Who the store itself authenticated: a PostgreSQL role, an RT token's user, the
    OS user who owns a SQLite file."""

    name: str
    agent: str | None
    """The agent this login is; None where no agent maps to it (a superuser, the owner of
    the database, the OS user of a local file)."""
    acts_for_others: bool
    """May act as another agent, every write then recording both names ("julia as
    ivan"): an admin's login, the database's owner, a local file's OS user."""


@dataclass(frozen=True, slots=True)
class AdminRecord:
    """Who changed an agent or a team, when, and what it read before and after: written
    to the audit log with the change, in the same transaction (field "agent:<name>" or
    "team:<name>", no ticket)."""

    actor: str
    at: datetime
    field: str
    old: str | None
    new: str


COUNT_CAP = 10_000
"""Lists on screen count up to this many tickets and then say "10,000+"."""
SEARCH_COUNT_CAP = 1_000
"""A search on screen counts up to this many matches and then says "1,000+": nobody
reads a thousand hits (they add a word), and past it a count costs PostgreSQL a visit
to every matching row, more than ranking the page (docs/performance.md)."""


def list_count_cap(query: Query) -> int:
    """How far a list on screen counts `query`'s tickets: a search (words to match) to
    SEARCH_COUNT_CAP, any other list to COUNT_CAP."""
    return SEARCH_COUNT_CAP if query.text and query.text.strip() else COUNT_CAP


MENTIONS_LOOKED_AT = 500
"""`unanswered_mentions` looks at this many of the latest notes that called an agent in:
its cost stays the same however long the history grows."""


@dataclass(frozen=True, slots=True)
class Page:
    tickets: list[Ticket]
    total: int
    offset: int
    limit: int
    capped: bool = False
    """More than `total` tickets match: the query's `count_cap` stopped the count."""


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
    """Files (each at most MAX_ATTACHMENT_BYTES) that go with `comment`. A store that keeps
    files in messages (RT) refuses them without a comment (InvalidInput, nothing written)."""
    events: Sequence[tuple[str, str | None]] = ()
    """(event name, detail) pairs written to the audit log as extra entries."""
    mail: Sequence[MailRecord] = ()
    """Mail queued or taken in with this change, in the same transaction (MailQueue
    stores only; the service never sets it for the others)."""


class MailDirection(enum.StrEnum):
    OUT = "out"
    IN = "in"


class MailState(enum.StrEnum):
    QUEUED = "queued"
    """Outgoing, not sent yet (a failed attempt waits here for its retry)."""
    SENT = "sent"
    FAILED = "failed"
    """Outgoing, given up on after its last attempt; the reason is kept."""
    RECEIVED = "received"
    """Incoming: taken in once (its Message-ID is remembered)."""


@dataclass(frozen=True, slots=True)
class MailRecord:
    """A message to or from a ticket's requester, written with the change that caused it.

    Outgoing mail is queued, not sent: a delivery step composes it from the templates
    and sends it later, so a write never waits on a mail server and a crash between the
    two loses nothing. An incoming message's `message_id` is kept unique: the same mail
    is never taken in twice (DuplicateMail), even by two fetches at once.
    """

    direction: MailDirection
    kind: str
    address: str
    """The recipient (outgoing) or the sender (incoming)."""
    body: str = ""
    """Outgoing: the agent's text the template wraps (a reply); empty for the others."""
    params: Mapping[str, str] = field(default_factory=dict)
    """Template values fixed when the mail is queued (a reminder's number, ...)."""
    subject: str = ""
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class MailEntry:
    """A MailRecord as stored, with its delivery state."""

    id: int
    ticket_key: str
    direction: MailDirection
    kind: str
    address: str
    body: str
    params: Mapping[str, str]
    subject: str
    message_id: str | None
    state: MailState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


REFUSED = "refused:"
"""The audit entry of a refused action is named "refused:<action>" ("refused:assign")."""


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


class StoreRefused(StoreError):
    """The store's own rights refused the signed-in login (a PostgreSQL role's grants or
    row-level security). Nothing was written."""


class InvalidInput(StoreError):
    """The backend refused a value (too large, malformed)."""


class Unsupported(StoreError):
    """The backend cannot do this at all: its `capabilities` lack what it needs."""


class DuplicateMail(StoreError):
    """An incoming message whose Message-ID was taken in before. Nothing was written."""


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

    def claim_next(self, query: Query, claim: Callable[[Ticket], Change | None]) -> Ticket | None:
        """Take the first ticket of `query` (its filters and sort) that `claim` accepts.

        Each candidate is locked, and `claim` called with it as it now is; the Change it
        returns (based on that version, without attachments) is applied as `apply` would,
        in the same transaction; None from `claim` moves on to the next candidate.
        Concurrent claims never get the same ticket and never fail with a conflict.
        Returns the claimed ticket, or None when no candidate was accepted. Only stores
        with Capability.ATOMIC_CLAIM; the others raise Unsupported.
        """
        ...

    def authenticated_login(self) -> Login | None:
        """Who the store itself authenticated; None for a store that takes the agent's
        name as given (an in-memory database)."""
        ...

    def merge(self, source: Change, target: Change) -> tuple[Ticket, Ticket]:
        """Move every comment and file of `source.key` to `target.key` and apply both
        changes, in one transaction; ConflictError (nothing written) if either is stale.
        Capability.MERGE only."""
        ...

    def shared_macros(self) -> list[SharedMacro]:
        """The macros kept in the store (everybody's and each team's); Unsupported on RT."""
        ...

    def save_shared_macro(self, macro: SharedMacro, record: AdminRecord) -> None:
        """Keep a macro in the store, replacing the one of its name and team."""
        ...

    def remove_shared_macro(self, name: str, team: str, record: AdminRecord) -> bool:
        """Remove a macro kept in the store; whether there was one."""
        ...

    def mentions(
        self, username: str, since: datetime | None = None, limit: int = 50
    ) -> list[AuditEntry]:
        """The notes that called `username` in (the "mention" history entries naming
        them), newest first; only those after `since` when given. Unsupported on a store
        that cannot find them without reading every ticket's history (RT)."""
        ...

    def unanswered_mentions(
        self, username: str, organizations: frozenset[str] | None = None, cap: int = COUNT_CAP
    ) -> int:
        """How many of the latest MENTIONS_LOOKED_AT notes that called `username` in
        (someone else's "mention" entries naming them) are on a ticket still open that
        `username` has written nothing on since (no history entry of theirs after it);
        tickets of `organizations` only (None: every organization, as in Query). Counts at
        most `cap` + 1 (more than `cap`). Unsupported where `mentions` is (RT)."""
        ...

    def entries_by(self, actor: str, since: datetime, limit: int = 500) -> list[AuditEntry]:
        """The history entries `actor` wrote on tickets at or after `since`, newest first,
        at most `limit` (a handover's "what I touched"). Read through the tickets changed
        since then, so the cost follows the period's writes, not the whole history;
        Unsupported on a store that cannot find them without reading every ticket's
        history (RT)."""
        ...

    def links(self, key: str) -> list[TicketLink]:
        """The ticket's links to other tickets, both ways (merges included)."""
        ...

    def add_link(self, link: TicketLink, actor: str, at: datetime) -> None:
        """Link two tickets, audited on both; InvalidInput if they are linked already.
        Neither ticket's version changes: a link is not a field of either."""
        ...

    def remove_link(self, link: TicketLink, actor: str, at: datetime) -> None:
        """Remove a link made with `add_link`; InvalidInput if there is no such link."""
        ...

    def announce(self, key: str, state: PresenceState, *, ask: bool = False) -> None:
        """Tell whoever has `key` open that the signed-in agent views it, replies on it or
        left it. The store names the agent from its own login, never from the caller.
        Capability.PRESENCE only; nothing is stored."""
        ...

    def open_presence(self, key: str) -> PresenceListener:
        """Listen to other sessions' announcements about `key` (on a connection of its
        own: close it). Capability.PRESENCE only."""
        ...

    def sign_as(self, login: str, agent: str) -> None:
        """Record `login` with every history entry `agent` writes from now on, where the
        store does not know who is signed in (a local file: its OS user)."""
        ...

    def unsigned(self) -> AbstractContextManager[None]:
        """Inside it, `sign_as` records no login (the demo's stories are its agents')."""
        ...

    def set_agent_password(
        self, username: str, password: str, record: AdminRecord | None = None
    ) -> None:
        """Set the password of `username`'s own login, with `record` audited
        (Capability.LOGINS only)."""
        ...

    def record_refusal(
        self, actor: str, action: str, key: str | None, reason: str, at: datetime
    ) -> None:
        """Audit a refused action as a "refused:<action>" entry of ticket `key` (None: an
        action on no ticket). Its own write: the refused change itself never happened."""
        ...

    def comments(self, key: str) -> list[Comment]: ...

    def time_spent(
        self, since: datetime, until: datetime, organizations: frozenset[str] | None = None
    ) -> TimeSpent:
        """The minutes of the replies and notes written in [since, until), summed by
        author, by ticket organization and by ticket type; only tickets of
        `organizations` (None: every organization, as `Query.organizations`)."""
        ...

    def history(self, key: str) -> list[AuditEntry]: ...

    def attachment_path(self, key: str, attachment_id: int) -> Path:
        """A local file holding one of the ticket's attachments (a remote store downloads it
        first, into a folder only its user can read); NotFound if it is not this ticket's."""
        ...

    def agents(self) -> list[Agent]: ...

    def get_agent(self, username: str) -> Agent: ...

    def save_agent(self, agent: Agent, record: AdminRecord | None = None) -> Agent:
        """Insert or replace an agent; `record`, when given, is audited in the same write."""
        ...

    def teams(self) -> list[Team]: ...

    def save_team(self, team: Team, record: AdminRecord | None = None) -> Team: ...

    def admin_history(self, limit: int = 200) -> list[AuditEntry]:
        """The changes to agents and teams (AdminRecord), newest first."""
        ...

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


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What a change feed saw: the token to wait from next, and what changed before it."""

    token: str
    keys: frozenset[str] | None = frozenset()
    """Keys of the tickets written since the token waited from; empty: nothing changed;
    None: something changed, but which tickets is not known (re-read everything shown)."""

    @property
    def changed(self) -> bool:
        return self.keys is None or bool(self.keys)


@runtime_checkable
class ChangeFeed(Protocol):
    """A store that can wait for other writers' changes (Capability.CHANGE_FEED).

    Apart from TicketRepository so that a backend without it still is one: the app
    wraps those in `store.sql.live.PollingFeed`, which polls `change_token`."""

    def wait_for_changes(self, token: str | None, timeout: float) -> ChangeSet:
        """Block until something changed after `token`, or `timeout` seconds passed.

        `token` None returns at once with the current token (and no change): the
        starting point. Thread-safe; meant for one waiting thread per process.
        """
        ...


@runtime_checkable
class MailQueue(Protocol):
    """A store that keeps mail with its tickets (Capability.MAIL): `create` and `apply`
    write the MailRecords they are given in the same transaction as the ticket, and the
    delivery step works the outgoing queue through the methods below. Each of those
    writes a history entry on the ticket ("mail:sent", "mail:failed", ...) without
    changing the ticket's version: delivery never makes an agent's edit a conflict."""

    def create(
        self,
        ticket: Ticket,
        actor: str,
        comment: Comment | None = None,
        *,
        attachments: Sequence[NewAttachment] = (),
        mail: Sequence[MailRecord] = (),
    ) -> Ticket:
        """`TicketRepository.create`, with files for the first comment and mail."""
        ...

    def mail_due(self, now: datetime, limit: int = 100) -> list[MailEntry]:
        """Queued outgoing mail whose next attempt is due and that nobody holds, oldest
        first."""
        ...

    def claim_mail(self, mail_id: int, now: datetime, until: datetime) -> MailEntry | None:
        """Hold a due message until `until` and count the attempt; None if it is no longer
        due or another sender holds it. Of two senders, one gets it."""
        ...

    def mail_sent(self, mail_id: int, at: datetime, message_id: str, subject: str) -> None:
        """The held message went out as `message_id`."""
        ...

    def mail_failed(
        self, mail_id: int, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        """The attempt failed: retry at `retry_at`, or give up (None)."""
        ...

    def mail_log(self, key: str) -> list[MailEntry]:
        """Every message to and from the ticket, oldest first."""
        ...

    def mail_seen(self, message_id: str) -> str | None:
        """The key of the ticket that took in this incoming Message-ID, if one did."""
        ...


@dataclass(frozen=True, slots=True)
class ArchivedFile:
    """A file of an archived comment, as `TicketArchive.restore` stores it: its bytes in a
    local file (`path`), and the size and SHA-256 the archive declared for them (the
    store checks both, and refuses a file over MAX_ATTACHMENT_BYTES)."""

    filename: str
    path: Path
    size: int
    sha256: str
    content_type: str = "application/octet-stream"
    uploaded_by: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """A link as the ticket at its source keeps it: the kind, the other ticket, and who
    made it when (None where the store cannot tell)."""

    kind: LinkKind
    target: str
    created_by: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ArchivedTicket:
    """One ticket with all it holds, for `TicketArchive.restore`: the ticket (its key,
    version and SLA columns kept), its comments in order each with its files, the links
    it is the source of, and its history entries exactly as they were written."""

    ticket: Ticket
    comments: Sequence[tuple[Comment, Sequence[ArchivedFile]]] = ()
    links: Sequence[LinkRecord] = ()
    history: Sequence[AuditEntry] = ()


@runtime_checkable
class TicketArchive(Protocol):
    """A store that restores what a lossless export holds (SQL stores: Capability.BULK_IMPORT
    and this protocol). Apart from TicketRepository, as MailQueue is: RT has neither."""

    def link_records(self, key: str) -> list[LinkRecord]:
        """The links whose source is `key`, oldest first, with who made them when."""
        ...

    def restore(
        self, tickets: Iterable[ArchivedTicket], *, update: bool, actor: str, at: datetime
    ) -> int:
        """Store every ticket in one transaction, all or nothing; returns how many.

        A new key is inserted as archived: fields, version, comments with their authors
        and times, files, links and history, and no entry of its own in any ticket's
        history; the import itself is one audit entry of no ticket ("import", by `actor`
        at `at`). A key the store has is refused (InvalidInput naming it) unless `update`:
        then its fields are set to the archived ones (an "import" history entry per field
        that changes, the version one past the higher of the two), the comments it does
        not have (same kind, author, time and text) are appended with their files, and the
        links it lacks are added. Links are made once every ticket is in; one to a key
        that is neither imported nor stored is InvalidInput naming both keys."""
        ...


def ticket_archive(repo: TicketRepository) -> TicketArchive | None:
    """`repo` as a TicketArchive, or None for a store that cannot restore one (RT)."""
    if Capability.BULK_IMPORT in repo.capabilities and isinstance(repo, TicketArchive):
        return repo
    return None


def mail_queue(repo: TicketRepository) -> MailQueue | None:
    """`repo` as a MailQueue, or None for a store that does not keep mail (RT sends its own)."""
    if Capability.MAIL in repo.capabilities and isinstance(repo, MailQueue):
        return repo
    return None


# -- reports aggregated by the store ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortRequest:
    """What `ReportAggregates.cohort_figures` sums: the tickets created in
    [scan_since, until) of `organizations` (None: all), SLA clocks judged at `now` under
    `policy`; the period is [since, until), the trend `weeks` 7-day buckets ending at
    `trend_end`; `worst` breaches of the period are named. The open tickets (all of
    them, now) are counted by tier and age: `ages` are the bounds between the age
    buckets, youngest first (a ticket younger than ages[0] is in bucket 0)."""

    since: datetime
    until: datetime
    scan_since: datetime
    trend_end: datetime
    weeks: int
    now: datetime
    policy: Policy
    organizations: frozenset[str] | None = None
    worst: int = 10
    ages: tuple[timedelta, ...] = ()


@dataclass(frozen=True, slots=True)
class CohortCount:
    """Tickets of one group of a cohort. `week` is the trend bucket (0 the oldest) for a
    trend row, None for a row of the period's tickets (grouped by the other keys). The
    SLA counts are (met, breached, running) of the first-response and resolution
    targets; cancelled tickets have none, and only period rows count `resolved`."""

    week: int | None
    cancelled: bool
    csat: int | None
    tickets: int
    priority: Priority | None = None
    tier: int | None = None
    assignee: str | None = None
    agreement: str | None = None
    resolved: int = 0
    first_response: tuple[int, int, int] = (0, 0, 0)
    resolution: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True, slots=True)
class CohortTimes:
    """Calendar seconds from creation to the first response or the resolution of the
    period's tickets (`agent` None with `overall`: all of them): how many, the median
    and the nearest-rank 90th percentile."""

    overall: bool
    agent: str | None
    kind: str
    """"first_response" or "resolution"."""
    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class CohortFigures:
    counts: list[CohortCount]
    times: list[CohortTimes]
    breaches: list[Ticket]
    """The tickets holding the period's most overdue breaches (ties at the last place
    and a few more included, in no order): the caller evaluates and ranks them."""
    backlog: dict[tuple[int, int], int] = field(default_factory=dict)
    """Open tickets now by (tier, age bucket)."""


@runtime_checkable
class ReportAggregates(Protocol):
    """A store that sums a report's cohort itself (SQL); reporting reads every ticket
    of the period from a store without it (RT)."""

    def cohort_figures(self, request: CohortRequest) -> CohortFigures | None:
        """The cohort's counts, times and worst breaches; None where this store cannot
        express `request.policy` (reporting then reads the tickets itself)."""
        ...


def report_aggregates(repo: TicketRepository) -> ReportAggregates | None:
    """`repo` as ReportAggregates, or None for a store that cannot sum a report."""
    return repo if isinstance(repo, ReportAggregates) else None
