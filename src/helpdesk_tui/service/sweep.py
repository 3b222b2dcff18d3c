"""The periodic sweep: SLA events and breach rules, reminders, closing for want of an answer.

What a breach rule does is the policy's doing, so the history credits it to the policy
("sla:<name>", read as "SLA policy <name>"), not to whoever runs the sweep. The person
(or cron's agent) running it bounds it: they must be an active agent, and the sweep
acts on the organizations they serve only. Within that, a rule does what the policy
says whatever their role: it is the policy an admin configured that decides, and a
sweep run early by anyone does only what the next cron run would do. Who ran it stays
in each rule's history event ("run by mailbot").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ..domain import escalation, lifecycle, sla
from ..domain.access import Action, can, serves
from ..domain.followup import FollowUpAction, MailKind, next_step
from ..domain.model import (
    ACTIVE_STATUSES,
    Agent,
    Comment,
    CommentKind,
    Escalation,
    Role,
    Status,
    Ticket,
)
from ..domain.sla import BreachAction, TargetStatus, WhenWorked
from ..store.base import Change, ConflictError, NotFound, Query, SortKey, TicketRepository
from .core import ServiceCore, iter_all


class Outcome(enum.StrEnum):
    """What the sweep did about one SLA event."""

    RECORDED = "recorded"
    """Written in the history only: no rule, or nothing left for the rule to do."""
    NOTIFIED = "notified"
    """A notify rule: the people it names became watchers."""
    KEPT = "kept"
    """A rule would have moved a ticket an agent is working: it stays with its assignee,
    the leads and the rule's tier became watchers, and a note says why."""
    ESCALATED = "escalated"
    """Moved up to the rule's tier, waiting there to be accepted."""
    REVIEW = "review"
    """Sent to a lead's review."""


@dataclass(frozen=True, slots=True)
class SweepAction:
    """One SLA event of one ticket and what the sweep did about it."""

    key: str
    clock: str
    """The target: "first_response", "resolution" or "update"."""
    event: str
    """ "breached" or "at_risk"."""
    outcome: Outcome
    detail: str
    """What was done, in one line ("tier 1 → 3, taken from alice (...)")."""

    def __str__(self) -> str:
        return f"{self.clock.replace('_', ' ')} {self.event.replace('_', ' ')}: {self.detail}"


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
    actions: list[SweepAction] = field(default_factory=list)
    """Every SLA event acted on, in the order the sweep met them."""

    def count(self, outcome: Outcome) -> int:
        """How many tickets had an event with this outcome (a ticket counts once)."""
        return len({a.key for a in self.actions if a.outcome is outcome})


@dataclass(slots=True)
class _Plan:
    """What a rule will write about one event."""

    outcome: Outcome
    detail: str
    fields: dict[str, object] = field(default_factory=dict)
    note: str | None = None


class _Run:
    """What one sweep reads once and remembers: the store's agents (read only if a rule
    needs them), and the tickets it already left a notice on."""

    def __init__(self, repo: TicketRepository) -> None:
        self._repo = repo
        self._agents: list[Agent] | None = None
        self.noticed: set[str] = set()
        """Keys given a note this sweep: two clocks breaching at once get one note."""

    @property
    def agents(self) -> list[Agent]:
        if self._agents is None:
            self._agents = [a for a in self._repo.agents() if a.active]
        return self._agents

    def audience(self, ticket: Ticket, target: str) -> list[str]:
        """Who a rule's target names for this ticket: "lead" the leads, "tierN" that
        tier's agents and leads; only those who serve its organization, never its
        assignee (who knows already)."""
        tier = None if target == "lead" else int(target.removeprefix("tier"))

        def named(agent: Agent) -> bool:
            if tier is None:
                return agent.role is Role.LEAD
            return agent.tier == tier and agent.role is not Role.ADMIN

        return [
            a.username
            for a in self.agents
            if named(a) and serves(a, ticket.organization) and a.username != ticket.assignee
        ]

    def last_activity(self, ticket: Ticket) -> Comment | None:
        """The latest reply or note an agent wrote: not the customer's, and not one a
        rule or a mail wrote (their authors are not agents)."""
        names = {a.username for a in self.agents}
        written = [
            c for c in self._repo.comments(ticket.key) if not c.from_customer and c.author in names
        ]
        return max(written, key=lambda c: c.created_at, default=None)


