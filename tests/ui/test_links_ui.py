"""Links from the ticket screen (issue 16, line 2): L links (relation, then key), the
Links tab (6) lists them and enter opens one, U removes the one under the cursor, and O
sends one outage update to every open incident of a problem, confirmed with their count."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.widgets import Select, TextArea

from helpdesk_tui.domain.model import CommentKind, Status
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen, ConfirmScreen, PromptScreen
from helpdesk_tui.ui.screens.outage import OutageScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.links import LinksTable
from tests.ui import support
from tests.ui.conftest import AppFactory
from tests.ui.support import choose, press


async def rows(pilot: Pilot[None], table: LinksTable, count: int) -> list[list[str]]:
    for _ in range(100):  # read in a worker of its own
        if len(table.links) == count:
            break
        await pilot.pause(0.05)
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(len(table.links))]


async def test_l_links_u_unlinks_and_enter_follows_a_link(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        service = app.service
        parent = service.create(TicketDraft("Migrate the mail servers"))
        child = service.create(TicketDraft("Move the Oslo mailboxes"))
        screen = await support.open_ticket(pilot, app, child.key)
        # Empty: escape at the relation, and an empty key, write nothing.
        await press(pilot, "L")
        assert isinstance(app.screen, ChoiceScreen)
        await press(pilot, "escape")
        await press(pilot, "L")
        await choose(pilot, "child of")
        assert isinstance(app.screen, PromptScreen)
        await press(pilot, "enter")
        assert isinstance(app.screen, PromptScreen)  # a key is required
        await press(pilot, "escape")
        assert app.screen is screen and service.links(service.get(child.key)) == []
        # Bad: a key that names no ticket, and the ticket itself, are said in one line.
        for bad in ("HD-9999", child.key):
            await press(pilot, "L")
            await choose(pilot, "child of")
            await pilot.press(*bad)
            await press(pilot, "enter")
            assert app.screen is screen
        assert service.links(service.get(child.key)) == []
        # Filled: the link is made, listed in the Links tab from this end.
        await press(pilot, "L")
        await choose(pilot, "child of")
        await pilot.press(*parent.key.lower())
        await press(pilot, "enter")
        await press(pilot, "6")
        table = screen.query_one(LinksTable)
        listed = await rows(pilot, table, 1)
        assert listed[0][:2] == ["child of", parent.key]
        # U on it: confirmed, removed.
        await press(pilot, "U")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert len(service.links(service.get(child.key))) == 1
        await press(pilot, "U", "y")
        await rows(pilot, table, 0)
        assert service.links(service.get(child.key)) == []
        # Enter on a link opens the linked ticket.
        service.link(child.key, "relates", parent.key)
        await press(pilot, "R")
        await rows(pilot, table, 1)
        table.focus()
        await press(pilot, "enter")
        opened = app.screen
        assert isinstance(opened, TicketScreen) and opened.key == parent.key
        # Enter and m in one read (a slow link): m merges the ticket enter opened, not
        # the one whose Links tab it was typed on.
        await press(pilot, "escape")
        assert app.screen is screen
        table.focus()
        app.post_message(events.Key("enter", "\r"))
        app.post_message(events.Key("m", "m"))
        await pilot.pause()
        await support.wait_for_screen(pilot, PromptScreen)
        prompt = app.screen
        assert isinstance(prompt, PromptScreen)
        assert f"{parent.key} " in prompt.title_text and child.key not in prompt.title_text


async def test_o_sends_one_update_to_every_open_incident(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        service = app.service
        problem = service.create(TicketDraft("Certificate expired on the portal"))
        # Bad: a problem with no incidents says so and opens nothing.
        screen = await support.open_ticket(pilot, app, problem.key)
        await press(pilot, "O")
        assert app.screen is screen
        incidents = [
            service.create(TicketDraft(f"Portal insecure ({n})", requester_email=f"c{n}@x.org"))
            for n in range(3)
        ]
        for incident in incidents:
            service.link(problem.key, "problem-of", incident.key)
        # Empty: ctrl+s with no reply and no status stays in the dialog.
        await press(pilot, "O")
        assert isinstance(app.screen, OutageScreen)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, OutageScreen)
        # Filled: a reply and resolved, confirmed with the count, then written to each.
        await pilot.press(*"Renewed; the portal is secure again.")
        await press(pilot, "tab", "enter", "down", "down", "enter")  # the status list
        assert app.screen.query_one(Select).value == "resolved"
        await press(pilot, "ctrl+s")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and "all 3 open incidents" in confirm.question
        await press(pilot, "y")
        for _ in range(100):
            if service.get(incidents[-1].key).status is Status.RESOLVED:
                break
            await pilot.pause(0.05)
        for incident in incidents:
            assert service.get(incident.key).status is Status.RESOLVED
            last = service.conversation(incident.key)[-1]
            assert (last.kind, last.body) == (
                CommentKind.REPLY,
                "Renewed; the portal is secure again.",
            )


async def test_no_at_the_outage_confirmation_goes_back_to_the_typed_text(
    make_app: AppFactory,
) -> None:
    """A user trial answered n at "Send this to the 1 open incident?": the dialog was
    gone with its text. A "no" is a second thought: back in the dialog, as typed."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        service = app.service
        problem = service.create(TicketDraft("Mail relay down"))
        incident = service.create(TicketDraft("No mail since 9", requester_email="c@x.org"))
        service.link(problem.key, "problem-of", incident.key)
        said_before = service.conversation(incident.key)
        await support.open_ticket(pilot, app, problem.key)
        await press(pilot, "O")
        outage = app.screen
        assert isinstance(outage, OutageScreen)
        await pilot.press(*"The relay is back; mail flows again.")
        await press(pilot, "ctrl+s")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen) and "the 1 open incident" in confirm.question
        await press(pilot, "n")
        assert app.screen is outage
        assert outage.query_one(TextArea).text == "The relay is back; mail flows again."
        assert service.conversation(incident.key) == said_before  # nothing was sent
        # Yes the second time: sent, as typed.
        await press(pilot, "ctrl+s", "y")
        for _ in range(100):
            if service.conversation(incident.key) != said_before:
                break
            await pilot.pause(0.05)
        assert service.conversation(incident.key)[-1].body == (
            "The relay is back; mail flows again."
        )


async def test_escape_on_the_outage_status_list_closes_the_list_only(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        service = app.service
        problem = service.create(TicketDraft("Mail relay down"))
        incident = service.create(TicketDraft("No mail since 9"))
        service.link(problem.key, "problem-of", incident.key)
        screen = await support.open_ticket(pilot, app, problem.key)
        await press(pilot, "O")
        outage = app.screen
        assert isinstance(outage, OutageScreen)
        await pilot.press(*"Working on it")
        await press(pilot, "tab", "enter")  # the status list, opened
        select = outage.query_one(Select)
        assert select.expanded
        await press(pilot, "escape")
        assert app.screen is outage and not select.expanded
        assert outage.query_one(TextArea).text == "Working on it"
        await press(pilot, "escape")  # nothing open: the dialog closes
        assert app.screen is screen
