"""Escalation as the support process describes it (issue 14, acceptance line 3), on
every store: SQLite, PostgreSQL (HELPDESK_TEST_PG_URL) and Request Tracker 5.

Escalating to a higher tier hands the ticket on and keeps whoever escalated watching
it; escalating within one's own tier, or to a lead, leaves it with its assignee; taking
a waiting ticket accepts the escalation; a decision carries a comment, kept as an
internal note and in its history entry; the history reads as one sentence per action.
"""

from __future__ import annotations

import pytest

from helpdesk_tui.domain import escalation
from helpdesk_tui.domain.escalation import EscalationError, ReviewDecision
from helpdesk_tui.domain.model import MAX_BODY, CommentKind, Escalation
from helpdesk_tui.service import ServiceError
from helpdesk_tui.store.base import Change
from tests.conftest import EVERY_STORE, FROZEN
from tests.service.conftest import Desk

pytestmark = EVERY_STORE

# --- who keeps the ticket ------------------------------------------------------------------


def test_up_a_tier_hands_it_on_and_the_agent_keeps_watching(desk: Desk) -> None:
    ticket = desk.escalated()
    assert (ticket.tier, ticket.assignee) == (2, None)
    assert ticket.escalation is Escalation.AWAITING_TIER
    assert "alice" in ticket.watchers
    stored = desk.repo.get(ticket.key)
    assert (stored.escalated_by, stored.escalated_from_tier) == ("alice", 1)
    assert stored.escalation_reason == "needs log analysis"
    assert "alice" in stored.watchers
    assert desk.sentences(ticket.key)[-1] == (
        "Escalated from tier 1 to tier 2 by alice: needs log analysis"
        " · Assignee: alice → nobody · Watchers: + alice"
    )


def test_within_ones_own_tier_the_assignee_keeps_it(desk: Desk) -> None:
    held = desk.held("carol", 2)  # a tier-3 engineer on a tier-2 ticket
    moved = desk.as_("carol").escalate(held.key, held.version, 3, "platform-wide failure")
    assert (moved.tier, moved.assignee, moved.escalation) == (3, "carol", Escalation.NONE)
    assert moved.watchers == ()  # she holds it: nothing to watch
    stored = desk.repo.get(held.key)
    assert (stored.escalated_by, stored.escalated_from_tier) == ("carol", 2)
    assert stored.escalation_reason == "platform-wide failure"
    assert desk.sentences(held.key)[-1] == (
        "Escalated from tier 2 to tier 3 by carol: platform-wide failure"
    )


def test_to_a_lead_the_assignee_keeps_it(desk: Desk) -> None:
    held = desk.held("bob", 2)
    sent = desk.as_("bob").request_review(held.key, held.version, "customer disputes the fix")
    assert (sent.assignee, sent.escalation) == ("bob", Escalation.AWAITING_LEAD)
    assert desk.sentences(held.key)[-1] == (
        "Sent for a lead's review by bob: customer disputes the fix"
    )


def test_a_lead_escalating_someone_elses_ticket_leaves_both_watching(desk: Desk) -> None:
    held = desk.held("bob", 2)
    moved = desk.as_("dave").escalate(held.key, held.version, 3, "needs a specialist")
    assert (moved.assignee, moved.escalation) == (None, Escalation.AWAITING_TIER)
    assert set(moved.watchers) == {"dave", "bob"}


def test_down_a_tier_hands_it_back_and_keeps_the_agent_watching(desk: Desk) -> None:
    held = desk.held("carol", 3)
    moved = desk.as_("carol").escalate(held.key, held.version, 2, "tier 2 can answer this")
    assert (moved.tier, moved.assignee, moved.escalation) == (2, None, Escalation.AWAITING_TIER)
    assert moved.watchers == ("carol",)
    assert desk.sentences(held.key)[-1].startswith(
        "Moved down from tier 3 to tier 2 by carol: tier 2 can answer this"
    )


# --- taking accepts ------------------------------------------------------------------------


def test_taking_a_waiting_ticket_accepts_the_escalation(desk: Desk) -> None:
    waiting = desk.escalated()
    taken = desk.as_("bob").take(waiting.key, waiting.version)
    assert (taken.assignee, taken.escalation) == ("bob", Escalation.NONE)
    history = desk.repo.history(waiting.key)
    assert [(e.actor, e.field) for e in history if e.field.startswith("decision:")] == [
        ("bob", "decision:accept")
    ]
    assert desk.sentences(waiting.key)[-1] == "Escalation accepted by bob"