class SweepUseCases(ServiceCore):
    """What runs from cron (`helpdesk-tui sla sweep`), on every active ticket."""

    def sweep(self, page_size: int = 500) -> SweepResult:
        """Evaluate every active ticket's SLA and apply the policy's breach rules once;
        remind the requesters of pending tickets and close the tickets left waiting on
        them too long (`self.followup`).

        Idempotent and safe to run twice at once: what was acted on is remembered in
        `sla_flags`, and every write is based on the version read, so of two sweeps
        acting on one ticket one wins and the other finds it done next time. Run every
        minute from cron, it acts on each event, and sends each reminder, once.
        """
        self._require(Action.VIEW)  # a deactivated agent is refused (and audited) once
        now = self.clock()
        statuses = ACTIVE_STATUSES | {Status.RESOLVED}
        query = Query(statuses=statuses, sort=SortKey.KEY, limit=page_size)
        result = SweepResult(0, [], [], [])
        run = _Run(self._repo)
        # Keys first, then each ticket fresh: the sweep's own writes must not shift pages.
        # Through the service's scope: a sweep run by someone who serves some
        # organizations acts on theirs only.
        keys = [t.key for t in iter_all(self, query, page_size)]
        for key in keys:
            try:
                ticket = self._repo.get(key)
                if not can(self.me, Action.VIEW, ticket):
                    continue  # moved to an organization the runner does not serve
                if ticket.status.is_active:
                    ticket = self._sweep_sla(ticket, now, result, run)
                self._follow_up(ticket, now, result)
            except (ConflictError, NotFound):
                continue  # changed (or gone) meanwhile: the next sweep looks again
        return result

    def _sweep_sla(self, ticket: Ticket, now: datetime, result: SweepResult, run: _Run) -> Ticket:
        key = ticket.key
        result.evaluated += 1
        policy = self._policy_of(ticket)
        for status in sla.evaluate(ticket, policy, now):
            event = _sla_event(status)
            if event is None:
                continue
            flag = f"{status.kind.value}:{event}"
            if flag in ticket.sla_flags:
                continue
            action = policy.action_for(ticket.priority, event)
            reason = f"SLA {status.kind.label} {event.replace('_', ' ')}"
            plan = self._plan(ticket, action, reason, now, run)
            done = SweepAction(key, status.kind.value, event, plan.outcome, plan.detail)
            fields: dict[str, object] = {"sla_flags": (*ticket.sla_flags, flag), **plan.fields}
            note = None
            if plan.note is not None:
                note = Comment(CommentKind.NOTE, policy.actor, plan.note, now)
            taken = f"{action or 'no rule'} → {plan.outcome} (run by {self.me.username})"
            change = self._change(
                ticket,
                ticket.version,
                fields,
                reason,
                comment=note,
                events=[(f"sla:{event}:{status.kind.value}", taken)],
            )
            ticket = self._commit(ticket, self._as_policy(change, policy))
            (result.breached if event == "breached" else result.at_risk).append(
                (key, status.kind.value)
            )
            result.actions.append(done)
            if plan.outcome is Outcome.ESCALATED:
                result.escalated.append(key)
        return ticket

    def _policy_of(self, ticket: Ticket) -> sla.Policy:
        """The policy of the ticket's agreement: its rules act on the ticket, and its name
        signs what they do."""
        return self.policy.for_organization(ticket.organization)

    def _as_policy(self, change: Change | None, policy: sla.Policy) -> Change | None:
        """`change` as the policy's doing: the history names the policy, not the login
        that ran the sweep (which the event's detail keeps)."""
        return None if change is None else replace(change, actor=policy.actor)

    def _plan(
        self,
        ticket: Ticket,
        action: BreachAction | None,
        reason: str,
        now: datetime,
        run: _Run,
    ) -> _Plan:
        """What `action` (the rule for this event) does to `ticket` now."""
        if action is None:
            return _Plan(Outcome.RECORDED, "recorded (the policy has no rule for it)")
        if action.verb is sla.ActionVerb.NOTIFY:
            return self._notify(ticket, action, run)
        if action.target == "lead":
            if ticket.escalation is Escalation.AWAITING_LEAD:
                return _Plan(Outcome.RECORDED, "recorded (already waiting for a lead's review)")
            fields = escalation.request_review(ticket, reason, self._policy_of(ticket).actor, now)
            return _Plan(Outcome.REVIEW, "sent to a lead's review", fields)
        if action.tier is None or action.tier <= ticket.tier:
            return _Plan(Outcome.RECORDED, f"recorded (already at tier {ticket.tier})")
        if ticket.assignee is None:
            actor = self._policy_of(ticket).actor
            fields = escalation.change_tier(ticket, action.tier, reason, actor, now)
            detail = f"tier {ticket.tier} → {action.tier}, unassigned: waits for tier {action.tier}"
            return _Plan(Outcome.ESCALATED, detail, fields)
        return self._escalate_assigned(ticket, action, reason, now, run)

    def _notify(self, ticket: Ticket, action: BreachAction, run: _Run) -> _Plan:
        added = _new_watchers(ticket, run.audience(ticket, action.target))
        who = "the leads" if action.tier is None else f"tier {action.tier}"
        if not added:
            return _Plan(Outcome.RECORDED, f"recorded ({who}: all watching already)")
        fields: dict[str, object] = {"watchers": (*ticket.watchers, *added)}
        detail = f"notified {who}: {', '.join(added)} now watching"
        return _Plan(Outcome.NOTIFIED, detail, fields)

    def _escalate_assigned(
        self,
        ticket: Ticket,
        action: BreachAction,
        reason: str,
        now: datetime,
        run: _Run,
    ) -> _Plan:
        """An escalation of a ticket somebody holds: a notice instead when an agent is
        working it and the policy says so, else the move the rule names."""
        assert action.tier is not None and ticket.assignee is not None
        policy = self._policy_of(ticket)
        window = policy.worked_window(ticket.priority)
        last = run.last_activity(ticket)
        worked = policy.is_worked(ticket, last.created_at if last else None, now)
        lately = _lately(last, now)
        when_worked = policy.rule(ticket.priority).when_worked
        if not worked or when_worked is WhenWorked.REASSIGN:
            moved = escalation.change_tier(ticket, action.tier, reason, policy.actor, now)
            why = (
                f"{lately}, but when_worked = reassign"
                if worked
                else f"no agent reply or note within {_window_words(window)}"
            )
            detail = f"tier {ticket.tier} → {action.tier}, taken from {ticket.assignee} ({why})"
            return _Plan(Outcome.ESCALATED, detail, moved)
        audience = [*run.audience(ticket, "lead"), *run.audience(ticket, action.target)]
        added = _new_watchers(ticket, audience)
        watching = ", ".join(added) if added else "nobody new"
        detail = f"stays with {ticket.assignee} ({lately}); watching: {watching}"
        fields: dict[str, object] = {"watchers": (*ticket.watchers, *added)} if added else {}
        if ticket.key in run.noticed and not added:  # the note of this sweep says it all
            return _Plan(Outcome.KEPT, f"stays with {ticket.assignee}")
        run.noticed.add(ticket.key)
        note = (
            f"{reason}. The policy's rule ({action}) would move this ticket to tier "
            f"{action.tier}, but it is being worked: {lately}, within the "
            f"{_window_words(window)} that counts as worked for "
            f"{ticket.priority.short}. It stays with {ticket.assignee}; now watching: "
            f"{watching}."
        )
        return _Plan(Outcome.KEPT, detail, fields, note)

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
            self._commit(
                ticket, self._change(ticket, ticket.version, fields, step.reason, mail=mail)
            )
            result.closed.append(ticket.key)
            return
        closes = "" if step.closes_at is None else step.closes_at.isoformat()
        mail = self._mail(ticket, MailKind.REMINDER, number=str(step.number), close_date=closes)
        self._commit(
            ticket,
            self._change(
                ticket,
                ticket.version,
                {"sla_flags": step.flags},
                step.reason,
                events=[("followup:reminder", str(step.number))],
                mail=mail,
            ),
        )
        result.reminded.append(ticket.key)


