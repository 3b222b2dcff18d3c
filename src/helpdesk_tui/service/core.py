"""What every use case shares: who acts, access checks, scoped reads, and the one way
a use case's write reaches the store (a version-checked `Change`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.access import AccessDenied, Action, can
from ..domain.followup import FollowUpPolicy, MailKind
from ..domain.model import Agent, Comment, Priority, Role, Status, Ticket, contact_address
from ..domain.sla import Policy
from ..domain.sla.urgency import Urgency, awaits_acknowledgement, urgency_key
from ..store.base import (
    Change,
    MailDirection,
    MailRecord,
    NewAttachment,
    NotFound,
    Page,
    Query,
    SortKey,
    StoreError,
    TicketRepository,
    mail_queue,
)
from ..store.deferred import DeferredRepository
from .checks import with_sla_columns
from .errors import ServiceError
from .ordering import read_urgent_first
from .triage_learning import Children

if TYPE_CHECKING:
    from ..domain.triage import TicketIndex

Clock = Callable[[], datetime]
PINNED_MAX = 20
REOPENED_LOOKBACK = 50
"""Open P1s read, most recently changed first, to find the reopened ones nobody answered:
a reopening changes the ticket, so one is among the last changed while it waits."""


class ServiceCore:
    """The state and the internals the use-case parts of `HelpdeskService` build on."""

    def __init__(
        self,
        repo: TicketRepository,
        policy: Policy,
        clock: Clock,
        agent: Agent,
        followup: FollowUpPolicy | None = None,
        *,
        sends_mail: bool = False,
        triage_file: Path | None = None,
    ) -> None:
        self._repo = repo
        self.policy = policy
        self.clock = clock
        self.me = agent
        self.followup = followup or FollowUpPolicy()
        # Mail is queued only where it will be sent: a store that keeps it, and a
        # configured sender; else a later `mail send` would flood customers with old news.
        self.sends_mail = sends_mail and mail_queue(repo) is not None
        self._triage_index: tuple[float, TicketIndex] | None = None
        self.triage_file = triage_file
        """Where this agent's learned triage model of this store is kept between runs
        (service/triage.py); None keeps it in memory only."""
        self._triage_lock = threading.Lock()
        self._learning_lock = threading.Lock()
        """Held while the store's triage model is read or learned (service/triage.py)."""
        self._learning_children = Children()

    # ----------------------------------------------------------------- reading

    def get(self, key: str) -> Ticket:
        ticket = self._repo.get(key)
        self._require(Action.VIEW, ticket)
        return ticket

    def query(self, query: Query) -> Page:
        scoped = self.scope(query)
        if scoped.sort is SortKey.URGENCY:
            return read_urgent_first(scoped, self._repo.query)
        return self._repo.query(scoped)

    def page_at_hand(self, query: Query) -> Page | None:
        """The page `query` reads, where the store holds it already and answers without
        a wait (the rows a launch's helper read for the first screen: once); None
        otherwise, and `query` asks the store."""
        if isinstance(self._repo, DeferredRepository):
            return self._repo.take_first(self.scope(query))
        return None

    def count(self, query: Query) -> int:
        return self._repo.count(self.scope(query))

    def urgency_counts(self, query: Query, soon: timedelta) -> tuple[int, int]:
        """Of the tickets `query` finds: how many are breached, and how many more fall
        due within `soon`. Two counts on the index the SLA sort uses."""
        now = self.clock()

        def due_before(instant: datetime) -> Query:
            limit = query.due_before
            return replace(query, due_before=instant if limit is None else min(instant, limit))

        # Breached as the SLA engine and domain/sla/urgency.py say: due now or before.
        breached = (
            self.count(replace(query, urgency=Urgency.BREACHED, as_of=now))
            if query.urgency in (None, Urgency.BREACHED)
            else 0
        )
        return breached, self.count(due_before(now + soon)) - breached

    def awaiting_acknowledgement(self, limit: int = PINNED_MAX) -> list[Ticket]:
        """The P1s nobody has acknowledged (domain/sla/urgency.py), most urgent first: the
        new ones, and those the customer reopened that no agent has answered. Two reads,
        each bounded: reopened ones are looked for among the P1s changed last."""
        p1 = frozenset({Priority.CRITICAL})
        new = self.query(
            Query(
                statuses=frozenset({Status.NEW}), priorities=p1, sort=SortKey.URGENCY, limit=limit
            )
        ).tickets
        recent = self.query(
            Query(
                statuses=frozenset({Status.OPEN}),
                priorities=p1,
                sort=SortKey.UPDATED,
                descending=True,
                limit=REOPENED_LOOKBACK,
            )
        ).tickets
        found = [*new, *(t for t in recent if awaits_acknowledgement(t))]
        now = self.clock()
        return sorted(found, key=lambda t: urgency_key(t, now))[:limit]

    def scope(self, query: Query) -> Query:
        """`query` as this agent may run it: the repository is asked exactly this."""
        # Every list, count, export and report reads through here: a deactivated agent
        # reads nothing (refused, and audited, as a ticket of theirs would be).
        self._require(Action.VIEW)
        if query.as_of is None:
            # Urgency is judged at this service's clock (a frozen one in tests and demos).
            query = replace(query, as_of=self.clock())
        # Agents see the organizations they serve; leads and admins with none listed see all.
        if self.me.organizations and self.me.role is not Role.ADMIN:
            allowed = frozenset(self.me.organizations)
            wanted = allowed if query.organizations is None else query.organizations & allowed
            return replace(query, organizations=wanted)
        return query

    # ---------------------------------------------------------------- internals

    def _require(self, action: Action, ticket: Ticket | None = None, *, audit: bool = True) -> None:
        """Refuse with AccessDenied, saying why, unless I may; a refusal is audited
        (who, what, which ticket, why, when) unless `audit` is off for a mere probe."""
        decision = can(self.me, action, ticket)
        if decision:
            return
        why = decision.why
        if audit:
            key = None if ticket is None else ticket.key or None  # a new one has none
            try:
                self._repo.record_refusal(self.me.username, action.value, key, why, self.clock())
            except StoreError as exc:
                # The refusal stands; an unrecorded one says so rather than hiding it.
                why = f"{why} (not audited: {exc})"
        raise AccessDenied(why)

    def _tier_of(self, username: str | None) -> int | None:
        """The tier `username` works at; None for nobody, or a name that is no agent."""
        if username is None:
            return None
        try:
            return self._repo.get_agent(username).tier
        except NotFound:
            return None

    def _for(self, action: Action, key: str) -> Ticket:
        ticket = self._repo.get(key)
        self._require(action, ticket)
        return ticket

    def _agent(self, username: str) -> Agent:
        try:
            agent = self._repo.get_agent(username)
        except NotFound:
            raise ServiceError(f"no agent called {username!r}") from None
        if not agent.active:
            raise ServiceError(f"{username} is deactivated")
        return agent

    def _check_assignee(
        self,
        ticket: Ticket,
        assignee: str | None,
        *,
        agent: Agent | None = None,
        audit: bool = True,
    ) -> None:
        """Refuse unless I may hand `ticket` to `assignee` (None: to nobody): taking an
        unassigned ticket or my own is a take, anything else an assignment, and an
        agent below the ticket's tier may not hold it (a lead may). `agent` is the
        assignee where already read."""
        if assignee == self.me.username and ticket.assignee in (None, self.me.username):
            self._require(Action.TAKE, ticket, audit=audit)
        else:
            self._require(Action.ASSIGN, ticket, audit=audit)
        if assignee is not None:
            agent = agent or self._agent(assignee)
            if not agent.may_hold(ticket.tier):
                raise ServiceError(
                    f"{assignee} is tier {agent.tier}; {ticket.key} needs tier {ticket.tier}"
                    " or a lead"
                )

    def _mail(
        self, ticket: Ticket, kind: MailKind, body: str = "", **params: str
    ) -> list[MailRecord]:
        """Message `kind` to the ticket's requester, queued with the write that causes it;
        none where this helpdesk sends no mail or the requester has no address."""
        if not (self.sends_mail and ticket.requester_email):
            return []
        values = {"agent": self.me.name, **params}
        to = [ticket.requester_email]
        if kind in (MailKind.REPLY, MailKind.RESOLUTION):
            # What the customer hears, the contacts kept informed hear too; the survey,
            # reminders and the acknowledgement are the requester's alone.
            to += [contact_address(c) for c in ticket.contacts]
        return [
            MailRecord(MailDirection.OUT, kind.value, address, body, values)
            for address in dict.fromkeys(a for a in to if a)
        ]

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
        after = with_sla_columns(ticket.with_changes(**changed), self.policy)
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

    def _commit(self, ticket: Ticket, change: Change | None) -> Ticket:
        """`change` written: the ticket as the store has it after (`ticket` when None)."""
        return ticket if change is None else self._repo.apply(change)


def iter_all(
    source: ServiceCore | TicketRepository, query: Query, page_size: int = 1000
) -> Iterable[Ticket]:
    """Every ticket a query matches, one page at a time (export, sweeps)."""
    offset = 0
    while True:
        page = source.query(query.page(offset, page_size))
        yield from page.tickets
        offset += len(page.tickets)
        if not page.tickets or offset >= page.total:
            return
