"""Shift handover: what I touched, what waits on me, and what breaches soon.

Three bounded reads, whatever the store holds: my history entries since the start of
the shift (through the tickets changed since then, `TicketRepository.entries_by`), a
few pages of my own open work and of the escalations waiting for my tier (or my
review), and the clocks of mine and of my tier's unassigned tickets that fall due
inside the coming window. Each section keeps at most SECTION_CAP lines and says how
many more there are; nothing here reads every ticket.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..domain import sla
from ..domain.access import Action, can
from ..domain.model import (
    ACTIVE_STATUSES,
    Agent,
    AuditEntry,
    Escalation,
    Priority,
    Role,
    Status,
    Ticket,
)
from ..domain.sla.parsing import parse_duration
from ..domain.sla.urgency import Urgency, urgency_key
from ..store.base import COUNT_CAP, NotFound, Query, SortKey, Unsupported
from .core import ServiceCore

SECTION_CAP = 25
"""Lines per section: a handover is read in a chat window, not scrolled."""
ENTRY_LIMIT = 2_000
"""My history entries read for "touched": a long shift writes a few hundred."""
OPEN_SCAN = 500
"""My open tickets looked at for a customer's reply waiting: the store cannot filter
on it, so they are read page by page (most urgent first) up to this many."""
PAGE = 100
MAX_SPAN = timedelta(days=30)
"""Longer than any shift: a typo (an extra 0) rather than a handover."""
DEFAULT_SINCE = timedelta(hours=8)
DEFAULT_NEXT = timedelta(hours=4)

_IGNORED = ("refused:", "mail:", "sla:", "followup:")
"""History entries that are no work of mine on the ticket: a refusal, the mail and SLA
bookkeeping a write sets off."""


def parse_span(text: str) -> timedelta:
    """ "8h", "30m", "2d", "1h30m" (the SLA policies' durations), from a minute to
    MAX_SPAN; a ValueError of one line for anything else ("yesterday", "-3h", "0")."""
    words = text.strip()
    if len(words) > 20:
        raise ValueError(f"cannot read {words[:20]!r}… as a duration (examples: 8h, 30m, 1h30m)")
    try:
        span = parse_duration(words)
    except ValueError:
        raise ValueError(
            f"cannot read {words!r} as a duration (examples: 8h, 30m, 2d, 1h30m)"
        ) from None
    if span < timedelta(minutes=1):
        raise ValueError(f"{words!r} is shorter than a minute")
    if span > MAX_SPAN:
        raise ValueError(f"{words!r} is longer than {MAX_SPAN.days} days")
    return span


class Did(enum.StrEnum):
    """What a line says: the last thing I did (touched), why a ticket waits on me
    (waiting), or that its clock falls due in the window (breaching)."""

    REPLIED = "replied"
    NOTED = "noted"
    TOOK = "took"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    STATUS = "status"
    PRIORITY = "priority"
    ESCALATED = "escalated"
    MOVED_DOWN = "moved_down"
    REVIEW_ASKED = "review_asked"
    DECIDED = "decided"
    CREATED = "created"
    CHANGED = "changed"
    NEW = "new"
    CUSTOMER_REPLIED = "customer_replied"
    AWAITING_TIER = "awaiting_tier"
    AWAITING_REVIEW = "awaiting_review"
    DUE = "due"


@dataclass(frozen=True, slots=True)
class HandoverLine:
    """One ticket in a section: the ticket as it is now, and what the line says of it."""

    ticket: Ticket
    did: Did
    detail: str = ""
    """What `did` names: the new status, priority or tier, the agent, the decision."""
    at: datetime | None = None
    """Touched: when I did it. Breaching: when its next target falls due."""
    time_left: str = ""
    """Breaching: the clock as every list shows it ("1h05m", "Mon 09:31")."""
    countdown: bool = True
    """Breaching: `time_left` counts down (False: it names the due moment, the clock
    standing still before it is due)."""


@dataclass(frozen=True, slots=True)
class Section:
    lines: tuple[HandoverLine, ...] = ()
    total: int = 0
    """How many tickets belong here; more than `lines` when the cap cut the list."""
    complete: bool = True
    """False: `total` is a floor (a read stopped at its bound)."""
    unsupported: str | None = None
    """Why the store could not answer this section (RT's history), or None."""

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.lines))


@dataclass(frozen=True, slots=True)
class Handover:
    agent: Agent
    now: datetime
    since: datetime
    until: datetime
    """The end of the breach window: now plus --next."""
    touched: Section
    waiting: Section
    breaching: Section


