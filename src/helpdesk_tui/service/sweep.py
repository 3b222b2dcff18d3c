"""The periodic sweep: SLA events and breach rules, reminders, closing for want of an answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..domain import escalation, lifecycle, sla
from ..domain.followup import FollowUpAction, MailKind, next_step
from ..domain.model import ACTIVE_STATUSES, Escalation, Status, Ticket
from ..domain.sla import BreachAction, TargetStatus
from ..store.base import ConflictError, NotFound, Query, SortKey
from .core import ServiceCore, iter_all


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
        now = self.clock()
        statuses = ACTIVE_STATUSES | {Status.RESOLVED}
        query = Query(statuses=statuses, sort=SortKey.KEY, limit=page_size)
        result = SweepResult(0, [], [], [])
        # Keys first, then each ticket fresh: the sweep's own writes must not shift pages.
        keys = [t.key for t in iter_all(self._repo, query, page_size)]
        for key in keys:
            try:
                ticket = self._repo.get(key)
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
            ticket = self._commit(
                ticket,
                self._change(
                    ticket,
                    ticket.version,
                    fields,
                    reason,
                    events=[(f"sla:{event}:{status.kind.value}", str(action or "recorded"))],
                ),
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


def _sla_event(status: TargetStatus) -> str | None:
    if status.state is sla.ClockState.BREACHED and status.stopped_at is None:
        return "breached"
    if status.state is sla.ClockState.RUNNING and status.at_risk:
        return "at_risk"
    return None