def _sla_event(status: TargetStatus) -> str | None:
    if status.state is sla.ClockState.BREACHED and status.stopped_at is None:
        return "breached"
    if status.state is sla.ClockState.RUNNING and status.at_risk:
        return "at_risk"
    return None


def _new_watchers(ticket: Ticket, names: list[str]) -> list[str]:
    """`names` not watching `ticket` yet, each once, in order."""
    return [n for n in dict.fromkeys(names) if n not in ticket.watchers]


def _lately(last: Comment | None, now: datetime) -> str:
    """The latest agent activity in words: "dmitri's note 12m ago"."""
    if last is None:
        return "no reply or note by an agent"
    kind = "note" if last.kind is CommentKind.NOTE else "reply"
    if now - last.created_at < timedelta(minutes=1):
        return f"{last.author}'s {kind} just now"
    return f"{last.author}'s {kind} {_span(now - last.created_at)} ago"


def _window_words(window: sla.WorkedWindow) -> str:
    """ "1h", or "4h of business hours" when the window counts on a business calendar."""
    span = _span(window.duration)
    return span if window.calendar.always_open else f"{span} of {window.calendar.name} hours"


def _span(delta: timedelta) -> str:
    """A duration as a sentence reads it: "under 1m", "12m", "5h47m", "2d3h"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under 1m"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{minutes}m"
