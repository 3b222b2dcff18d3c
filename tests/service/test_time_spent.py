"""Time spent (issue 17, line 4) on SQLite, PostgreSQL and RT (its TimeTaken): the minutes
of each reply and note are stored and read back, the ticket totals them, and the report
sums a period's by agent, organization and type."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_tui.domain.model import TicketType
from helpdesk_tui.domain.periods import Period
from helpdesk_tui.launch.bootstrap import load_policy
from helpdesk_tui.reporting import metrics, report
from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.service.errors import ServiceError
from helpdesk_tui.store.base import Capability
from tests.conftest import EVERY_STORE, FROZEN

from .conftest import Desk

pytestmark = EVERY_STORE


def _period() -> Period:
    """A period around both the desk's clock and the wall clock: RT stamps messages with
    its own clock, the SQL stores with the service's."""
    wall = datetime.now(UTC)
    return Period.between(
        min(FROZEN, wall) - timedelta(days=1), max(FROZEN, wall) + timedelta(days=1)
    )


def _scoped(desk: Desk, who: str, organization: str) -> HelpdeskService:
    """`who`, serving only `organization`: a test's own, so that RT's tickets of other
    tests (one RT serves the whole run) stay out of its sums."""
    agent = replace(desk.repo.get_agent(who), organizations=(organization,))
    return HelpdeskService(desk.signed_in(who), load_policy("default"), lambda: desk.now, agent)


def test_each_reply_and_note_keeps_its_minutes_and_the_ticket_totals_them(desk: Desk) -> None:
    lead = desk.as_("dave")
    ticket = lead.create(TicketDraft("Printer offline"))
    ticket = lead.reply(ticket.key, ticket.version, "Restarted the spooler.", minutes=15)
    ticket = lead.note(ticket.key, ticket.version, "Driver is old.", minutes=75)
    ticket = lead.note(ticket.key, ticket.version, "No time on this one.")
    thread = desk.repo.comments(ticket.key)
    assert [(c.kind.value, c.minutes) for c in thread] == [
        ("reply", 15),
        ("note", 75),
        ("note", None),
    ]
    assert lead.time_spent(ticket) == 90
    untimed = lead.create(TicketDraft("Nothing done yet"))
    assert lead.time_spent(untimed) == 0


@pytest.mark.parametrize("minutes", [0, -5, 7 * 24 * 60 + 1])
def test_a_time_out_of_range_is_refused_and_nothing_is_written(desk: Desk, minutes: int) -> None:
    lead = desk.as_("dave")
    ticket = lead.create(TicketDraft("Printer offline"))
    before = desk.snapshot(ticket.key)
    with pytest.raises(ServiceError, match="time spent must be"):
        lead.note(ticket.key, ticket.version, "Checked the cable.", minutes=minutes)
    with pytest.raises(ServiceError, match="time spent must be"):
        lead.reply(ticket.key, ticket.version, "Checked the cable.", minutes=minutes)
    assert desk.snapshot(ticket.key) == before


def test_the_period_sums_by_agent_organization_and_type(desk: Desk) -> None:
    acme, globex = f"Acme {uuid.uuid4().hex[:8]}", f"Globex {uuid.uuid4().hex[:8]}"
    lead = desk.as_("dave")
    outage = lead.create(TicketDraft("VPN down", organization=acme))
    access = lead.create(
        TicketDraft("New starter", organization=acme, type=TicketType.ACCESS_REQUEST)
    )
    other = lead.create(TicketDraft("Mail slow", organization=globex))
    outage = desk.as_("alice").note(outage.key, outage.version, "Gateway logs.", minutes=30)
    outage = lead.reply(outage.key, outage.version, "Working on it.", minutes=45)
    lead.note(access.key, access.version, "Account made.", minutes=20)
    lead.note(other.key, other.version, "Not Acme's.", minutes=500)
    if Capability.BULK_IMPORT in desk.repo.capabilities:
        # Written before the period: on the SQL stores a message takes the service's
        # clock (RT stamps its own, so there it would fall inside).
        desk.now = FROZEN - timedelta(days=30)
        desk.as_("alice").note(outage.key, outage.version, "Last month.", minutes=600)
        desk.now = FROZEN
    spent = _scoped(desk, "dave", acme).time_spent_between(_period().since, _period().until)
    assert dict(spent.by_agent) == {"alice": 30, "dave": 65}
    assert dict(spent.by_organization) == {acme: 95}
    assert dict(spent.by_type) == {TicketType.INCIDENT: 75, TicketType.ACCESS_REQUEST: 20}
    assert spent.total == 95
    # An agent serving no organization of these sees none of their minutes.
    assert (
        _scoped(desk, "dave", f"None {uuid.uuid4().hex[:8]}")
        .time_spent_between(_period().since, _period().until)
        .total
        == 0
    )


def test_the_report_shows_time_spent_in_text_csv_and_json(desk: Desk) -> None:
    acme = f"Acme {uuid.uuid4().hex[:8]}"
    lead = desk.as_("dave")
    ticket = lead.create(TicketDraft("Laptop will not boot", organization=acme))
    ticket = desk.as_("alice").note(ticket.key, ticket.version, "Reseated RAM.", minutes=90)
    lead.reply(ticket.key, ticket.version, "Fixed.", minutes=15)
    figures = metrics.compute(_scoped(desk, "dave", acme), _period())
    data = report.to_json(figures)["time_spent"]
    assert data == {
        "total_minutes": 105,
        "by_agent": [{"agent": "alice", "minutes": 90}, {"agent": "dave", "minutes": 15}],
        "by_organization": [{"organization": acme, "minutes": 105}],
        "by_type": [{"type": "incident", "minutes": 105}],
    }
    out = io.StringIO()
    report.write(figures, out, "csv")
    rows = {tuple(r[1:]) for r in csv.reader(io.StringIO(out.getvalue())) if r[0] == "time_spent"}
    assert ("", "total_minutes", "105") in rows
    assert ("agent=alice", "by_agent.minutes", "90") in rows
    assert (f"organization={acme}", "by_organization.minutes", "105") in rows
    assert ("type=incident", "by_type.minutes", "105") in rows
    text = "\n".join(report.text_lines(figures))
    assert "Time spent: 1h45m on replies and notes written in the period" in text
    assert any(line.split() == ["alice", "1h30m", "86%"] for line in text.splitlines())
    assert any(line.split() == ["incident", "1h45m", "100%"] for line in text.splitlines())
    assert json.loads(json.dumps(report.to_json(figures)))["time_spent"]["total_minutes"] == 105
