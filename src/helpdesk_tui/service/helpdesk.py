"""Use cases: the one way in for the TUI, the command line and the tests.

Each use case checks access and lifecycle rules, derives what follows from the
change (timestamps, SLA pauses, the SLA due columns), and hands the store one
atomic `Change`; the store writes it with its audit entries or refuses it.
"""

from __future__ import annotations

import enum
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Concatenate, ParamSpec

from ..domain import escalation, lifecycle, sla
from ..domain.access import AccessDenied, Action, can
from ..domain.escalation import EscalationError, ReviewDecision
from ..domain.followup import FollowUpAction, FollowUpPolicy, MailKind, next_step
from ..domain.lifecycle import TransitionError
from ..domain.model import (
    ACTIVE_STATUSES,
    DONE_STATUSES,
    EMAIL_RE,
    MAX_ATTACHMENT_BYTES,
    MAX_BODY,
    MAX_LINE,
    MAX_SUBJECT,
    TIERS,
    Agent,
    AuditEntry,
    Channel,
    Comment,
    CommentKind,
    Environment,
    Escalation,
    InvalidTicket,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    TicketType,
    check_new_ticket,
    check_text,
)
from ..domain.periods import Span
from ..domain.sla import BreachAction, Policy, TargetStatus
from ..domain.triage import (
    ACCEPTED_TAG,
    DISMISSED_TAG,
    MIN_NEIGHBOUR_SCORE,
    SimilarTicket,
    Suggestion,
    TicketIndex,
    Triage,
    suggest,
    why_not_offered,
)
from ..store.base import (
    Capability,
    Change,
    ConflictError,
    MailDirection,
    MailRecord,
    MailState,
    NewAttachment,
    NotFound,
    Page,
    Query,
    SortKey,
    StoreError,
    TicketRepository,
    mail_queue,
)

Clock = Callable[[], datetime]
_P = ParamSpec("_P")

TRIAGE_DOCS = 5000
"""Resolved tickets triage learns from: the most recent ones, so memory stays bounded."""
TRIAGE_REFRESH = 600.0
"""Seconds before triage learns again from what was resolved meanwhile."""
TRIAGE_SEARCH_WORDS = 2
"""Full-text searches for similar tickets older than the index: each costs a store query."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ServiceError(ValueError):
    """A request refused by a rule; the message is one line for people."""


class ImportRefused(ServiceError):
    """One ticket of an import refused; `position` counts from 1 in the order given."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position = position


