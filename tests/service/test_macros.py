"""A macro's reply and its field changes go in one version-checked write (issue 17,
line 1), on SQLite and PostgreSQL: the version moves once, every change is audited at
that version, and a change the agent may not make writes nothing."""

from __future__ import annotations

import pytest

from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.macros import Macro, MacroChanges
from helpdesk_tui.domain.model import Escalation, Priority, Status
from helpdesk_tui.service import ConflictError, ServiceError, TicketDraft
from helpdesk_tui.store.base import REFUSED
from tests.service.conftest import Desk

EVERYTHING = MacroChanges(Status.PENDING, Priority.HIGH, ("password", "vpn"), "me")


def _written(desk: Desk, key: str, version: int) -> dict[str, tuple[str | None, str | None]]:
    return {e.field: (e.old, e.new) for e in desk.repo.history(key) if e.version == version}


def test_the_reply_and_every_change_are_one_write(desk: Desk) -> None:
    dave = desk.as_("dave")
    ticket = dave.create(TicketDraft("VPN drops", tags=("vpn",)))
    alice = desk.as_("alice")
    after = alice.reply(ticket.key, ticket.version, "Reset sent", changes=EVERYTHING)
    assert after.version == ticket.version + 1
    assert after.status is Status.PENDING and after.priority is Priority.HIGH
    assert after.tags == ("vpn", "password")  # added once each, the ticket's own kept
    assert after.assignee == "alice"  # "me" is whoever sends it
    assert after.first_response_at is not None
    changed = _written(desk, ticket.key, after.version)
    assert changed["status"] == ("new", "pending")
    assert changed["priority"] == ("medium", "high")
    assert changed["assignee"][1] == "alice"
    assert "password" in str(changed["tags"][1])
    (reply,) = [c for c in desk.repo.comments(ticket.key) if c.is_public]
    assert reply.body == "Reset sent" and reply.author == "alice"


def test_a_note_carries_changes_too_and_an_explicit_status_wins(desk: Desk) -> None:
    ticket = desk.held("alice", 1)
    alice = desk.as_("alice")
    noted = alice.note(ticket.key, ticket.version, "Asked", changes=MacroChanges(tags=("x",)))
    assert (noted.version, noted.tags, noted.status) == (ticket.version + 1, ("x",), ticket.status)
    replied = alice.reply(
        ticket.key, noted.version, "Fixed", status=Status.RESOLVED, changes=EVERYTHING
    )
    assert replied.status is Status.RESOLVED and replied.version == noted.version + 1


def test_nothing_to_change_is_just_a_reply(desk: Desk) -> None:
    ticket = desk.held("alice", 1)
    after = desk.as_("alice").reply(
        ticket.key, ticket.version, "Hi", changes=MacroChanges(assignee="me")
    )
    assert after.version == ticket.version + 1 and after.assignee == "alice"
    assert "assignee" not in _written(desk, ticket.key, after.version)


def _unmoved(desk: Desk, key: str, before: tuple[object, int, int]) -> None:
    ticket, messages, _entries = before
    assert desk.repo.get(key) == ticket
    assert len(desk.repo.comments(key)) == messages
    # A refusal is audited (that is its record), and nothing else was written.
    assert all(e.field.startswith(REFUSED) for e in desk.repo.history(key)[_entries:])


def test_a_change_the_agent_may_not_make_writes_nothing(desk: Desk) -> None:
    ticket = desk.held("alice", 1)
    before = desk.snapshot(ticket.key)
    with pytest.raises(AccessDenied, match="only a lead assigns"):
        desk.as_("alice").reply(
            ticket.key, ticket.version, "Over to Bob", changes=MacroChanges(assignee="bob")
        )
    _unmoved(desk, ticket.key, before)
    held_by_bob = desk.held("bob", 2)
    before = desk.snapshot(held_by_bob.key)
    # Commenting is open to all; raising the priority of bob's ticket is not.
    with pytest.raises(AccessDenied, match="held by bob"):
        desk.as_("alice").reply(
            held_by_bob.key,
            held_by_bob.version,
            "Raising it",
            changes=MacroChanges(priority=Priority.CRITICAL),
        )
    _unmoved(desk, held_by_bob.key, before)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (MacroChanges(assignee="nobody-here"), "no agent called 'nobody-here'"),
        (MacroChanges(assignee="alice"), "alice is tier 1; HD-"),
        (MacroChanges(tags=("x" * 2000,)), "tags is longer than"),
    ],
)
def test_bad_changes_are_refused_before_anything_is_written(
    desk: Desk, changes: MacroChanges, words: str
) -> None:
    ticket = desk.held("dave", 2)
    before = desk.snapshot(ticket.key)
    with pytest.raises(ServiceError, match=words):
        desk.as_("dave").reply(ticket.key, ticket.version, "Hi", changes=changes)
    _unmoved(desk, ticket.key, before)


def test_a_ticket_waiting_for_its_tier_is_taken_first(desk: Desk) -> None:
    ticket = desk.escalated()
    assert ticket.escalation is Escalation.AWAITING_TIER
    before = desk.snapshot(ticket.key)
    with pytest.raises(ServiceError, match="waits for tier 2 to accept it"):
        desk.as_("bob").reply(
            ticket.key, ticket.version, "Mine", changes=MacroChanges(assignee="me")
        )
    _unmoved(desk, ticket.key, before)


def test_a_stale_version_writes_nothing(desk: Desk) -> None:
    ticket = desk.held("alice", 1)
    moved = desk.as_("alice").note(ticket.key, ticket.version, "first")
    before = desk.snapshot(ticket.key)
    with pytest.raises(ConflictError):
        desk.as_("alice").reply(ticket.key, ticket.version, "late", changes=EVERYTHING)
    _unmoved(desk, moved.key, before)


def test_render_fills_in_the_ticket_and_me(desk: Desk) -> None:
    ticket = desk.as_("dave").create(
        TicketDraft("Printer says $agent", requester_name="Eve ${key}", language="sv")
    )
    macro = Macro(
        "hi",
        "Hi",
        {"en": "Hi $requester_name", "sv": "Hej $requester_name, $agent: $subject ($key) $due"},
    )
    text = desk.as_("alice").render_macro(macro, ticket)
    assert text.startswith(f"Hej Eve ${{key}}, Alice: Printer says $agent ({ticket.key}) 20")
    assert text.endswith(" UTC")
    assert desk.as_("alice").render_macro(macro, ticket, "en") == "Hi Eve ${key}"
