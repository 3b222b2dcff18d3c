"""Moving a ticket between tiers and to a team lead, and deciding on it.

Functions here return the field changes a write must carry; the service checks who
may do it, and the store records each change in the ticket's history.
"""

from __future__ import annotations

import enum
from datetime import datetime

from .model import MAX_BODY, TIERS, Escalation, Ticket


class EscalationError(ValueError):
    """An escalation the rules refuse; the message says why."""


class ReviewDecision(enum.StrEnum):
    """What a lead (or the receiving tier) does with an escalated ticket."""

    ACCEPT = "accept"
    """Take it: the lead (or the receiving agent) becomes the assignee."""
    REASSIGN = "reassign"
    """Hand it to a named agent."""
    DECLINE = "decline"
    """Send it back where it came from, with a reason."""


def _need_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise EscalationError(f"{what} needs a reason")
    return reason.strip()


def _check_open(ticket: Ticket) -> None:
    if not ticket.status.is_active:
        raise EscalationError(f"{ticket.key} is {ticket.status.label}: only open work escalates")


def change_tier(
    ticket: Ticket,
    to_tier: int,
    reason: str | None,
    actor: str,
    at: datetime,
    *,
    assignee_tier: int | None = None,
    follow: bool = False,
) -> dict[str, object]:
    """Move a ticket up (escalate) or down (de-escalate) a tier, with a required reason.

    Up to a tier its assignee works at (`assignee_tier`, the assignee's own tier, is at
    least `to_tier`: a tier-3 engineer moving a tier-2 ticket into tier 3), the assignee
    keeps it and nobody has to accept it. Otherwise the ticket is handed on: unassigned,
    waiting for the receiving tier to accept it. With `follow` (`actor` is an agent,
    not a rule), whoever escalates and the assignee it leaves keep it as watchers.
    """
    _check_open(ticket)
    if to_tier not in TIERS:
        raise EscalationError(f"tier must be 1, 2 or 3, not {to_tier}")
    if to_tier == ticket.tier:
        raise EscalationError(f"{ticket.key} is already at tier {to_tier}")
    why = _need_reason(reason, "moving a ticket to another tier")
    record: dict[str, object] = {
        "escalation_reason": why,
        "escalated_by": actor,
        "escalated_at": at,
        "escalated_from_tier": ticket.tier,
    }
    kept = (
        ticket.assignee is not None
        and to_tier > ticket.tier
        and assignee_tier is not None
        and assignee_tier >= to_tier
    )
    if kept:
        changes: dict[str, object] = {"tier": to_tier}
        # A pending lead review keeps its own reason; the move's is in the history.
        if ticket.escalation is not Escalation.AWAITING_LEAD:
            changes |= {"escalation": Escalation.NONE, **record}
        if follow:
            changes["watchers"] = with_watchers(ticket, actor if actor != ticket.assignee else None)
        return changes
    changes = {"tier": to_tier, "assignee": None, "escalation": Escalation.AWAITING_TIER, **record}
    if follow:
        changes["watchers"] = with_watchers(ticket, actor, ticket.assignee)
    return changes


def with_watchers(ticket: Ticket, *names: str | None) -> tuple[str, ...]:
    """The ticket's watchers with `names` added (each once; None skipped)."""
    watchers = list(ticket.watchers)
    for name in names:
        if name and name not in watchers:
            watchers.append(name)
    return tuple(watchers)


def decision_comment(text: str | None) -> str | None:
    """A decision's comment as it is kept (None when there is none), or EscalationError
    when it is longer than any message may be."""
    if text is None or not text.strip():
        return None
    kept = text.strip()
    if len(kept) > MAX_BODY:
        raise EscalationError(f"the decision's comment is longer than {MAX_BODY} characters")
    return kept


def request_review(
    ticket: Ticket, reason: str | None, actor: str, at: datetime
) -> dict[str, object]:
    """Send a ticket to a team lead for review (e.g. the customer disputes an outcome)."""
    if ticket.status.is_final:
        raise EscalationError(f"{ticket.key} is {ticket.status.label}: nothing left to review")
    if ticket.escalation is Escalation.AWAITING_LEAD:
        raise EscalationError(f"{ticket.key} is already waiting for a lead's review")
    why = _need_reason(reason, "asking a lead for review")
    return {
        "escalation": Escalation.AWAITING_LEAD,
        "escalation_reason": why,
        "escalated_by": actor,
        "escalated_at": at,
        "escalated_from_tier": ticket.tier,
    }


def decide(
    ticket: Ticket,
    decision: ReviewDecision,
    actor: str,
    reason: str | None = None,
    assignee: str | None = None,
) -> dict[str, object]:
    """Resolve a pending escalation: accept, reassign to `assignee`, or decline with a reason.

    Declining returns a tier escalation to the tier it came from and its previous
    owner; declining a lead review leaves the ticket with whoever sent it.
    """
    if ticket.escalation is Escalation.NONE:
        raise EscalationError(f"{ticket.key} is not waiting for anybody's decision")
    changes: dict[str, object] = {"escalation": Escalation.NONE}
    if decision is ReviewDecision.ACCEPT:
        changes["assignee"] = actor
    elif decision is ReviewDecision.REASSIGN:
        if not assignee:
            raise EscalationError("reassigning needs the agent to hand the ticket to")
        changes["assignee"] = assignee
    else:
        _need_reason(reason, "declining an escalation")
        if ticket.escalation is Escalation.AWAITING_TIER and ticket.escalated_from_tier:
            changes["tier"] = ticket.escalated_from_tier
        changes["assignee"] = ticket.escalated_by
    return changes


def pending_for(ticket: Ticket) -> str | None:
    """Who the ticket waits for, in words, or None."""
    if ticket.escalation is Escalation.AWAITING_TIER:
        return f"tier {ticket.tier}"
    if ticket.escalation is Escalation.AWAITING_LEAD:
        return "a lead's review"
    return None