# Re-exported so callers catch one family without knowing which ring refused.
__all__ = [
    "MAX_BODY",
    "MAX_SUBJECT",
    "AccessDenied",
    "ConflictError",
    "Delivery",
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
    follow_up_of: str | None = None
    """The closed ticket this one follows up (a customer wrote again after it closed)."""


class Delivery(enum.StrEnum):
    """What became of the mail an agent's public reply causes, as the agent is told."""

    QUEUED = "queued"
    """Saved and waiting in the outbox for `helpdesk-tui mail send` (or a retry)."""
    SENT = "sent"
    FAILED = "failed"
    """Given up on after its last attempt."""
    OFF = "off"
    """Outgoing mail is off here: the reply is saved, nobody was mailed."""
    NO_ADDRESS = "no_address"
    """The requester has no e-mail address: nobody was mailed."""
    NOT_MAILED = "not_mailed"
    """No mail went with it, for a reason no longer known (mail was off then)."""
    BY_STORE = "by_store"
    """The store mails the requester itself (Request Tracker's scrips)."""


@dataclass(slots=True)
class SweepResult:
    evaluated: int
    breached: list[tuple[str, str]]
    at_risk: list[tuple[str, str]]
    escalated: list[str]
    reminded: list[str] = field(default_factory=list)
    """Pending tickets whose requester was sent a reminder."""
    closed: list[str] = field(default_factory=list)
    """Pending or resolved tickets closed for want of an answer."""


def _applied(
    build: Callable[Concatenate[HelpdeskService, Ticket, _P], Change | None],
) -> Callable[Concatenate[HelpdeskService, Ticket, _P], Ticket]:
    """A use case's write from the method that builds its Change, with the same
    arguments: one parameter list for both, however many options a write grows."""

    def write(
        self: HelpdeskService, ticket: Ticket, /, *args: _P.args, **kwargs: _P.kwargs
    ) -> Ticket:
        return self._apply(ticket, build(self, ticket, *args, **kwargs))

    return write


class HelpdeskService:
    """Everything an agent can do, on behalf of `agent`, against one repository."""

    def __init__(
        self,
        repo: TicketRepository,
        policy: Policy,
        clock: Clock,
        agent: Agent,
        followup: FollowUpPolicy | None = None,
        *,
        sends_mail: bool = False,
    ) -> None:
        self.repo = repo
        self.policy = policy
        self.clock = clock
        self.me = agent
        self.followup = followup or FollowUpPolicy()
        # Mail is queued only where it will be sent: a store that keeps it, and a
        # configured sender; else a later `mail send` would flood customers with old news.
        self.sends_mail = sends_mail and mail_queue(repo) is not None
        self._triage_index: tuple[float, TicketIndex] | None = None
        self._triage_lock = threading.Lock()

    # ----------------------------------------------------------------- reading

    def get(self, key: str) -> Ticket:
        ticket = self.repo.get(key)
        self._require(Action.VIEW, ticket)
        return ticket

    def query(self, query: Query) -> Page:
        return self.repo.query(self.scope(query))

    def count(self, query: Query) -> int:
        return self.repo.count(self.scope(query))

    def scope(self, query: Query) -> Query:
        """`query` as this agent may run it: the repository is asked exactly this."""
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

    def attachment_path(self, key: str, attachment_id: int) -> Path:
        """The local file of one of the ticket's attachments (a remote store's is fetched
        first), for an agent who may see the ticket."""
        self.get(key)
        return self.repo.attachment_path(key, attachment_id)

    def agents(self) -> list[Agent]:
        return self.repo.agents()

    def reply_delivery(self, ticket: Ticket) -> Delivery:
        """What a public reply on `ticket` does with mail (the rule `_mail` follows);
        no I/O: the UI says it the moment the reply is saved."""
        if mail_queue(self.repo) is None:
            return Delivery.BY_STORE
        if not self.sends_mail:
            return Delivery.OFF
        return Delivery.QUEUED if ticket.requester_email else Delivery.NO_ADDRESS

    def conversation_mail(self, key: str, comments: Sequence[Comment]) -> list[Delivery | None]:
        """The mail state of each of `comments` (the ticket's, oldest first), as the outbox
        records it; None for notes and what customers wrote, and for every message of a
        store that mails by itself (it keeps no outbox to ask)."""
        queue = mail_queue(self.repo)
        if queue is None:
            return [None] * len(comments)
        self.get(key)
        # The outbox keeps no comment id: a reply's mail is the one queued by the same
        # write, carrying its text. Paired in order, so a text sent twice pairs twice.
        sent = [
            m
            for m in queue.mail_log(key)
            if m.direction is MailDirection.OUT
            and m.state in _DELIVERY
            and m.kind in (MailKind.REPLY.value, MailKind.RESOLUTION.value)
        ]
        shown: list[Delivery | None] = []
        for comment in comments:
            if not comment.is_public or comment.from_customer:
                shown.append(None)
                continue
            match = next(
                (m for m in sent if m.body == comment.body and m.created_at >= comment.created_at),
                None,
            )
            if match is None:
                shown.append(Delivery.NOT_MAILED if self.sends_mail else Delivery.OFF)
                continue
            sent.remove(match)
            shown.append(_DELIVERY[match.state])
        return shown

    # ----------------------------------------------------------------- writing

    def create(
        self,
        draft: TicketDraft,
        *,
        first_comment: str | None = None,
        attachments: Sequence[Path] = (),
        received: MailRecord | None = None,
        acknowledge: bool = True,
    ) -> Ticket:
        """Open a new ticket; the store gives it its key. Validation changes nothing.

        The requester gets the acknowledgement with the key (when mail is sent and
        `acknowledge`: never in answer to an automatic mail). `attachments` go with
        `first_comment`; `received` records the mail the ticket came from, in the same
        write, so it is never taken in twice."""
        self._require(Action.CREATE)
        subject = _clean_line(draft.subject, "subject", MAX_SUBJECT)
        if draft.assignee:
            self._agent(draft.assignee)
        files = [_attachment(path) for path in attachments]
        if files and not first_comment:
            raise ServiceError("files of a new ticket go with its first comment")
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
            follow_up_of=draft.follow_up_of or None,
            created_at=now,
            updated_at=now,
        )
        # The checks an import passes too (domain.model.check_new_ticket): one set of rules.
        ticket = _with_sla_columns(_valid_new(ticket), self.policy)
        comment = None
        if first_comment:
            comment = Comment(CommentKind.NOTE, self.me.username, first_comment, now)
        mail = [received] if received else []
        if acknowledge:
            mail += self._mail(ticket, MailKind.ACKNOWLEDGEMENT)
        queue = mail_queue(self.repo)
        if queue is not None and (mail or files):
            return queue.create(ticket, self.me.username, comment, attachments=files, mail=mail)
        if files or mail:
            raise ServiceError("this store keeps neither mail nor files with a new ticket")
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
        now = self.clock()
        return self._write(
            ticket,
            base_version,
            lifecycle.status_fields(ticket, status, now),
            reason,
            mail=self._status_mail(ticket, status, "", now),
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

    def customer_reply(
        self,
        key: str,
        body: str,
        author: str | None = None,
        *,
        attachments: Sequence[Path] = (),
        received: MailRecord | None = None,
    ) -> Ticket:
        """What the requester wrote (mail, portal). Reopens pending and resolved tickets."""
        ticket = self._open_to_customer(key)
        now = self.clock()
        fields: dict[str, object] = {"last_customer_reply_at": now}
        if ticket.status in (Status.PENDING, Status.RESOLVED):
            fields.update(lifecycle.status_fields(ticket, Status.OPEN, now))
        comment = self._customer_comment(ticket, body, author, now)
        return self._from_outside(ticket, fields, None, comment, attachments, received)

    def customer_confirm(
        self, key: str, body: str, author: str | None = None, *, received: MailRecord | None = None
    ) -> Ticket:
        """The requester confirms the resolution: the ticket closes now, with their words."""
        ticket = self._open_to_customer(key)
        if ticket.status is not Status.RESOLVED:
            raise TransitionError(f"{key} is {ticket.status.label}: only a resolution is confirmed")
        now = self.clock()
        fields: dict[str, object] = {"last_customer_reply_at": now}
        fields.update(lifecycle.status_fields(ticket, Status.CLOSED, now))
        comment = self._customer_comment(ticket, body, author, now)
        return self._from_outside(
            ticket, fields, "confirmed by the customer", comment, (), received
        )

    def customer_csat(
        self,
        key: str,
        score: int,
        comment: str | None = None,
        author: str | None = None,
        *,
        received: MailRecord | None = None,
    ) -> Ticket:
        """The requester's answer to the satisfaction survey (by mail): recorded as theirs."""
        ticket = self.repo.get(key)
        fields = _csat_fields(ticket, score, comment)
        who = author or ticket.requester_email or "customer"
        return self._from_outside(ticket, fields, f"rated {score}/5 by {who}", None, (), received)

    def mail_note(
        self,
        key: str,
        body: str,
        author: str,
        *,
        attachments: Sequence[Path] = (),
        received: MailRecord | None = None,
    ) -> Ticket:
        """Mail about a ticket that is not its requester's answer (a bounce, an automatic
        reply, somebody else): kept as an internal note; nothing reopens, nobody is answered."""
        ticket = self.repo.get(key)
        comment = Comment(CommentKind.NOTE, author, _clean_body(body), self.clock())
        return self._from_outside(ticket, {}, None, comment, attachments, received)

    def _open_to_customer(self, key: str) -> Ticket:
        ticket = self.repo.get(key)
        if ticket.status.is_final:
            raise TransitionError(
                f"{key} is {ticket.status.label}: a new message opens a follow-up ticket"
            )
        return ticket

    @staticmethod
    def _customer_comment(ticket: Ticket, body: str, author: str | None, at: datetime) -> Comment:
        return Comment(
            CommentKind.REPLY,
            author or ticket.requester_email or ticket.requester_name or "customer",
            _clean_body(body),
            at,
            from_customer=True,
        )

    def _from_outside(
        self,
        ticket: Ticket,
        fields: Mapping[str, object],
        reason: str | None,
        comment: Comment | None,
        attachments: Sequence[Path],
        received: MailRecord | None,
    ) -> Ticket:
        # Based on the version just read: what the customer wrote does not depend on
        # what an agent changed meanwhile, and a conflict is for the caller to retry.
        files = [_attachment(path) for path in attachments]
        mail = [received] if received else []
        return self._write(
            ticket, ticket.version, fields, reason, comment=comment, files=files, mail=mail
        )

    def assign(self, key: str, base_version: int, assignee: str | None) -> Ticket:
        ticket = self.repo.get(key)
        return self._apply(ticket, self._assign_change(ticket, base_version, assignee))

    def _assign_change(
        self,
        ticket: Ticket,
        base_version: int,
        assignee: str | None,
        *,
        agent: Agent | None = None,
        audit: bool = True,
    ) -> Change | None:
        """The checks and the Change of `assign`; `agent` is the assignee if already known."""
        if assignee == self.me.username and ticket.assignee in (None, self.me.username):
            self._require(Action.TAKE, ticket, audit=audit)
        else:
            self._require(Action.ASSIGN, ticket, audit=audit)
        if assignee is not None:
            agent = agent or self._agent(assignee)
            if agent.tier < ticket.tier and agent.role is Role.AGENT:
                raise ServiceError(
                    f"{assignee} is tier {agent.tier}; {ticket.key} needs tier {ticket.tier}"
                    " or a lead"
                )
        return self._change(ticket, base_version, {"assignee": assignee})

    def take(self, key: str, base_version: int) -> Ticket:
        return self.assign(key, base_version, self.me.username)

    def take_next(self, rounds: int = 5, candidates: int = 10) -> Ticket | None:
        """Assign me the most urgent unassigned ticket of my tier; None when there is none.

        A ticket waiting for my tier after an escalation is accepted. Safe with many
        agents at once. A store with Capability.ATOMIC_CLAIM locks each candidate while
        it is checked and taken, so agents never collide, retry or come back empty while
        a ticket is left. Elsewhere (RT) each take is a write based on the version read:
        of two agents reaching for one ticket the store lets one win and the other moves
        on to the next candidate, for up to `rounds` pages of `candidates`.
        """
        self._require(Action.TAKE)  # a deactivated agent is refused (and audited) once
        me = self._agent(self.me.username)
        query = Query(
            statuses=ACTIVE_STATUSES,
            unassigned=True,
            tiers=frozenset({self.me.tier}),
            sort=SortKey.SLA_DUE,
            limit=candidates,
        )

        def take(ticket: Ticket) -> Change | None:
            # A candidate I may not take is passed over, not refused: take next never
            # asked for that ticket (so no refusal is audited either).
            try:
                if ticket.escalation is Escalation.AWAITING_TIER:
                    return self._decision_change(
                        ticket, ticket.version, ReviewDecision.ACCEPT, audit=False
                    )
                return self._assign_change(
                    ticket, ticket.version, self.me.username, agent=me, audit=False
                )
            except (AccessDenied, ServiceError, EscalationError):
                return None

        if Capability.ATOMIC_CLAIM in self.repo.capabilities:
            return self.repo.claim_next(self.scope(query), take)
        for _ in range(rounds):
            page = self.query(query)
            if not page.tickets:
                return None
            for listed in page.tickets:
                # Decide on the ticket as the store has it now, in full (a page row may
                # carry less, RT's in particular), as `assign` and `decide` would.
                change = take(self.repo.get(listed.key))
                if change is None:
                    continue
                try:
                    return self.repo.apply(change)
                except ConflictError:
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
        change = self._decision_change(ticket, base_version, decision, reason, assignee)
        return self._apply(ticket, change)

    def _decision_change(
        self,
        ticket: Ticket,
        base_version: int,
        decision: ReviewDecision,
        reason: str | None = None,
        assignee: str | None = None,
        *,
        audit: bool = True,
    ) -> Change | None:
        """The checks and the Change of `decide`."""
        action = (
            Action.DECIDE_REVIEW
            if ticket.escalation is Escalation.AWAITING_LEAD
            else Action.ACCEPT_ESCALATION
        )
        if decision is not ReviewDecision.ACCEPT and action is Action.ACCEPT_ESCALATION:
            action = Action.ASSIGN if decision is ReviewDecision.REASSIGN else action
        self._require(action, ticket, audit=audit)
        if assignee:
            self._agent(assignee)
        fields = escalation.decide(ticket, decision, self.me.username, reason, assignee)
        why = reason or decision.value
        return self._change(
            ticket, base_version, fields, why, events=[(f"decision:{decision.value}", why)]
        )

    def record_csat(
        self, key: str, base_version: int, score: int, comment: str | None = None
    ) -> Ticket:
        ticket = self.repo.get(key)
        self._require(Action.VIEW, ticket)
        return self._write(ticket, base_version, _csat_fields(ticket, score, comment))

    # ------------------------------------------------------------------ triage

    def triage(self, key: str, similar: int = 5) -> Triage:
        """The suggested priority, type and tier of a ticket (offered only while it is new
        and untriaged; see `why_not_offered`) and its most similar past tickets."""
        ticket = self.get(key)
        history = self.repo.history(key) if ticket.status is Status.NEW else []
        index = self.triage_index()
        return Triage(
            ticket.key,
            ticket.version,
            suggest(ticket, index),
            why_not_offered(ticket, history),
            tuple(self._similar(ticket, index, similar)),
        )

    def suggestions(self, tickets: Sequence[Ticket]) -> dict[str, Suggestion]:
        """The suggestions offered for those of `tickets` that are new and untriaged (the
        queue asks for the rows on screen): one history read per new ticket, no more."""
        offered: dict[str, Suggestion] = {}
        for ticket in tickets:
            if why_not_offered(ticket) is None:
                history = self.repo.history(ticket.key)
                if why_not_offered(ticket, history) is None:
                    offered[ticket.key] = suggest(ticket, self.triage_index())
        return offered

    def accept_suggestion(
        self, key: str, base_version: int, suggestion: Suggestion | None = None
    ) -> Ticket:
        """Write the suggestion (the one shown, or a fresh one) as one version-checked
        change. A tier change routes an unassigned ticket; a held one is escalated."""
        ticket = self._for(Action.UPDATE, key)
        why_not = why_not_offered(ticket, self.repo.history(key))
        if why_not is not None:
            raise ServiceError(f"no suggestion to accept on {key}: {why_not}")
        chosen = suggestion or suggest(ticket, self.triage_index())
        reason = "triage suggestion accepted"
        fields: dict[str, object] = {
            "priority": chosen.priority,
            "type": chosen.type,
            "tags": (*ticket.tags, ACCEPTED_TAG),
        }
        if chosen.tier != ticket.tier:
            self._require(Action.ESCALATE, ticket)
            if ticket.assignee is None:
                fields["tier"] = chosen.tier
            else:
                moved = escalation.change_tier(
                    ticket, chosen.tier, reason, self.me.username, self.clock()
                )
                fields.update(moved)
        events = [("triage:accepted", f"{chosen.label}: {chosen.reason}")]
        return self._write(ticket, base_version, fields, reason, events=events)

    def dismiss_suggestion(self, key: str, base_version: int) -> Ticket:
        """Remember that the agent declined the suggestion, so it is not offered again."""
        ticket = self._for(Action.UPDATE, key)
        if DISMISSED_TAG in ticket.tags:
            return ticket
        fields = {"tags": (*ticket.tags, DISMISSED_TAG)}
        events: list[tuple[str, str | None]] = [("triage:dismissed", None)]
        why = "triage suggestion dismissed"
        return self._write(ticket, base_version, fields, why, events=events)

    def triage_index(self) -> TicketIndex:
        """The index of the most recent resolved and closed tickets this agent may see,
        built on first use and again when older than TRIAGE_REFRESH seconds."""
        with self._triage_lock:
            cached = self._triage_index
            if cached is not None and time.monotonic() - cached[0] < TRIAGE_REFRESH:
                return cached[1]
            # Every done status, cancelled ones skipped here: the store counts "all done"
            # from its open/closed split at once, "resolved or closed" row by row.
            query = Query(statuses=DONE_STATUSES, sort=SortKey.UPDATED, descending=True)
            done = iter_all(self, query, 500)
            index = TicketIndex.build(_past(done), TRIAGE_DOCS)
            self._triage_index = (time.monotonic(), index)
            return index

    def _similar(self, ticket: Ticket, index: TicketIndex, k: int) -> list[SimilarTicket]:
        if k <= 0:
            return []
        found = {s.ticket.key: s for s in index.neighbours(ticket, k)}
        if index.truncated and Capability.FULL_TEXT in self.repo.capabilities:
            # Older tickets than the index holds: the store's search finds candidates.
            for word in index.distinctive_words(ticket, TRIAGE_SEARCH_WORDS):
                page = self.query(Query(statuses=DONE_STATUSES, text=word, limit=20))
                for other in _past(page.tickets):
                    if other.key != ticket.key and other.key not in found:
                        like = index.similarity(ticket, other)
                        if like.score >= MIN_NEIGHBOUR_SCORE:
                            found[other.key] = like
        # Most similar first; of equals, the most recently resolved.
        newest = sorted(found.values(), key=lambda s: s.ticket.resolved_at or _EPOCH, reverse=True)
        return sorted(newest, key=lambda s: -s.score)[:k]

    # -------------------------------------------------------------- operations

    def sweep(self, page_size: int = 500) -> SweepResult:
        """Evaluate every active ticket's SLA and apply the policy's breach rules once;
        remind the requesters of pending tickets and close the tickets left waiting on
        them too long (`self.followup`).

        Idempotent and safe to run twice at once: what was acted on is remembered in
        `sla_flags`, and every write is based on the version read, so of two sweeps
        acting on one ticket one wins and the other finds it done next time. Run every
        minute from cron, it acts on each event, and sends each reminder, once.
        """
        now = self.clock()
        statuses = ACTIVE_STATUSES | {Status.RESOLVED}
        query = Query(statuses=statuses, sort=SortKey.KEY, limit=page_size)
        result = SweepResult(0, [], [], [])
        # Keys first, then each ticket fresh: the sweep's own writes must not shift pages.
        keys = [t.key for t in iter_all(self.repo, query, page_size)]
        for key in keys:
            try:
                ticket = self.repo.get(key)
                if ticket.status.is_active:
                    ticket = self._sweep_sla(ticket, now, result)
                self._follow_up(ticket, now, result)
            except (ConflictError, NotFound):
                continue  # changed (or gone) meanwhile: the next sweep looks again
        return result

    def _sweep_sla(self, ticket: Ticket, now: datetime, result: SweepResult) -> Ticket:
        key = ticket.key
        result.evaluated += 1
        for status in sla.evaluate(ticket, self.policy, now):
            event = _sla_event(status)
            if event is None:
                continue
            flag = f"{status.kind.value}:{event}"
            if flag in ticket.sla_flags:
                continue
            fields: dict[str, object] = {"sla_flags": (*ticket.sla_flags, flag)}
            action = self.policy.action_for(ticket.priority, event)
            reason = f"SLA {status.kind.label} {event.replace('_', ' ')}"
            if action is not None:
                fields.update(self._breach_fields(ticket, action, reason, now))
            ticket = self._write(
                ticket,
                ticket.version,
                fields,
                reason,
                events=[(f"sla:{event}:{status.kind.value}", str(action or "recorded"))],
            )
            (result.breached if event == "breached" else result.at_risk).append(
                (key, status.kind.value)
            )
            if "escalation" in fields:
                result.escalated.append(key)
        return ticket

    def _follow_up(self, ticket: Ticket, now: datetime, result: SweepResult) -> None:
        """Remind or close a ticket waiting on its requester, when it is due."""
        can_remind = self.sends_mail and bool(ticket.requester_email)
        step = next_step(ticket, self.followup, now, remind=can_remind)
        if step is None:
            return
        if step.action is FollowUpAction.CLOSE:
            fields = lifecycle.status_fields(ticket, Status.CLOSED, now)
            # Closing what the customer left pending tells them; a resolution they did
            # not answer was told already.
            pending = ticket.status is Status.PENDING
            mail = self._mail(ticket, MailKind.CLOSED) if pending else []
            self._write(ticket, ticket.version, fields, step.reason, mail=mail)
            result.closed.append(ticket.key)
            return
        closes = "" if step.closes_at is None else step.closes_at.isoformat()
        mail = self._mail(ticket, MailKind.REMINDER, number=str(step.number), close_date=closes)
        self._write(
            ticket,
            ticket.version,
            {"sla_flags": step.flags},
            step.reason,
            events=[("followup:reminder", str(step.number))],
            mail=mail,
        )
        result.reminded.append(ticket.key)

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

    def purge(self, older_than: timedelta | Span, dry_run: bool = True) -> list[str]:
        """Remove closed and cancelled tickets closed more than `older_than` ago, with
        their comments and attachment files; each leaves a tombstone in the audit log.
        `dry_run` only lists the keys. A Span counts calendar months ("24m")."""
        self._require(Action.PURGE)
        now = self.clock()
        cutoff = older_than.before(now) if isinstance(older_than, Span) else now - older_than
        return self.repo.purge(cutoff, self.me.username, now, dry_run)

    def import_tickets(self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]) -> int:
        """Bulk import, all or nothing (the store's one-transaction path).

        Every ticket passes what `create` checks, its assignee must be an active agent,
        and its key (when it has one) must be new to the store and to the import: a
        refusal is an ImportRefused naming the ticket's position, and nothing is written.
        The SLA columns are derived here, as for a ticket created by hand."""
        self._require(Action.IMPORT)
        return self.repo.bulk_import(self._checked_imports(tickets))

    def _checked_imports(
        self, tickets: Iterable[tuple[Ticket, Sequence[Comment]]]
    ) -> Iterator[tuple[Ticket, Sequence[Comment]]]:
        # Checked one by one as the store pulls them: position n is refused before n + 1
        # is read, so a caller reading a file knows which of its records it was.
        agents = {a.username: a for a in self.repo.agents()}
        check_store = self.repo.count(Query(limit=1)) > 0
        seen: set[str] = set()
        for position, (ticket, comments) in enumerate(tickets, 1):
            try:
                checked = _valid_new(ticket)
                if checked.assignee is not None:
                    agent = agents.get(checked.assignee)
                    if agent is None:
                        raise ServiceError(f"no agent called {checked.assignee[:40]!r}")
                    if not agent.active:
                        raise ServiceError(f"{checked.assignee} is deactivated")
                if checked.key:
                    if checked.key in seen:
                        raise ServiceError(f"key {checked.key} comes twice in the import")
                    seen.add(checked.key)
                    if check_store and self._exists(checked.key):
                        raise ServiceError(f"key {checked.key} is already in the store")
            except ServiceError as exc:
                raise ImportRefused(position, str(exc)) from None
            yield _with_sla_columns(checked, self.policy), comments

    def _exists(self, key: str) -> bool:
        try:
            self.repo.get(key)
        except NotFound:
            return False
        return True

    def save_agent(self, agent: Agent) -> Agent:
        self._require(Action.MANAGE_AGENTS)
        if agent.tier not in TIERS:
            raise ServiceError(f"tier must be 1, 2 or 3, not {agent.tier}")
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", agent.username):
            raise ServiceError(f"username {agent.username!r}: letters, digits, . _ - only")
        # The limits a ticket's names and addresses have (domain.model), for the same reasons.
        _one_line(agent.name, "name")
        if agent.email and not EMAIL_RE.match(agent.email):
            raise ServiceError(f"email {agent.email[:80]!r} is not an address")
        for name, value in (("email", agent.email), ("team", agent.team or "")):
            _checked_text(name, value, MAX_LINE)
        for organization in agent.organizations:
            _one_line(organization, "organization")
        return self.repo.save_agent(agent)

    def save_team(self, team: Team) -> Team:
        self._require(Action.MANAGE_AGENTS)
        _one_line(team.name, "team name")
        _checked_text("description", team.description, MAX_BODY)
        return self.repo.save_team(team)

    # ---------------------------------------------------------------- internals

    def _require(self, action: Action, ticket: Ticket | None = None, *, audit: bool = True) -> None:
        """Refuse with AccessDenied, saying why, unless I may; a refusal is audited
        (who, what, which ticket, why, when) unless `audit` is off for a mere probe."""
        decision = can(self.me, action, ticket)
        if decision:
            return
        why = decision.why
        if audit:
            key = None if ticket is None else ticket.key
            try:
                self.repo.record_refusal(self.me.username, action.value, key, why, self.clock())
            except StoreError as exc:
                # The refusal stands; an unrecorded one says so rather than hiding it.
                why = f"{why} (not audited: {exc})"
        raise AccessDenied(why)

    def _for(self, action: Action, key: str) -> Ticket:
        ticket = self.repo.get(key)
        self._require(action, ticket)
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
                self._require(Action.UPDATE, ticket)
            lifecycle.check_transition(
                ticket, status, reason=None, replying=kind is CommentKind.REPLY
            )
            fields.update(lifecycle.status_fields(ticket, status, now))
        comment = Comment(kind, self.me.username, text, now)
        mail: list[MailRecord] = []
        if kind is CommentKind.REPLY:
            # A reply that resolves is the resolution notice itself (with the survey).
            mail = self._status_mail(ticket, status, text, now) or self._mail(
                ticket, MailKind.REPLY, text
            )
        return self._write(
            ticket, base_version, fields, None, comment=comment, files=files, mail=mail
        )

    def _mail(
        self, ticket: Ticket, kind: MailKind, body: str = "", **params: str
    ) -> list[MailRecord]:
        """Message `kind` to the ticket's requester, queued with the write that causes it;
        none where this helpdesk sends no mail or the requester has no address."""
        if not (self.sends_mail and ticket.requester_email):
            return []
        values = {"agent": self.me.name, **params}
        return [MailRecord(MailDirection.OUT, kind.value, ticket.requester_email, body, values)]

    def _status_mail(
        self, ticket: Ticket, status: Status | None, body: str, now: datetime
    ) -> list[MailRecord]:
        """What a move to `status` tells the requester: a resolution, with the survey."""
        if status is not Status.RESOLVED or ticket.status is Status.RESOLVED:
            return []
        window = self.followup.close_resolved_after
        closes = "" if window is None else (now + window).isoformat()
        return [
            *self._mail(ticket, MailKind.RESOLUTION, body, close_date=closes),
            *self._mail(ticket, MailKind.CSAT_REQUEST),
        ]

    def _apply(self, ticket: Ticket, change: Change | None) -> Ticket:
        return ticket if change is None else self.repo.apply(change)

    def _change(
        self,
        ticket: Ticket,
        base_version: int,
        fields: Mapping[str, object],
        reason: str | None = None,
        *,
        comment: Comment | None = None,
        files: Sequence[NewAttachment] = (),
        events: Sequence[tuple[str, str | None]] = (),
        mail: Sequence[MailRecord] = (),
    ) -> Change | None:
        """The write of `fields` (with the SLA columns they move); None if nothing changes."""
        changed = {k: v for k, v in fields.items() if getattr(ticket, k) != v}
        after = _with_sla_columns(ticket.with_changes(**changed), self.policy)
        for column in ("sla_due_at", "sla_risk_at"):
            if getattr(after, column) != getattr(ticket, column):
                changed[column] = getattr(after, column)
        if not changed and comment is None and not events and not mail:
            return None
        return Change(
            key=ticket.key,
            base_version=base_version,
            actor=self.me.username,
            at=self.clock(),
            fields=changed,
            reason=reason,
            comment=comment,
            attachments=files,
            events=events,
            mail=mail,
        )

    _write = _applied(_change)
    """`_change`, applied: the ticket as written (as it was when nothing changes)."""