def test_a_lead_assigning_a_waiting_ticket_reassigns_the_escalation(desk: Desk) -> None:
    waiting = desk.escalated()
    before = desk.snapshot(waiting.key)
    with pytest.raises(ServiceError, match="alice is tier 1"):
        desk.as_("dave").assign(waiting.key, waiting.version, "alice")  # below its tier
    assert desk.snapshot(waiting.key) == before
    given = desk.as_("dave").assign(waiting.key, waiting.version, "bob")
    assert (given.assignee, given.escalation) == ("bob", Escalation.NONE)
    assert desk.sentences(waiting.key)[-1] == "Escalation reassigned to bob by dave"


# --- the decision's comment ----------------------------------------------------------------


def test_a_decision_comment_is_a_note_and_in_the_history(desk: Desk) -> None:
    waiting = desk.escalated()
    notes = len(desk.repo.comments(waiting.key))
    decided = desk.as_("bob").decide(
        waiting.key, waiting.version, ReviewDecision.ACCEPT, comment="  on it, logs next  "
    )
    assert (decided.assignee, decided.escalation) == ("bob", Escalation.NONE)
    comments = desk.repo.comments(waiting.key)
    assert len(comments) == notes + 1
    assert (comments[-1].kind, comments[-1].author) == (CommentKind.NOTE, "bob")
    assert comments[-1].body == "on it, logs next"
    entry = next(e for e in desk.repo.history(waiting.key) if e.field == "decision:accept")
    assert entry.new == "on it, logs next"
    assert desk.sentences(waiting.key)[-1] == "Escalation accepted by bob: on it, logs next"


@pytest.mark.parametrize("empty", [None, "", "   \n  "])
def test_an_empty_comment_adds_no_note(desk: Desk, empty: str | None) -> None:
    waiting = desk.escalated()
    notes = len(desk.repo.comments(waiting.key))
    desk.as_("dave").decide(
        waiting.key, waiting.version, ReviewDecision.REASSIGN, assignee="bob", comment=empty
    )
    assert len(desk.repo.comments(waiting.key)) == notes
    assert desk.repo.get(waiting.key).assignee == "bob"
    assert desk.sentences(waiting.key)[-1] == "Escalation reassigned to bob by dave"


def test_a_comment_over_the_body_limit_is_refused_and_nothing_written(desk: Desk) -> None:
    waiting = desk.escalated()
    before = desk.snapshot(waiting.key)
    with pytest.raises(EscalationError, match=f"longer than {MAX_BODY} characters"):
        desk.as_("bob").decide(
            waiting.key, waiting.version, ReviewDecision.ACCEPT, comment="x" * (MAX_BODY + 1)
        )
    assert desk.snapshot(waiting.key) == before


def test_a_decline_takes_its_comment_as_the_reason(desk: Desk) -> None:
    waiting = desk.escalated()
    before = desk.snapshot(waiting.key)
    with pytest.raises(EscalationError, match="needs a reason"):
        desk.as_("bob").decide(waiting.key, waiting.version, ReviewDecision.DECLINE, comment=" ")
    assert desk.snapshot(waiting.key) == before
    back = desk.as_("bob").decide(
        waiting.key, waiting.version, ReviewDecision.DECLINE, comment="tier 1 can reset it"
    )
    assert (back.tier, back.assignee, back.escalation) == (1, "alice", Escalation.NONE)
    assert desk.repo.comments(waiting.key)[-1].body == "tier 1 can reset it"
    assert desk.sentences(waiting.key)[-1] == (
        "Escalation declined by bob: tier 1 can reset it · Tier: 2 → 1 · Assignee: nobody → alice"
    )


def test_declining_a_rules_escalation_leaves_it_unassigned(desk: Desk) -> None:
    held = desk.held("alice", 1)
    fields = escalation.change_tier(held, 2, "SLA resolution breached", "sla-sweep", FROZEN)
    swept = desk.repo.apply(Change(held.key, held.version, "sla-sweep", FROZEN, fields))
    back = desk.as_("dave").decide(
        held.key, swept.version, ReviewDecision.DECLINE, "the clock was paused wrongly"
    )
    assert (back.tier, back.assignee) == (1, None)  # "sla-sweep" is nobody to hand it to


def test_a_lead_review_decision_reads_as_a_review(desk: Desk) -> None:
    held = desk.held("bob", 2)
    sent = desk.as_("bob").request_review(held.key, held.version, "customer disputes the fix")
    desk.as_("dave").decide(
        held.key, sent.version, ReviewDecision.DECLINE, comment="the fix stands"
    )
    assert desk.sentences(held.key)[-1] == "Review declined by dave: the fix stands"
    assert desk.repo.get(held.key).assignee == "bob"
