"""SLA agreements through the service, on SQLite and PostgreSQL: the stored SLA columns
(the queue's sort) follow the ticket's agreement, an edit of its organization moves
them, and the sweep acts by the agreement's rules in its policy's name.

Friday 2026-03-06 17:00 UTC: one hour of the default policy's business day is left,
so a P3's first response is due Monday 12:00; Acme Corp's agreement (24x7) says 21:00.
"""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk_tui.domain.model import Priority, Ticket
from helpdesk_tui.domain.sla import parse_policy, with_agreements
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.store.base import Query, SortKey
from tests.domain.test_sla_agreements import AROUND_THE_CLOCK
from tests.service.conftest import Desk

FRIDAY_EVENING = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
AGREED_DUE = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
STANDARD_DUE = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
POLICY = with_agreements(load_policy("default"), {"Acme Corp": parse_policy(AROUND_THE_CLOCK)})


def service(desk: Desk, who: str = "dave") -> HelpdeskService:
    return HelpdeskService(desk.signed_in(who), POLICY, lambda: desk.now, desk.repo.get_agent(who))


def opened(desk: Desk, subject: str, organization: str) -> Ticket:
    draft = TicketDraft(subject, priority=Priority.MEDIUM, organization=organization)
    return service(desk).create(draft)


def test_the_stored_due_time_and_the_queue_order_follow_the_agreement(desk: Desk) -> None:
    desk.now = FRIDAY_EVENING
    other = opened(desk, "Invoices missing", "Initech")
    acme = opened(desk, "Checkout fails", "acme corp")
    assert desk.repo.get(other.key).sla_due_at == STANDARD_DUE
    assert desk.repo.get(acme.key).sla_due_at == AGREED_DUE
    page = service(desk).query(Query(sort=SortKey.SLA_DUE))
    assert [t.key for t in page.tickets] == [acme.key, other.key]
    # The SLA cell the queue shows for each agrees with the order it is sorted in.
    dues = [min(s.due_at for s in service(desk).sla(t) if s.due_at) for t in page.tickets]
    assert dues == [AGREED_DUE, STANDARD_DUE]


def test_moving_a_ticket_to_an_organization_with_an_agreement_moves_its_due_time(
    desk: Desk,
) -> None:
    desk.now = FRIDAY_EVENING
    ticket = opened(desk, "Invoices missing", "Initech")
    moved = service(desk).update(ticket.key, ticket.version, organization="ACME Corp")
    assert moved.sla_due_at == AGREED_DUE == desk.repo.get(ticket.key).sla_due_at
    back = service(desk).update(moved.key, moved.version, organization="Initech")
    assert desk.repo.get(back.key).sla_due_at == STANDARD_DUE


def test_the_sweep_acts_by_the_agreement_in_its_name(desk: Desk) -> None:
    desk.now = FRIDAY_EVENING
    acme = opened(desk, "Checkout fails", "Acme Corp")
    other = opened(desk, "Invoices missing", "Initech")
    desk.now = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)  # past 21:00, long before Monday
    result = service(desk).sweep()
    assert result.breached == [(acme.key, "first_response")]
    assert other.key not in {key for key, _clock in result.at_risk + result.breached}
    actors = {entry.actor for entry in desk.repo.history(acme.key)}
    assert "sla:care365" in actors and "sla:default" not in actors