class HandoverUseCases(ServiceCore):
    def handover(
        self, since: timedelta = DEFAULT_SINCE, ahead: timedelta = DEFAULT_NEXT
    ) -> Handover:
        """My handover at this service's clock: touched in the last `since`, waiting on
        me now, falling due within `ahead`."""
        self._require(Action.VIEW)
        now = self.clock()
        return Handover(
            self.me,
            now,
            now - since,
            now + ahead,
            self._touched(now - since),
            self._waiting(now),
            self._breaching(now, now + ahead),
        )

    # ------------------------------------------------------------- touched

    def _touched(self, since: datetime) -> Section:
        try:
            entries = self._repo.entries_by(self.me.username, since, ENTRY_LIMIT)
        except Unsupported as exc:
            return Section(unsupported=str(exc))
        last: dict[str, list[AuditEntry]] = {}
        for entry in entries:  # newest first: the first write seen of a ticket is its last
            if entry.ticket_key is None or entry.field.startswith(_IGNORED):
                continue
            group = last.setdefault(entry.ticket_key, [entry])
            if group[0] is not entry and entry.version == group[0].version:
                group.append(entry)
        lines: list[HandoverLine] = []
        for key, group in last.items():
            if len(lines) == SECTION_CAP:
                break
            ticket = self._visible(key)
            if ticket is not None:
                did, detail = last_action(group, self.me.username)
                lines.append(HandoverLine(ticket, did, detail, group[0].at))
        unseen = len(last) - len(lines)  # beyond the cap, or out of my sight
        total = len(lines) + (unseen if len(lines) == SECTION_CAP else 0)
        return Section(tuple(lines), total, complete=len(entries) < ENTRY_LIMIT)

    def _visible(self, key: str) -> Ticket | None:
        try:
            ticket = self._repo.get(key)
        except NotFound:
            return None  # purged since, or out of this login's sight
        return ticket if can(self.me, Action.VIEW, ticket) else None

    # ------------------------------------------------------------- waiting on me

    def _waiting(self, now: datetime) -> Section:
        me = self.me
        mine = frozenset({me.username})
        reads: list[tuple[Query, Did]] = [
            (Query(statuses=frozenset({Status.NEW}), assignees=mine), Did.NEW),
            (
                Query(
                    statuses=ACTIVE_STATUSES,
                    tiers=frozenset({me.tier}),
                    escalations=frozenset({Escalation.AWAITING_TIER}),
                ),
                Did.AWAITING_TIER,
            ),
        ]
        if me.role is not Role.AGENT:
            # Open work only, through the index that leads with it: a review of a resolved
            # ticket (a disputed outcome) is on the escalations screen (F3), but finding
            # those here read every row of a million-ticket store (0.3 s) for none.
            reads.append(
                (
                    Query(
                        statuses=ACTIVE_STATUSES,
                        escalations=frozenset({Escalation.AWAITING_LEAD}),
                    ),
                    Did.AWAITING_REVIEW,
                )
            )
        found: dict[str, HandoverLine] = {}
        total, complete = 0, True
        for query, did in reads:
            page = self.query(
                replace(query, sort=SortKey.SLA_DUE, limit=SECTION_CAP, count_cap=COUNT_CAP)
            )
            total += page.total
            complete = complete and not page.capped
            for ticket in page.tickets:
                if did is Did.AWAITING_REVIEW and ticket.escalated_by == me.username:
                    total -= 1  # my own request waits on another lead
                    continue
                found.setdefault(
                    ticket.key, HandoverLine(ticket, did, _waiting_detail(ticket, did))
                )
        replied, scanned_all = self._customer_replied(mine)
        total += len(replied)
        complete = complete and scanned_all
        for ticket in replied:
            found.setdefault(ticket.key, HandoverLine(ticket, Did.CUSTOMER_REPLIED))
        ordered = sorted(found.values(), key=lambda line: urgency_key(line.ticket, now))
        return Section(tuple(ordered[:SECTION_CAP]), max(total, len(ordered)), complete)

    def _customer_replied(self, mine: frozenset[str]) -> tuple[list[Ticket], bool]:
        """My open tickets whose last word is the customer's, and whether all of my open
        tickets were looked at (OPEN_SCAN bounds the read)."""
        query = Query(statuses=frozenset({Status.OPEN}), assignees=mine, sort=SortKey.SLA_DUE)
        found: list[Ticket] = []
        offset = 0
        while offset < OPEN_SCAN:
            page = self.query(query.page(offset, PAGE))
            found += [t for t in page.tickets if customer_spoke_last(t)]
            offset += len(page.tickets)
            if not page.tickets or offset >= page.total:
                return found, True
        return found, False

    # ------------------------------------------------------------- breaching soon

    def _breaching(self, now: datetime, until: datetime) -> Section:
        """Mine and my tier's unassigned tickets whose next target falls due in
        (now, until], soonest first. Read by urgency class: the breached ones sort
        first by due time and could be thousands."""
        me = self.me
        groups = (
            Query(assignees=frozenset({me.username})),
            Query(unassigned=True, tiers=frozenset({me.tier})),
        )
        found: dict[str, Ticket] = {}
        total, complete = 0, True
        for group in groups:
            for urgency in (Urgency.AT_RISK, Urgency.RUNNING):
                query = replace(
                    group,
                    statuses=ACTIVE_STATUSES,
                    due_before=until,
                    urgency=urgency,
                    as_of=now,
                    sort=SortKey.SLA_DUE,
                    limit=SECTION_CAP,
                    count_cap=COUNT_CAP,
                )
                page = self.query(query)
                total += page.total
                complete = complete and not page.capped
                for ticket in page.tickets:
                    found.setdefault(ticket.key, ticket)
        soonest = sorted(found.values(), key=_due)[:SECTION_CAP]
        return Section(tuple(self._due_line(t, now) for t in soonest), total, complete)

    def _due_line(self, ticket: Ticket, now: datetime) -> HandoverLine:
        statuses = sla.evaluate(ticket, self.policy, now)
        cell = sla.ticket_cell(ticket.status, statuses, now).text
        headline = sla.list_clock(statuses)
        left = sla.time_left(headline, now) if headline else None
        countdown = left is not None and cell == sla.format_remaining(left)
        return HandoverLine(
            ticket, Did.DUE, ticket.assignee or "", ticket.sla_due_at, cell, countdown
        )


