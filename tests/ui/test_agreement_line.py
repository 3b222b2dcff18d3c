"""The ticket's SLA line names the agreement its clocks follow (the ticket screen shows
it under the working time; tests/ui/test_time_left_everywhere.py sees it there)."""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk_tui.domain.model import Priority, Ticket
from helpdesk_tui.domain.sla import parse_policy, with_agreements
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.settings.policies import load_builtin
from helpdesk_tui.ui.widgets.countdown import WorkingTime, agreement_text
from tests.domain.test_sla_agreements import AROUND_THE_CLOCK
from tests.ui.conftest import AppFactory
from tests.ui.support import open_ticket, press
from tests.ui.test_time_left_everywhere import widget_text

POLICY = with_agreements(
    load_builtin("default"),
    {
        "Acme Corp": parse_policy(AROUND_THE_CLOCK),
        "Evil": parse_policy(
            AROUND_THE_CLOCK.replace('name = "care365"', 'name = "care\\u001b[31m365"')
        ),
    },
)


def ticket(organization: str | None) -> Ticket:
    return Ticket(
        key="HD-1",
        subject="x",
        priority=Priority.HIGH,
        created_at=datetime(2026, 3, 6, 17, 0, tzinfo=UTC),
        organization=organization,
    )


def test_the_line_names_the_agreement_or_standard() -> None:
    assert agreement_text(POLICY, ticket("acme CORP")) == "SLA agreement: care365"
    assert agreement_text(POLICY, ticket("Initech")) == "SLA agreement: standard"
    assert agreement_text(POLICY, ticket(None)) == "SLA agreement: standard"


def test_a_policy_name_is_shown_as_text() -> None:
    shown = agreement_text(POLICY, ticket("evil"))
    assert "\x1b" not in shown and shown.startswith("SLA agreement: care")


async def test_the_ticket_screen_shows_the_line_only_where_there_are_agreements(
    make_app: AppFactory,
) -> None:
    for agreements, expected in (
        ({}, []),
        ({"Acme Corp": "nexly"}, ["SLA agreement: nexly", "SLA agreement: standard"]),
    ):
        app = make_app(agreements=agreements)
        async with app.run_test(size=(80, 24)) as pilot:
            shown = []
            for organization in ("acme corp", "Initech"):
                ticket = app.service.create(TicketDraft("Ledger wrong", organization=organization))
                screen = await open_ticket(pilot, app, ticket.key)
                widget = screen.query_one(WorkingTime)
                said = [line.strip() for line in widget_text(widget).splitlines()]
                shown += [line for line in said if line.startswith("SLA agreement")]
                await press(pilot, "escape")
            assert shown == expected
