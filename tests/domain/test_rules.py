"""Lifecycle, escalation and access rules: each refusal carries its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_tui.domain import escalation, lifecycle
from helpdesk_tui.domain.access import Action, can
from helpdesk_tui.domain.escalation import EscalationError, ReviewDecision
from helpdesk_tui.domain.lifecycle import TransitionError
from helpdesk_tui.domain.model import Agent, Escalation, Role, Status, Ticket

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def ticket(**kw: object) -> Ticket:
    base = Ticket(key="HD-1", subject="Printer on fire", created_at=T0, updated_at=T0)
    return base.with_changes(**kw)


@pytest.mark.parametrize(
    ("start", "to", "ok"),
    [
        (Status.NEW, Status.OPEN, True),
        (Status.OPEN, Status.PENDING, True),
        (Status.PENDING, Status.OPEN, True),
        (Status.RESOLVED, Status.OPEN, True),
        (Status.RESOLVED, Status.CLOSED, True),
        (Status.CLOSED, Status.OPEN, False),
        (Status.CANCELLED, Status.OPEN, False),
        (Status.NEW, Status.CLOSED, False),
        (Status.OPEN, Status.NEW, False),
    ],
)
def test_transition_table(start: Status, to: Status, ok: bool) -> None:
    t = ticket(status=start, first_response_at=T0)
    if ok:
        lifecycle.check_transition(t, to)
    else:
        with pytest.raises(TransitionError):
            lifecycle.check_transition(t, to)


def test_closed_is_final_and_says_follow_up() -> None:
    with pytest.raises(TransitionError, match="follow-up"):
        lifecycle.check_transition(ticket(status=Status.CLOSED), Status.OPEN)


def test_resolve_needs_a_public_reply_unless_replying_now() -> None:
    t = ticket(status=Status.OPEN)
    with pytest.raises(TransitionError, match="public reply"):
        lifecycle.check_transition(t, Status.RESOLVED)
    lifecycle.check_transition(t, Status.RESOLVED, replying=True)


@pytest.mark.parametrize("to", [Status.CANCELLED, Status.ON_HOLD])
def test_reason_required(to: Status) -> None:
    with pytest.raises(TransitionError, match="needs a reason"):
        lifecycle.check_transition(ticket(status=Status.OPEN), to, "  ")
    lifecycle.check_transition(ticket(status=Status.OPEN), to, "duplicate of HD-7")


def test_status_fields_record_pauses_and_timestamps() -> None:
    t = ticket(status=Status.OPEN)
    later = T0 + timedelta(hours=2)
    pending = t.with_changes(**lifecycle.status_fields(t, Status.PENDING, T0))
    assert pending.pauses[-1].end is None and pending.pauses[-1].status is Status.PENDING
    back = pending.with_changes(**lifecycle.status_fields(pending, Status.OPEN, later))
    assert back.pauses[-1].end == later
    resolved = back.with_changes(**lifecycle.status_fields(back, Status.RESOLVED, later))
    assert resolved.resolved_at == later
    reopened = resolved.with_changes(**lifecycle.status_fields(resolved, Status.OPEN, later))
    assert reopened.resolved_at is None
    closed_fields = lifecycle.status_fields(resolved, Status.CLOSED, later)
    assert closed_fields["closed_at"] == later


def test_escalation_up_and_decline_returns_it() -> None:
    t = ticket(status=Status.OPEN, tier=1, assignee="alice")
    fields = escalation.change_tier(t, 2, "needs log analysis", "alice", T0)
    assert fields["tier"] == 2 and fields["assignee"] is None
    up = t.with_changes(**fields)
    assert up.escalation is Escalation.AWAITING_TIER
    declined = escalation.decide(up, ReviewDecision.DECLINE, "dmitri", "tier 1 can fix it")
    assert declined == {"escalation": Escalation.NONE, "tier": 1, "assignee": "alice"}


def test_escalation_needs_reason_and_real_tier() -> None:
    t = ticket(status=Status.OPEN, tier=1)
    with pytest.raises(EscalationError, match="reason"):
        escalation.change_tier(t, 2, "", "alice", T0)
    with pytest.raises(EscalationError, match="already"):
        escalation.change_tier(t, 1, "x", "alice", T0)
    with pytest.raises(EscalationError, match="1, 2 or 3"):
        escalation.change_tier(t, 4, "x", "alice", T0)
    with pytest.raises(EscalationError, match="only open work"):
        escalation.change_tier(t.with_changes(status=Status.CLOSED), 2, "x", "alice", T0)


def test_lead_review_decisions() -> None:
    t = ticket(status=Status.RESOLVED, assignee="alice")
    review = t.with_changes(**escalation.request_review(t, "customer disputes", "alice", T0))
    assert review.escalation is Escalation.AWAITING_LEAD
    assert (
        escalation.decide(review, ReviewDecision.REASSIGN, "julia", assignee="hana")["assignee"]
        == "hana"
    )
    with pytest.raises(EscalationError, match="reason"):
        escalation.decide(review, ReviewDecision.DECLINE, "julia")
    with pytest.raises(EscalationError, match="already"):
        escalation.request_review(review, "again", "alice", T0)


AGENT1 = Agent("alice", "Alice", tier=1)
AGENT2 = Agent("dmitri", "Dmitri", tier=2, organizations=("Acme",))
LEAD = Agent("julia", "Julia", tier=2, role=Role.LEAD)
ADMIN = Agent("root", "Root", tier=3, role=Role.ADMIN)


@pytest.mark.parametrize(
    ("agent", "action", "t", "allowed", "why"),
    [
        (AGENT1, Action.TAKE, ticket(tier=1), True, ""),
        (AGENT1, Action.TAKE, ticket(tier=2), False, "tier 2"),
        (AGENT1, Action.TAKE, ticket(tier=1, assignee="bob"), False, "held by bob"),
        (AGENT1, Action.ASSIGN, ticket(tier=1), False, "only a lead"),
        (AGENT1, Action.UPDATE, ticket(tier=1, assignee="bob"), False, "held by bob"),
        (AGENT1, Action.UPDATE, ticket(tier=1, assignee="alice"), True, ""),
        (AGENT1, Action.DECIDE_REVIEW, ticket(), False, "only a lead"),
        (AGENT2, Action.VIEW, ticket(organization="Globex"), False, "outside the organizations"),
        (AGENT2, Action.CREATE, ticket(key="", organization="Globex"), False, "not serve Globex"),
        (AGENT2, Action.VIEW, ticket(organization="Acme"), True, ""),
        (LEAD, Action.ASSIGN, ticket(tier=3, assignee="bob"), True, ""),
        (LEAD, Action.PURGE, None, False, "only an admin"),
        (ADMIN, Action.PURGE, None, True, ""),
        (Agent("x", "X", active=False), Action.VIEW, ticket(), False, "deactivated"),
    ],
)
def test_access(agent: Agent, action: Action, t: Ticket | None, allowed: bool, why: str) -> None:
    decision = can(agent, action, t)
    assert decision.allowed is allowed
    assert why in decision.why
