"""A ticket's Customer tab: the requester's and the organization's other tickets, open
first, on every store (RT included), and only what the agent may see."""

from __future__ import annotations

from dataclasses import replace

from helpdesk_tui.domain.model import Status
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from tests.conftest import EVERY_STORE

from .conftest import Desk

pytestmark = EVERY_STORE


def test_the_requester_and_the_organization_other_tickets_open_first(desk: Desk) -> None:
    lead = desk.as_("dave")

    def made(subject: str, email: str, organization: str | None) -> str:
        draft = TicketDraft(
            subject, requester_name="Ada", requester_email=email, organization=organization
        )
        return lead.create(draft).key

    this = made("Printer jams", "ada@example.com", "Acme Retail")
    older = made("Toner empty", "ADA@example.com", "Acme Retail")
    other_org = made("VPN drops", "ada@example.com", "Globex")
    colleague = made("Badge broken", "bo@example.com", "Acme Retail")
    lookalike = made("Not hers", "bada@example.com", "Initech")
    replied = lead.reply(older, lead.get(older).version, "A new toner is on its way.")
    lead.set_status(older, replied.version, Status.RESOLVED, reason="new toner sent")

    history = lead.customer_history(lead.get(this))
    # The requester's, by address in any case (not one that merely contains it), open first.
    assert [t.key for t in history.requester] == [other_org, older]
    assert history.requester_total == 2
    assert lookalike not in {t.key for t in history.requester}
    # The organization's, by its exact name, the ticket itself left out.
    assert [t.key for t in history.organization] == [colleague, older]
    assert history.organization_total == 2


def test_an_agent_sees_only_the_organizations_it_serves(desk: Desk) -> None:
    lead = desk.as_("dave")
    mine = lead.create(TicketDraft("Printer jams", requester_email="ada@example.com")).key
    lead.create(TicketDraft("VPN drops", requester_email="ada@example.com", organization="Globex"))
    lead.create(TicketDraft("Toner", requester_email="ada@example.com", organization="Acme"))
    # Alice serving Acme only (as the service is told: RT's agents come from its config).
    alice = replace(desk.repo.get_agent("alice"), organizations=("Acme",))
    service = HelpdeskService(
        desk.signed_in("alice"), load_policy("default"), lambda: desk.now, alice
    )
    history = service.customer_history(lead.get(mine))
    assert [t.subject for t in history.requester] == ["Toner"]
