"""Escalation: to a higher tier, to a lead's review, and the decision on it."""

from __future__ import annotations

from ..domain import escalation
from ..domain.access import Action
from ..domain.escalation import ReviewDecision
from ..domain.model import Escalation, Ticket
from ..store.base import Change
from .core import ServiceCore


class EscalationUseCases(ServiceCore):
    """Move a ticket up a tier or to a lead, and decide on what waits for a decision."""

    def escalate(self, key: str, base_version: int, to_tier: int, reason: str | None) -> Ticket:
        ticket = self._for(Action.ESCALATE, key)
        fields = escalation.change_tier(ticket, to_tier, reason, self.me.username, self.clock())
        return self._commit(ticket, self._change(ticket, base_version, fields, reason))

    def request_review(self, key: str, base_version: int, reason: str | None) -> Ticket:
        ticket = self._for(Action.ESCALATE, key)
        fields = escalation.request_review(ticket, reason, self.me.username, self.clock())
        return self._commit(ticket, self._change(ticket, base_version, fields, reason))

    def decide(
        self,
        key: str,
        base_version: int,
        decision: ReviewDecision,
        reason: str | None = None,
        assignee: str | None = None,
    ) -> Ticket:
        """Accept, reassign or decline an escalation waiting for a tier or a lead."""
        ticket = self._repo.get(key)
        change = self._decision_change(ticket, base_version, decision, reason, assignee)
        return self._commit(ticket, change)

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
