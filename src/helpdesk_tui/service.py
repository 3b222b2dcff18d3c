"""Use cases: the one way in for the TUI, the command line and the tests.

Each use case checks access and lifecycle rules, derives what follows from the
change (timestamps, SLA pauses, the SLA due columns), and hands the store one
atomic `Change`; the store writes it with its audit entries or refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from .domain import escalation, lifecycle, sla
from .domain.access import AccessDenied, Action, can, require
from .domain.escalation import EscalationError, ReviewDecision
from .domain.lifecycle import TransitionError
from .domain.model import (
    ACTIVE_STATUSES,
    MAX_ATTACHMENT_BYTES,
    TIERS,
    Agent,
    AuditEntry,
    Channel,
    Comment,
    CommentKind,
    Environment,
    Escalation,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    TicketType,
)
from .domain.sla import BreachAction, Policy, TargetStatus
from .store.base import (
    Change,
    ConflictError,
    NewAttachment,
    NotFound,
    Page,
    Query,
    SortKey,
    StoreError,
    TicketRepository,
)

Clock = Callable[[], datetime]

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_SUBJECT = 250
MAX_BODY = 1_000_000


class ServiceError(ValueError):
    """A request refused by a rule; the message is one line for people."""


# Re-exported so callers catch one family without knowing which ring refused.
__all__ = [
    "AccessDenied",
    "ConflictError",
    "EscalationError",
    "HelpdeskService",
    "NotFound",
    "ServiceError",
    "StoreError",
    "TransitionError",
]


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """What a new ticket needs; validated by `HelpdeskService.create`."""

    subject: str
    description: str = ""
    type: TicketType = TicketType.INCIDENT
    priority: Priority = Priority.MEDIUM
    tier: int = 1
    requester_name: str = ""
    requester_email: str = ""
    organization: str | None = None
    channel: Channel = Channel.PORTAL
    environment: Environment | None = None
    impact: str = ""
    affected_users: int | None = None
    integration: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    language: str = "en"
    assignee: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class SweepResult:
    evaluated: int
    breached: list[tuple[str, str]]
    at_risk: list[tuple[str, str]]
    escalated: list[str]


class HelpdeskService:
    """Everything an agent can do, on behalf of `agent`, against one repository."""

    def __init__(self, repo: TicketRepository, policy: Policy, clock: Clock, agent: Agent) -> None:
        self.repo = repo
        self.policy = policy
        self.clock = clock
        self.me = agent

    # ----------------------------------------------------------------- reading

    def get(self, key: str) -> Ticket:
        ticket = self.repo.get(key)
        require(self.me, Action.VIEW, ticket)
        return ticket

    def query(self, query: Query) -> Page:
        return self.repo.query(self._scoped(query))

    def count(self, query: Query) -> int:
        return self.repo.count(self._scoped(query))

    def _scoped(self, query: Query) -> Query:
        # Agents see the organizations they serve; leads and admins with none listed see all.
        if self.me.organizations and self.me.role is not Role.ADMIN:
            allowed = frozenset(self.me.organizations)
            wanted = allowed if query.organizations is None else query.organizations & allowed
            return replace(query, organizations=wanted)
        return query

    def sla(self, ticket: Ticket, now: datetime | None = None) -> list[TargetStatus]:
        return sla.evaluate(ticket, self.policy, now or self.clock())

    def conversation(self, key: str) -> list[Comment]:
        self.get(key)
        return self.repo.comments(key)

    def history(self, key: str) -> list[AuditEntry]:
        self.get(key)
        return self.repo.history(key)

    def agents(self) -> list[Agent]:
        return self.repo.agents()

    # ----------------------------------------------------------------- writing

    def create(self, draft: TicketDraft, *, first_comment: str | None = None) -> Ticket:
        """Open a new ticket; the store gives it its key. Validation changes nothing."""
        require(self.me, Action.CREATE)
        subject = _clean_line(draft.subject, "subject", MAX_SUBJECT)
        if draft.requester_email and not EMAIL_RE.match(draft.requester_email):
            raise ServiceError(f"requester email {draft.requester_email!r} is not an address")
        if draft.tier not in TIERS:
            raise ServiceError(f"tier must be 1, 2 or 3, not {draft.tier}")
        if draft.affected_users is not None and draft.affected_users < 0:
            raise ServiceError("affected users cannot be negative")
        if len(draft.description) > MAX_BODY:
            raise ServiceError(f"description is longer than {MAX_BODY} characters")
        if draft.assignee:
            self._agent(draft.assignee)
        now = self.clock()
        ticket = Ticket(
            key="",
            subject=subject,
            description=draft.description,
            type=draft.type,
            priority=draft.priority,
            tier=draft.tier,
            requester_name=draft.requester_name.strip(),
            requester_email=draft.requester_email.strip(),
            organization=draft.organization or None,
            channel=draft.channel,
            environment=draft.environment,
            impact=draft.impact,
            affected_users=draft.affected_users,
            integration=draft.integration or None,
            category=draft.category or None,
            tags=tuple(dict.fromkeys(t.strip() for t in draft.tags if t.strip())),
            language=draft.language,
            assignee=draft.assignee or None,
            team=draft.team or None,
            created_at=now,
            updated_at=now,
        )
        ticket = _with_sla_columns(ticket, self.policy)
        comment = None
        if first_comment:
            comment = Comment(CommentKind.NOTE, self.me.username, first_comment, now)
        return self.repo.create(ticket, self.me.username, comment)

    def update(
        self,
        key: str,
        base_version: int,
        *,
        reason: str | None = None,
        **fields: object,
    ) -> Ticket:
        """Change plain fields (priority, type, subject, category, ...). Status, tier,
        assignee and escalation have use cases of their own with their own rules."""
        guarded = {"status", "tier", "assignee", "escalation", "watchers"} & fields.keys()
        if guarded:
            raise ServiceError(
                f"use the {sorted(guarded)[0]} action to change {', '.join(sorted(guarded))}"
            )
        ticket = self._for(Action.UPDATE, key)
        if "subject" in fields:
            fields["subject"] = _clean_line(str(fields["subject"]), "subject", MAX_SUBJECT)
        if "csat_score" in fields:
            raise ServiceError("use record_csat to record satisfaction")
        return self._write(ticket, base_version, fields, reason=reason)

    def set_status(
        self, key: str, base_version: int, status: Status, reason: str | None = None
    ) -> Ticket:
        ticket = self._for(Action.UPDATE, key)
        lifecycle.check_transition(ticket, status, reason)
        return self._write(
            ticket, base_version, lifecycle.status_fields(ticket, status, self.clock()), reason
        )

    def reply(
        self,
        key: str,
        base_version: int,
        body: str,
        *,
        status: Status | None = None,
        attachments: Sequence[Path] = (),
    ) -> Ticket:
        """A public reply to the customer. The first one is the first response and opens
        a new ticket; `status` moves it in the same write (e.g. to pending or resolved)."""
        return self._comment(key, base_version, CommentKind.REPLY, body, status, attachments)

    def note(
        self, key: str, base_version: int, body: str, *, attachments: Sequence[Path] = ()
    ) -> Ticket:
        """An internal note: never goes to the customer, stops no SLA clock."""
        return self._comment(key, base_version, CommentKind.NOTE, body, None, attachments)

    def attach(self, key: str, base_version: int, path: Path, note: str = "") -> Ticket:
        return self.note(key, base_version, note or f"Attached {path.name}", attachments=[path])

    def customer_reply(self, key: str, body: str, author: str | None = None) -> Ticket:
        """What the requester wrote (mail, portal). Reopens pending and resolved tickets."""
        ticket = self.repo.get(key)
        if ticket.status.is_final:
            raise TransitionError(
                f"{key} is {ticket.status.label}: a new message opens a follow-up ticket"
            )
        now = self.clock()
        fields: dict[str, object] = {"last_customer_reply_at": now}
        if ticket.status in (Status.PENDING, Status.RESOLVED):
            fields.update(lifecycle.status_fields(ticket, Status.OPEN, now))
        comment = Comment(
            CommentKind.REPLY,
            author or ticket.requester_email or ticket.requester_name or "customer",
            _clean_body(body),
            now,
            from_customer=True,
        )
        return self._write(ticket, ticket.version, fields, None, comment=comment)

    def assign(self, key: str, base_version: int, assignee: str | None) -> Ticket:
        ticket = self.repo.get(key)
        if assignee == self.me.username and ticket.assignee in (None, self.me.username):
            require(self.me, Action.TAKE, ticket)
        else:
            require(self.me, Action.ASSIGN, ticket)
        if assignee is not None:
            agent = self._agent(assignee)
            if agent.tier < ticket.tier and agent.role is Role.AGENT:
                raise ServiceError(
                    f"{assignee} is tier {agent.tier}; {key} needs tier {ticket.tier} or a lead"
                )
        return self._write(ticket, base_version, {"assignee": assignee})

    def take(self, key: str, base_version: int) -> Ticket:
        return self.assign(key, base_version, self.me.username)

    def take_next(self, rounds: int = 5, candidates: int = 10) -> Ticket | None:
        """Assign me the most urgent unassigned ticket of my tier; None when there is none.

        Safe with many agents at once: each take is a write based on the version read,
        so of two agents reaching for the same ticket the store lets exactly one win and
        the other moves on to the next candidate. It works the same on every backend.
        """
        query = Query(
            statuses=ACTIVE_STATUSES,
            unassigned=True,
            tiers=frozenset({self.me.tier}),
            sort=SortKey.SLA_DUE,
            limit=candidates,
        )
        for _ in range(rounds):
            page = self.query(query)
            if not page.tickets:
                return None
            for ticket in page.tickets:
                try:
                    if ticket.escalation is Escalation.AWAITING_TIER:
                        return self.decide(ticket.key, ticket.version, ReviewDecision.ACCEPT)
                    return self.assign(ticket.key, ticket.version, self.me.username)
                except (ConflictError, AccessDenied, ServiceError):
                    continue  # taken (or changed) by someone else meanwhile: next one
        return None

    def watch(self, key: str, base_version: int, on: bool = True) -> Ticket:
        ticket = self._for(Action.VIEW, key)
        watchers = [w for w in ticket.watchers if w != self.me.username]
        if on:
            watchers.append(self.me.username)
        return self._write(ticket, base_version, {"watchers": tuple(watchers)})

    def escalate(self, key: str, base_version: int, to_tier: int, reason: str | None) -> Ticket:
        ticket = self._for(Action.ESCALATE, key)
        fields = escalation.change_tier(ticket, to_tier, reason, self.me.username, self.clock())
        return self._write(ticket, base_version, fields, reason)

    def request_review(self, key: str, base_version: int, reason: str | None) -> Ticket:
        ticket = self._for(Action.ESCALATE, key)
        fields = escalation.request_review(ticket, reason, self.me.username, self.clock())
        return self._write(ticket, base_version, fields, reason)

    def decide(
        self,
        key: str,
        base_version: int,
        decision: ReviewDecision,
        reason: str | None = None,
        assignee: str | None = None,
    ) -> Ticket:
        """Accept, reassign or decline an escalation waiting for a tier or a lead."""
        ticket = self.repo.get(key)
        action = (
            Action.DECIDE_REVIEW
            if ticket.escalation is Escalation.AWAITING_LEAD
            else Action.ACCEPT_ESCALATION
        )
        if decision is not ReviewDecision.ACCEPT and action is Action.ACCEPT_ESCALATION:
            action = Action.ASSIGN if decision is ReviewDecision.REASSIGN else action
        require(self.me, action, ticket)
        if assignee:
            self._agent(assignee)
        fields = escalation.decide(ticket, decision, self.me.username, reason, assignee)
        why = reason or decision.value
        return self._write(
            ticket, base_version, fields, why, events=[(f"decision:{decision.value}", why)]
        )

    def record_csat(
        self, key: str, base_version: int, score: int, comment: str | None = None
    ) -> Ticket:
        ticket = self.repo.get(key)
        require(self.me, Action.VIEW, ticket)
        if not 1 <= score <= 5:
            raise ServiceError(f"satisfaction is a score from 1 to 5, not {score}")
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):
            raise ServiceError(f"{key} is {ticket.status.label}: CSAT is asked on resolution")
        fields: dict[str, object] = {"csat_score": score, "csat_comment": comment or None}
        return self._write(ticket, base_version, fields)

    # -------------------------------------------------------------- operations

    def sweep(self, page_size: int = 500) -> SweepResult:
        """Evaluate every active ticket's SLA and apply the policy's breach rules once.

        Idempotent: what was acted on is remembered in `sla_flags`, so running it every
        minute from cron acts on each at-risk or breach event exactly once.
        """
        now = self.clock()
        query = Query(statuses=ACTIVE_STATUSES, sort=SortKey.KEY, limit=page_size)
        evaluated = 0
        breached: list[tuple[str, str]] = []
        at_risk: list[tuple[str, str]] = []
        escalated: list[str] = []
        # Keys first, then each ticket fresh: the sweep's own writes must not shift pages.
        keys = [t.key for t in iter_all(self.repo, query, page_size)]
        for key in keys:
            ticket = self.repo.get(key)
            evaluated += 1
            for status in sla.evaluate(ticket, self.policy, now):
                event = _sla_event(status)
                if event is None:
                    continue
                flag = f"{status.kind.value}:{event}"
                if flag in ticket.sla_flags:
                    continue
                (breached if event == "breached" else at_risk).append((key, status.kind.value))
                fields: dict[str, object] = {"sla_flags": (*ticket.sla_flags, flag)}
                action = self.policy.action_for(ticket.priority, event)
                reason = f"SLA {status.kind.label} {event.replace('_', ' ')}"
                if action is not None:
                    fields.update(self._breach_fields(ticket, action, reason, now))
                    if "escalation" in fields:
                        escalated.append(key)
                try:
                    ticket = self._write(
                        ticket,
                        ticket.version,
                        fields,
                        reason,
                        events=[(f"sla:{event}:{status.kind.value}", str(action or "recorded"))],
                    )
                except ConflictError:
                    # Somebody changed it meanwhile; the next sweep looks again.
                    break
        return SweepResult(evaluated, breached, at_risk, escalated)

    def _breach_fields(
        self, ticket: Ticket, action: BreachAction, reason: str, now: datetime
    ) -> dict[str, object]:
        if action.verb != "escalate" or not ticket.status.is_active:
            return {}
        if action.target == "lead":
            if ticket.escalation is Escalation.AWAITING_LEAD:
                return {}
            return escalation.request_review(ticket, reason, "sla-sweep", now)
        if action.tier is None or action.tier <= ticket.tier:
            return {}
        return escalation.change_tier(ticket, action.tier, reason, "sla-sweep", now)

    def purge(self, older_than: timedelta, dry_run: bool = True) -> list[str]:
        require(self.me, Action.PURGE)
        now = self.clock()
        return self.repo.purge(now - older_than, self.me.username, now, dry_run)

    def import_tickets(self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]) -> int:
        """Bulk import, all or nothing (the store's one-transaction path)."""
        require(self.me, Action.IMPORT)
        return self.repo.bulk_import(tickets)

    def save_agent(self, agent: Agent) -> Agent:
        require(self.me, Action.MANAGE_AGENTS)
        if agent.tier not in TIERS:
            raise ServiceError(f"tier must be 1, 2 or 3, not {agent.tier}")
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", agent.username):
            raise ServiceError(f"username {agent.username!r}: letters, digits, . _ - only")
        return self.repo.save_agent(agent)

    def save_team(self, team: Team) -> Team:
        require(self.me, Action.MANAGE_AGENTS)
        return self.repo.save_team(team)

    # ---------------------------------------------------------------- internals

    def _for(self, action: Action, key: str) -> Ticket:
        ticket = self.repo.get(key)
        require(self.me, action, ticket)
        return ticket

    def _agent(self, username: str) -> Agent:
        try:
            agent = self.repo.get_agent(username)
        except NotFound:
            raise ServiceError(f"no agent called {username!r}") from None
        if not agent.active:
            raise ServiceError(f"{username} is deactivated")
        return agent

    def _comment(
        self,
        key: str,
        base_version: int,
        kind: CommentKind,
        body: str,
        status: Status | None,
        attachments: Sequence[Path],
    ) -> Ticket:
        ticket = self._for(Action.COMMENT, key)
        text = _clean_body(body)
        files = [_attachment(path) for path in attachments]
        now = self.clock()
        fields: dict[str, object] = {}
        if kind is CommentKind.REPLY:
            fields["last_public_update_at"] = now
            if ticket.first_response_at is None:
                fields["first_response_at"] = now
            if status is None and ticket.status is Status.NEW:
                status = Status.OPEN
        if status is not None and status is not ticket.status:
            if not can(self.me, Action.UPDATE, ticket):
                require(self.me, Action.UPDATE, ticket)
            lifecycle.check_transition(
                ticket, status, reason=None, replying=kind is CommentKind.REPLY
            )
            fields.update(lifecycle.status_fields(ticket, status, now))
        comment = Comment(kind, self.me.username, text, now)
        return self._write(ticket, base_version, fields, None, comment=comment, files=files)

    def _write(
        self,
        ticket: Ticket,
        base_version: int,
        fields: Mapping[str, object],
        reason: str | None = None,
        *,
        comment: Comment | None = None,
        files: Sequence[NewAttachment] = (),
        events: Sequence[tuple[str, str | None]] = (),
    ) -> Ticket:
        changed = {k: v for k, v in fields.items() if getattr(ticket, k) != v}
        after = _with_sla_columns(ticket.with_changes(**changed), self.policy)
        for column in ("sla_due_at", "sla_risk_at"):
            if getattr(after, column) != getattr(ticket, column):
                changed[column] = getattr(after, column)
        if not changed and comment is None and not events:
            return ticket
        change = Change(
            key=ticket.key,
            base_version=base_version,
            actor=self.me.username,
            at=self.clock(),
            fields=changed,
            reason=reason,
            comment=comment,
            attachments=files,
            events=events,
        )
        return self.repo.apply(change)


def _sla_event(status: TargetStatus) -> str | None:
    if status.state is sla.ClockState.BREACHED and status.stopped_at is None:
        return "breached"
    if status.state is sla.ClockState.RUNNING and status.at_risk:
        return "at_risk"
    return None


def _with_sla_columns(ticket: Ticket, policy: Policy) -> Ticket:
    due, risk = sla.sla_columns(ticket, policy)
    if due == ticket.sla_due_at and risk == ticket.sla_risk_at:
        return ticket
    return ticket.with_changes(sla_due_at=due, sla_risk_at=risk)


def _clean_line(text: str, what: str, limit: int) -> str:
    line = " ".join(text.split())
    if not line:
        raise ServiceError(f"{what} cannot be empty")
    if len(line) > limit:
        raise ServiceError(f"{what} is longer than {limit} characters")
    return line


def _clean_body(text: str) -> str:
    body = text.strip("\n")
    if not body.strip():
        raise ServiceError("the message is empty")
    if len(body) > MAX_BODY:
        raise ServiceError(f"the message is longer than {MAX_BODY} characters")
    return body


def _attachment(path: Path) -> NewAttachment:
    if not path.is_file():
        raise ServiceError(f"no such file to attach: {path}")
    size = path.stat().st_size
    if size > MAX_ATTACHMENT_BYTES:
        raise ServiceError(
            f"{path.name} is {size / 1e6:.1f} MB; attachments are limited to "
            f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"
        )
    return NewAttachment(path.name, path)


def iter_all(
    source: HelpdeskService | TicketRepository, query: Query, page_size: int = 1000
) -> Iterable[Ticket]:
    """Every ticket a query matches, one page at a time (export, sweeps)."""
    offset = 0
    while True:
        page = source.query(query.page(offset, page_size))
        yield from page.tickets
        offset += len(page.tickets)
        if not page.tickets or offset >= page.total:
            return
