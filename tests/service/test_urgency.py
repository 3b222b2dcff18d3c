"""Most urgent first (issue 14, acceptance line 2), on SQLite, PostgreSQL and RT 5:
take next, the "Breaching soon" and "Needs first response" views and the `urgency` sort
read tickets in the one order domain/sla/urgency.py defines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from helpdesk_tui.domain.model import Priority, Status, Ticket
from helpdesk_tui.domain.sla.urgency import Urgency, urgency_key
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.service.ordering import read_urgent_first
from helpdesk_tui.service.views import SAVED_VIEWS, FilterError, parse_filter
from helpdesk_tui.store.base import Page, Query, SortKey
from tests.conftest import EVERY_STORE, FROZEN
from tests.service.conftest import Desk

pytestmark = EVERY_STORE

MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


def put(
    desk: Desk,
    subject: str,
    priority: Priority,
    due: datetime | None,
    risk: datetime | None = None,
    *,
    answered: bool = False,
) -> Ticket:
    """An unassigned tier-1 ticket with its SLA columns as given (the store keeps them)."""
    created = FROZEN - timedelta(hours=1)
    return desk.repo.create(
        Ticket(
            key="",
            subject=subject,
            description="As the customer wrote it",
            requester_name="Ada Customer",
            requester_email="ada@example.com",
            priority=priority,
            status=Status.OPEN,
            tier=1,
            created_at=created,
            updated_at=created,
            first_response_at=created + 5 * MINUTE if answered else None,
            sla_due_at=due,
            sla_risk_at=risk,
        ),
        actor="dave",
    )


def urgent_mix(desk: Desk) -> dict[str, Ticket]:
    """What an on-call engineer found on a Friday: a breached P4 listed first by due
    time, a P2 breached 4h37m, a P1 at risk and one running, one paused."""
    return {
        t.subject: t
        for t in [
            put(desk, "running P1", Priority.CRITICAL, FROZEN + 3 * HOUR, FROZEN + 2 * HOUR),
            put(desk, "breached P4", Priority.LOW, FROZEN - timedelta(days=2), answered=True),
            put(desk, "at risk P1", Priority.CRITICAL, FROZEN + 10 * MINUTE, FROZEN - 5 * MINUTE),
            put(desk, "paused P1", Priority.CRITICAL, None, answered=True),
            put(desk, "breached P2", Priority.HIGH, FROZEN - 277 * MINUTE),
        ]
    }


ORDER = ["breached P2", "breached P4", "at risk P1", "running P1", "paused P1"]


def test_take_next_hands_out_the_most_urgent_ticket_first(desk: Desk) -> None:
    mix = urgent_mix(desk)
    alice = desk.as_("alice")
    taken = []
    while (ticket := alice.take_next()) is not None:
        taken.append(ticket.subject)
        assert ticket.assignee == "alice"
    assert taken == ORDER
    assert sorted(mix.values(), key=lambda t: urgency_key(t, FROZEN))[0].subject == ORDER[0]


def test_the_urgency_sort_reads_in_the_same_order_on_every_page(desk: Desk) -> None:
    mix = urgent_mix(desk)
    alice = desk.as_("alice")
    query = Query(statuses=frozenset({Status.OPEN}), sort=SortKey.URGENCY, limit=2)
    pages = [alice.query(query.page(offset)) for offset in (0, 2, 4)]
    assert [t.subject for page in pages for t in page.tickets] == ORDER
    assert {page.total for page in pages} == {len(mix)}
    backwards = alice.query(Query(sort=SortKey.URGENCY, descending=True, limit=10))
    assert [t.subject for t in backwards.tickets] == ORDER[::-1]


def test_breaching_soon_and_needs_first_response_are_most_urgent_first(desk: Desk) -> None:
    urgent_mix(desk)
    alice = desk.as_("alice")
    soon = alice.query(SAVED_VIEWS["breaching_soon"].build("alice", FROZEN))
    assert [t.subject for t in soon.tickets] == ["breached P2", "breached P4", "at risk P1"]
    waiting = alice.query(SAVED_VIEWS["needs_first_response"].build("alice", FROZEN))
    assert [t.subject for t in waiting.tickets] == ["breached P2", "at risk P1", "running P1"]
    assert waiting.total == 3


def test_the_filter_language_reads_sla_states_and_unanswered_tickets(desk: Desk) -> None:
    urgent_mix(desk)
    alice = desk.as_("alice")

    def subjects(text: str) -> list[str]:
        query = parse_filter(text, "alice", FROZEN, Query(sort=SortKey.URGENCY))
        return [t.subject for t in alice.query(query).tickets]

    assert subjects("sla:breached") == ["breached P2", "breached P4"]
    assert subjects("sla:at-risk") == ["at risk P1"]
    assert subjects("sla:running priority:p1") == ["running P1"]
    assert subjects("sla:paused") == ["paused P1"]
    assert subjects("responded:no sla:breached") == ["breached P2"]
    for bad in ("sla:late", "responded:yes", "sla:" + "x" * 500):
        with pytest.raises(FilterError) as raised:
            parse_filter(bad, "alice", FROZEN)
        assert "\n" not in str(raised.value) and len(str(raised.value)) < 120


def test_a_class_is_judged_at_the_instant_asked(desk: Desk) -> None:
    urgent_mix(desk)
    alice = desk.as_("alice")
    later = Query(urgency=Urgency.BREACHED, as_of=FROZEN + 11 * MINUTE)
    assert {t.subject for t in alice.query(later).tickets} == {
        "breached P2",
        "breached P4",
        "at risk P1",
    }


def test_p1s_wait_for_acknowledgement_until_someone_acknowledges(desk: Desk) -> None:
    dave = desk.as_("dave")
    new = dave.create(TicketDraft("Checkout down for everyone", priority=Priority.CRITICAL))
    answered = dave.create(TicketDraft("Login loops", priority=Priority.CRITICAL))
    answered = dave.reply(answered.key, answered.version, "Looking at it now.")
    reopened = dave.create(TicketDraft("Payments fail again", priority=Priority.CRITICAL))
    reopened = dave.reply(reopened.key, reopened.version, "Restarted the gateway.")
    reopened = dave.set_status(reopened.key, reopened.version, Status.RESOLVED)
    dave.create(TicketDraft("Printer jammed", priority=Priority.LOW))
    desk.now += 10 * MINUTE
    reopened = dave.customer_reply(reopened.key, "Still failing for us.")
    assert reopened.status is Status.OPEN

    waiting = desk.as_("alice").awaiting_acknowledgement()
    assert {t.key for t in waiting} == {new.key, reopened.key}

    # Acknowledging: a new one is set to open; a reopened one is answered.
    desk.now += 2 * MINUTE
    dave.set_status(new.key, desk.repo.get(new.key).version, Status.OPEN)
    dave.reply(reopened.key, desk.repo.get(reopened.key).version, "On it again.")
    assert desk.as_("alice").awaiting_acknowledgement() == []


def test_a_full_page_reads_no_class_after_it(desk: Desk) -> None:
    urgent_mix(desk)
    asked: list[Urgency | None] = []

    def read(query: Query) -> Page:
        asked.append(query.urgency)
        return desk.repo.query(query)

    first = read_urgent_first(Query(sort=SortKey.URGENCY, as_of=FROZEN, limit=2), read)
    assert [t.subject for t in first.tickets] == ORDER[:2] and first.total == len(ORDER)
    assert asked == [Urgency.BREACHED, None]  # the breached class, then one whole count
    asked.clear()
    last = read_urgent_first(Query(sort=SortKey.URGENCY, as_of=FROZEN, offset=3, limit=5), read)
    assert [t.subject for t in last.tickets] == ORDER[3:] and last.total == len(ORDER)
    assert asked == list(Urgency)  # every class is before or in the page: no extra count