_DELIVERY = {
    MailState.QUEUED: Delivery.QUEUED,
    MailState.SENT: Delivery.SENT,
    MailState.FAILED: Delivery.FAILED,
}
"""Outgoing mail's stored states (RECEIVED is incoming only, filtered out before)."""


def _csat_fields(ticket: Ticket, score: int, comment: str | None) -> dict[str, object]:
    if not 1 <= score <= 5:
        raise ServiceError(f"satisfaction is a score from 1 to 5, not {score}")
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise ServiceError(f"{ticket.key} is {ticket.status.label}: CSAT is asked on resolution")
    return {"csat_score": score, "csat_comment": (comment or "").strip() or None}


def _past(tickets: Iterable[Ticket]) -> Iterable[Ticket]:
    """What triage learns from: resolved and closed tickets, not cancelled ones (spam,
    duplicates, filed by mistake)."""
    return (t for t in tickets if t.status is not Status.CANCELLED)


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


def _valid_new(ticket: Ticket) -> Ticket:
    try:
        return check_new_ticket(ticket)
    except InvalidTicket as exc:
        raise ServiceError(str(exc)) from None


def _one_line(text: str, what: str) -> None:
    """A name: not empty, on one line, at most MAX_LINE characters."""
    if not text.strip():
        raise ServiceError(f"{what} cannot be empty")
    if "\n" in text or "\r" in text:
        raise ServiceError(f"{what} must be on one line")
    _checked_text(what, text, MAX_LINE)


def _checked_text(what: str, text: str, limit: int) -> None:
    try:
        check_text(what, text, limit)
    except InvalidTicket as exc:
        raise ServiceError(str(exc)) from None


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
