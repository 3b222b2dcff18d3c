"""Merging a duplicate (issue 16, line 1) on SQLite, PostgreSQL and RT (RT's own merge)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.model import Status, contact_address
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import ConflictError, HelpdeskService, TicketDraft
from helpdesk_tui.service.errors import ServiceError
from helpdesk_tui.store.base import NotFound
from tests.conftest import EVERY_STORE

from .conftest import Desk

pytestmark = EVERY_STORE


def test_a_duplicate_moves_into_the_ticket_it_repeats(
    desk: Desk, tmp_path: Path, backend: str
) -> None:
    lead = desk.as_("dave")
    target = lead.create(
        TicketDraft("Portal down", requester_email="ada@example.com", organization="Acme")
    )
    desk.now += timedelta(minutes=1)
    source = lead.create(
        TicketDraft(
            "Cannot log in",
            description="The login page says 500.",
            requester_email="bo@example.com",
            organization="Acme",
        )
    )
    desk.now += timedelta(minutes=1)
    source = lead.reply(source.key, source.version, "We are looking into it.")
    log = tmp_path / "portal.log"
    log.write_text("500 at /login\n")
    source = lead.attach(source.key, source.version, log)
    source = desk.as_("bob").watch(source.key, source.version)
    desk.now += timedelta(minutes=1)
    target = lead.note(target.key, target.version, "Load balancer checked.")
    desk.now += timedelta(minutes=1)
    before = [c.body for c in desk.repo.comments(source.key)]

    kept = lead.merge(source.key, source.version, target.key, target.version)

    # The duplicate's requester is kept as a contact of the kept ticket (hears its replies).
    assert [contact_address(c) for c in kept.contacts] == ["bo@example.com"]
    came = {c.body: c.merged_from for c in desk.repo.comments(target.key)}
    assert {came[body] for body in before} == {source.key}  # each moved message is marked
    assert came["Load balancer checked."] is None
    if backend == "rt":
        # RT's own merge: RT answers for the source with the target from then on.
        assert desk.repo.get(source.key).key == target.key
        bodies = [c.body for c in desk.repo.comments(target.key)]
        assert set(before) <= set(bodies) and "Load balancer checked." in bodies
        assert bodies[-1].startswith(f"Merged {source.key}") and "bo@example.com" in bodies[-1]
        assert "bob" in kept.watchers and kept.first_response_at is not None
        return
    merged = desk.repo.get(source.key)
    assert (merged.status, merged.merged_into) == (Status.CLOSED, target.key)
    assert desk.repo.comments(source.key) == []
    bodies = [c.body for c in desk.repo.comments(target.key)]
    # The source's request (its description, the requester's words) and messages in time
    # order with the target's, then the merge's own note.
    assert bodies[:-1] == ["The login page says 500.", *before, "Load balancer checked."]
    request = desk.repo.comments(target.key)[0]
    assert (request.author, request.from_customer) == ("bo@example.com", True)
    assert request.merged_from == source.key
    assert bodies[-1].startswith(f"Merged {source.key}")
    assert f"its {len(before) + 1} messages" in bodies[-1]
    assert "bo@example.com" in bodies[-1]
    files = [a.filename for c in desk.repo.comments(target.key) for a in c.attachments]
    assert files == ["portal.log"]
    assert "bob" in kept.watchers
    # The source had answered first: the target keeps that earlier first response.
    assert kept.first_response_at == desk.repo.get(source.key).first_response_at is not None
    said = [e.field for e in desk.repo.history(target.key)]
    assert "merge:from" in said
    assert "merged_into" in [e.field for e in desk.repo.history(source.key)]


def test_a_merge_on_a_stale_version_or_a_bad_pair_writes_nothing(desk: Desk) -> None:
    lead = desk.as_("dave")
    one = lead.create(TicketDraft("Printer jams"))
    two = lead.create(TicketDraft("Printer jams again"))
    moved_on = lead.note(two.key, two.version, "Toner replaced.")
    with pytest.raises(ConflictError):
        lead.merge(one.key, one.version, two.key, two.version)
    assert desk.repo.get(one.key) == one and desk.repo.get(two.key) == moved_on
    with pytest.raises(ServiceError, match="cannot be merged into itself"):
        lead.merge(one.key, one.version, one.key, one.version)
    with pytest.raises(NotFound):
        lead.merge(one.key, one.version, "HD-99999", 1)
    lead.merge(one.key, one.version, two.key, moved_on.version)
    again = lead.get(two.key)
    with pytest.raises(ServiceError, match=r"merged into .* already"):
        lead.merge(one.key, lead.get(one.key).version, again.key, again.version)
    closed = lead.create(TicketDraft("Old"))
    closed = lead.set_status(closed.key, closed.version, Status.CANCELLED, reason="dup")
    three = lead.create(TicketDraft("Third"))
    with pytest.raises(ServiceError, match="is cancelled: reopen it"):
        lead.merge(three.key, three.version, closed.key, closed.version)
    # What the app asks before its confirmation: the same refusals, nothing written.
    with pytest.raises(ServiceError, match="is cancelled: reopen it"):
        lead.merge_target(three.key, closed.key)
    with pytest.raises(NotFound):
        lead.merge_target(three.key, "HD-99999")
    assert lead.merge_target(three.key, two.key.lower()) == lead.get(two.key)
    assert desk.repo.get(three.key) == three


def test_a_merge_across_an_organization_the_agent_does_not_serve_is_refused(
    desk: Desk,
) -> None:
    lead = desk.as_("dave")
    ours = lead.create(TicketDraft("VPN drops", organization="Acme"))
    theirs = lead.create(TicketDraft("VPN drops too", organization="Globex"))
    alice = replace(desk.repo.get_agent("alice"), organizations=("Acme",))
    service = HelpdeskService(
        desk.signed_in("alice"), load_policy("default"), lambda: desk.now, alice
    )
    with pytest.raises(AccessDenied):
        service.merge(ours.key, ours.version, theirs.key, theirs.version)
    assert desk.repo.get(ours.key) == ours and desk.repo.get(theirs.key) == theirs
