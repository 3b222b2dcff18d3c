"""Who may do what: role (agent, lead, admin), tier, and the organizations served.

Every rule answers with a reason, so a refusal can be shown and audited as it is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .model import Agent, Role, Ticket


class Action(enum.StrEnum):
    VIEW = "view"
    COMMENT = "comment"
    UPDATE = "update"
    TAKE = "take"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    ACCEPT_ESCALATION = "accept_escalation"
    DECIDE_REVIEW = "decide_review"
    CHANGE_CSAT = "change_csat"
    CREATE = "create"
    MANAGE_AGENTS = "manage_agents"
    PURGE = "purge"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    why: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


class AccessDenied(PermissionError):
    """The acting agent may not do this; the message says why."""


def serves(agent: Agent, organization: str | None) -> bool:
    """An agent with no organizations listed serves every organization."""
    return not agent.organizations or organization is None or organization in agent.organizations


def can(agent: Agent, action: Action, ticket: Ticket | None = None) -> Decision:
    """Decide whether `agent` may do `action` (on `ticket`, when the action has one)."""
    if not agent.active:
        return Decision(False, f"{agent.username} is deactivated")
    if agent.role is Role.ADMIN:
        return ALLOW
    if action in (Action.MANAGE_AGENTS, Action.PURGE, Action.IMPORT):
        return Decision(False, f"only an admin may {action.value.replace('_', ' ')}")
    if ticket is None:
        return ALLOW
    if not serves(agent, ticket.organization):
        if not ticket.key:  # a new ticket: the organization is the one the agent gave
            return Decision(False, f"{agent.username} does not serve {ticket.organization}")
        # Not the organization's name: to this agent it is a ticket that is not there.
        return Decision(False, f"{ticket.key} is outside the organizations {agent.username} serves")
    if agent.role is Role.LEAD:
        return ALLOW
    return _agent_rule(agent, action, ticket)


def _agent_rule(agent: Agent, action: Action, ticket: Ticket) -> Decision:
    mine = ticket.assignee == agent.username
    unassigned = ticket.assignee is None
    within_tier = ticket.tier <= agent.tier
    if action in (Action.VIEW, Action.COMMENT, Action.CREATE):
        return ALLOW
    if action is Action.DECIDE_REVIEW:
        return Decision(False, "only a lead decides a review")
    if action is Action.CHANGE_CSAT:
        return Decision(False, "only a lead changes a satisfaction score once recorded")
    if action is Action.ASSIGN:
        return Decision(False, "only a lead assigns tickets to others; use take")
    if action in (Action.TAKE, Action.ACCEPT_ESCALATION):
        if not within_tier:
            return Decision(False, f"{ticket.key} is a tier {ticket.tier} ticket")
        if not (unassigned or mine):
            return Decision(False, f"{ticket.key} is held by {ticket.assignee}")
        return ALLOW
    # UPDATE and ESCALATE: your own tickets, or unassigned ones at your tier.
    if mine or (unassigned and within_tier):
        return ALLOW
    if unassigned:
        return Decision(False, f"{ticket.key} is a tier {ticket.tier} ticket")
    return Decision(False, f"{ticket.key} is held by {ticket.assignee}")


def require(agent: Agent, action: Action, ticket: Ticket | None = None) -> None:
    decision = can(agent, action, ticket)
    if not decision:
        raise AccessDenied(decision.why)
