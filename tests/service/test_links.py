"""Links between tickets and the outage update (issue 16, line 2) on SQLite, PostgreSQL
and RT (RT's own RefersTo, MemberOf and DependsOn links)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpdesk_tui.domain.access import AccessDenied
from helpdesk_tui.domain.links import LinkKind, TicketLink
from helpdesk_tui.domain.model import CommentKind, Status
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.service.errors import ServiceError
from helpdesk_tui.store.base import InvalidInput
from tests.conftest import EVERY_STORE

from .conftest import Desk

pytestmark = EVERY_STORE


def test_links_are_made_read_from_both_ends_and_removed(desk: Desk, backend: str) -> None:
    lead = desk.as_("dave")
    parent = lead.create(TicketDraft("Migrate the mail servers"))
    child = lead.create(TicketDraft("Move the Oslo mailboxes"))
    other = lead.create(TicketDraft("Oslo office VPN"))

    made = lead.link(parent.key, "parent-of", child.key)
    assert made == TicketLink(child.key, LinkKind.CHILD_OF, parent.key)
    lead.link(other.key, "relates-to", child.key)

    from_child = {(s.relation, s.other.key) for s in lead.links(desk.repo.get(child.key))}
    assert from_child == {("child of", parent.key), ("related to", other.key)}
    from_parent = [(s.relation, s.other.key) for s in lead.links(desk.repo.get(parent.key))]
    assert from_parent == [("parent of", child.key)]
    # A link is no field: neither ticket's version moved, so no open edit conflicts.
    assert desk.repo.get(parent.key).version == parent.version

    with pytest.raises(InvalidInput, match="linked already"):
        lead.link(child.key, "incident-of", parent.key)
    with pytest.raises(ServiceError, match="not a relation: 'sibling-of'"):
        lead.link(child.key, "sibling-of", other.key)
    with pytest.raises(ServiceError, match="itself"):
        lead.link(child.key, "relates", child.key)

    # Removed from the far end of a "relates" link: either way round is the same link.
    lead.unlink(child.key, other.key)
    assert [s.other.key for s in lead.links(desk.repo.get(other.key))] == []
    with pytest.raises(ServiceError, match="not linked"):
        lead.unlink(child.key, other.key)
    if backend != "rt":  # RT writes a link's history itself, as RT's own transactions
        said = [(e.field, e.old, e.new) for e in desk.repo.history(parent.key)]
        assert ("link", None, f"parent of {child.key}") in said


def test_a_link_to_a_ticket_out_of_the_agents_organizations_is_refused(desk: Desk) -> None:
    lead = desk.as_("dave")
    ours = lead.create(TicketDraft("VPN drops", organization="Acme"))
    theirs = lead.create(TicketDraft("VPN drops too", organization="Globex"))
    alice = replace(desk.repo.get_agent("alice"), organizations=("Acme",))
    service = HelpdeskService(
        desk.signed_in("alice"), load_policy("default"), lambda: desk.now, alice
    )
    with pytest.raises(AccessDenied):
        service.link(ours.key, "relates", theirs.key)
    assert lead.links(desk.repo.get(ours.key)) == []
    # Made by the lead, the link is in the lead's export, not in alice's: she may not
    # learn that Globex's ticket exists.
    lead.link(ours.key, "relates", theirs.key)
    assert [r.target for r in lead.link_records(desk.repo.get(ours.key))] == [theirs.key]
    assert service.link_records(service.get(ours.key)) == []


def test_the_outage_update_reaches_every_open_incident_of_a_problem(desk: Desk) -> None:
    lead = desk.as_("dave")
    problem = lead.create(TicketDraft("Certificate expired on the portal"))
    incidents = [
        lead.create(TicketDraft(f"Portal says insecure ({n})", requester_email=f"c{n}@x.org"))
        for n in range(3)
    ]
    for incident in incidents:
        lead.link(problem.key, "problem-of", incident.key)
    done = incidents[2]
    done = lead.set_status(done.key, done.version, Status.CANCELLED, "duplicate")

    before = len(desk.repo.comments(incidents[0].key))
    open_ones = [t.key for t in lead.incidents(desk.repo.get(problem.key))]
    assert open_ones == [incidents[0].key, incidents[1].key]
    with pytest.raises(ServiceError, match="2 open incidents now, not 3"):
        lead.outage_update(problem.key, "Fixed.", None, expected=3)
    with pytest.raises(ServiceError, match="write a reply or choose a status"):
        lead.outage_update(problem.key, "  ", None, expected=2)
    # A status none of them can take: nothing sent, and no note on the problem says so.
    notes = len(desk.repo.comments(problem.key))
    with pytest.raises(ServiceError, match=r"sent to none of the incidents.*already new"):
        lead.outage_update(problem.key, "", Status.NEW, expected=2)
    assert len(desk.repo.comments(problem.key)) == notes
    assert len(desk.repo.comments(incidents[0].key)) == before  # nothing was sent

    text = "The certificate is renewed; the portal is secure again."
    result = lead.outage_update(problem.key, text, Status.RESOLVED, expected=2)

    assert result.done == open_ones and result.failed == []
    for key in open_ones:
        ticket = desk.repo.get(key)
        assert ticket.status is Status.RESOLVED
        last = desk.repo.comments(key)[-1]
        assert (last.kind, last.body) == (CommentKind.REPLY, text)
    assert desk.repo.get(done.key).status is Status.CANCELLED
    note = desk.repo.comments(problem.key)[-1]
    assert note.kind is CommentKind.NOTE
    assert note.body.startswith(f"Outage update sent to 2 incidents: {', '.join(open_ones)}")

    with pytest.raises(ServiceError, match="has no open incidents"):
        lead.outage_update(problem.key, "Again.", None, expected=0)
    solo = lead.create(TicketDraft("Mail relay down"))
    incident = lead.create(TicketDraft("No mail since 9", requester_email="c9@x.org"))
    lead.link(solo.key, "problem-of", incident.key)
    lead.outage_update(solo.key, "Relay restarted.", None, expected=1)
    note = desk.repo.comments(solo.key)[-1]
    assert note.body.startswith(f"Outage update sent to 1 incident: {incident.key}\n")