def _due(ticket: Ticket) -> tuple[datetime, int]:
    assert ticket.sla_due_at is not None  # only tickets due before the window's end
    return ticket.sla_due_at, ticket.priority.rank


def customer_spoke_last(ticket: Ticket) -> bool:
    """The customer wrote after the last word we sent them: the next move is ours."""
    wrote = ticket.last_customer_reply_at
    answered = ticket.last_public_update_at
    return wrote is not None and (answered is None or answered < wrote)


def _waiting_detail(ticket: Ticket, did: Did) -> str:
    return ticket.escalated_by or "" if did in (Did.AWAITING_TIER, Did.AWAITING_REVIEW) else ""


_PRECEDENCE: Sequence[str] = (
    "decision",
    "tier",
    "escalation",
    "reply",
    "note",
    "assignee",
    "status",
    "priority",
    "created",
)


def last_action(group: Sequence[AuditEntry], me: str) -> tuple[Did, str]:
    """What one write of mine did, said by its main change (a decision before the
    tier it moves, a reply before the status it sets, ...), and that change's detail."""
    by = {e.field: e for e in group}
    for name in _PRECEDENCE:
        entry = next((e for f, e in by.items() if f == name or f.startswith(name + ":")), None)
        if entry is not None:
            return _said(entry, me)
    return Did.CHANGED, group[0].field.replace("_", " ")


def _said(entry: AuditEntry, me: str) -> tuple[Did, str]:
    field, new = entry.field, entry.new or ""
    if field.startswith("decision:"):
        return Did.DECIDED, field.partition(":")[2]
    if field == "tier":
        down = entry.old is not None and entry.old.isdigit() and new.isdigit() and new < entry.old
        return (Did.MOVED_DOWN if down else Did.ESCALATED), new
    if field == "escalation":
        if new == Escalation.AWAITING_LEAD.value:
            return Did.REVIEW_ASKED, ""
        return Did.CHANGED, "escalation"
    if field == "reply":
        return Did.REPLIED, ""
    if field == "note":
        return Did.NOTED, ""
    if field == "assignee":
        if not new:
            return Did.UNASSIGNED, ""
        return (Did.TOOK, "") if new == me else (Did.ASSIGNED, new)
    if field == "status":
        return Did.STATUS, new
    if field == "priority":
        try:
            return Did.PRIORITY, Priority(new).short
        except ValueError:
            return Did.PRIORITY, new
    return Did.CREATED, ""
