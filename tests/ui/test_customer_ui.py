"""The Customer tab (5): the requester's and the organization's other tickets, open
first with their SLA time, and enter opens one."""

from __future__ import annotations

from textual.pilot import Pilot

from helpdesk_tui.service import TicketDraft
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.customer import CustomerTable
from tests.ui import support
from tests.ui.conftest import AppFactory
from tests.ui.support import press


async def rows(pilot: Pilot[None], table: CustomerTable, at_least: int) -> list[list[str]]:
    for _ in range(100):  # read in a worker of its own
        if table.row_count >= at_least:
            break
        await pilot.pause(0.05)
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


async def test_the_customer_tab_lists_the_others_and_enter_opens_one(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        service = app.service
        this = service.create(
            TicketDraft("Printer jams", requester_email="ada@example.com", organization="Acme")
        )
        other = service.create(
            TicketDraft("Toner empty", requester_email="ada@example.com", organization="Acme")
        )
        colleague = service.create(
            TicketDraft("Badge broken", requester_email="bo@example.com", organization="Acme")
        )
        screen = await support.open_ticket(pilot, app, this.key)
        await press(pilot, "5")
        table = screen.query_one(CustomerTable)
        assert app.focused is table
        shown = await rows(pilot, table, 5)
        assert [row[0] for row in shown] == ["", other.key, "", other.key, colleague.key]
        assert shown[0][4] == "Requester (1 more): ada@example.com"
        assert shown[2][4] == "Organization (2 more): Acme"
        assert this.key not in {row[0] for row in shown}
        await press(pilot, "down", "enter")
        opened = app.screen
        assert isinstance(opened, TicketScreen) and opened.key == other.key


async def test_a_ticket_with_no_address_and_no_organization_lists_nobody_else(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        lone = app.service.create(TicketDraft("Walk-in with no e-mail"))
        screen = await support.open_ticket(pilot, app, lone.key)
        await press(pilot, "5")
        table = screen.query_one(CustomerTable)
        shown = await rows(pilot, table, 1)
        assert len(shown) == 1 and shown[0][4] == "Requester: no e-mail address to look up"
        # Enter on the title row opens nothing.
        await press(pilot, "enter")
        assert app.screen is screen
