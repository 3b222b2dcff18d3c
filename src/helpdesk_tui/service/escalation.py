"""Escalation: to a higher tier, to a lead's review, and the decision on it."""

from __future__ import annotations

from ..domain import escalation
from ..domain.access import Action
from ..domain.escalation import ReviewDecision
from ..domain.model import Comment, CommentKind, Escalation, Ticket
from ..store.base import Capability, Change, NotFound
from .checks import short_text
from .core import ServiceCore
from .errors import ServiceError


class EscalationUseCases(ServiceCore):
    """Move a ticket up a tier or to a lead, and decide on what waits for a decision."""

    def escalate(self, key: str, base_version: int, to_tier: int, reason: str | None) -> Ticket:
        """Move `key` to `to_tier`. An assignee who works at that tier keeps it; else it
        waits there, unassigned, and whoever escalated (and its assignee) watch it."""
        short_text(reason, "the reason")
        ticket = self._for(Action.ESCALATE, key)
        fields = escalation.change_tier(
            ticket,
            to_tier,
            reason,
            self.me.username,
            self.clock(),
            assignee_tier=self._tier_of(ticket.assignee),
            follow=Capability.WATCHERS in self._repo.capabilities,
        )
        return self._commit(ticket, self._change(ticket, base_version, fields, reason))

    def request_review(self, key: str, base_version: int, reason: str | None) -> Ticket:
        short_text(reason, "the reason")
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
        comment: str | None = None,
    ) -> Ticket:
        """Accept, reassign or decline an escalation waiting for a tier or a lead.

        `comment` (any decision, optional) is kept as an internal note and in the
        decision's history entry. A decline needs a reason: `reason`, else the comment.
        """
        short_text(reason, "the reason")
        ticket = self._repo.get(key)
        change = self._decision_change(ticket, base_version, decision, reason, assignee, comment)
        return self._commit(ticket, change)

    def _decision_change(
        self,
        ticket: Ticket,
        base_version: int,
        decision: ReviewDecision,
        reason: str | None = None,
        assignee: str | None = None,
        comment: str | None = None,
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
        said = escalation.decision_comment(comment)
        why = (reason or "").strip() or None
        if decision is ReviewDecision.DECLINE and why is None:
            why = said  # the dialog asks once: its comment is the decline's reason
        if assignee:
            self._check_can_hold(ticket, assignee)
        fields = escalation.decide(ticket, decision, self.me.username, why, assignee)
        if decision is ReviewDecision.DECLINE:
            fields["assignee"] = self._agent_or_none(fields.get("assignee"))
        detail = " — ".join(dict.fromkeys(t for t in (why, said) if t)) or decision.value
        now = self.clock()
        note = None if said is None else Comment(CommentKind.NOTE, self.me.username, said, now)
        return self._change(
            ticket,
            base_version,
            fields,
            detail,
            comment=note,
            events=[(f"decision:{decision.value}", detail)],
        )

    def _check_can_hold(self, ticket: Ticket, username: str) -> None:
        """Refuse handing `ticket` to an agent below its tier (leads hold any tier)."""
        agent = self._agent(username)
        if not agent.may_hold(ticket.tier):
            raise ServiceError(
                f"{username} is tier {agent.tier}; {ticket.key} needs tier {ticket.tier} or a lead"
            )

    def _agent_or_none(self, username: object) -> str | None:
        """`username` if it names an active agent; a rule (the SLA sweep) is nobody."""
        if not isinstance(username, str):
            return None
        try:
            agent = self._repo.get_agent(username)
        except NotFound:
            return None
        return username if agent.active else None
