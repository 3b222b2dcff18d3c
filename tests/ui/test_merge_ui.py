"""Merging a duplicate from its ticket (m): the key asked for, the ticket it names confirmed
by its subject, one write, and the ticket it was merged into opens; a wrong key is said
before any question and nothing is written."""

from __future__ import annotations

from helpdesk_tui.domain.model import Status
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.ui.screens.dialogs import ConfirmScreen, PromptScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from tests.ui import support
from tests.ui.conftest import AppFactory
from tests.ui.support import press


async def test_m_merges_the_duplicate_and_opens_the_ticket_it_repeats(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        kept = app.service.create(TicketDraft("Portal down"))
        elsewhere = app.service.create(TicketDraft("Portal down", organization="Globex"))
        duplicate = app.service.create(TicketDraft("Cannot log in to the portal"))
        duplicate = app.service.note(duplicate.key, duplicate.version, "error 500 at login")
        screen = await support.open_ticket(pilot, app, duplicate.key)
        # Empty: nothing typed is refused in the prompt, which stays.
        await press(pilot, "m")
        assert isinstance(app.screen, PromptScreen)
        await press(pilot, "enter")
        assert isinstance(app.screen, PromptScreen)
        # Bad: a key that names no ticket, or this ticket itself, is said before any
        # question; nothing is written.
        for wrong, said in (("HD-9999", "HD-9999"), (duplicate.key, "itself")):
            await pilot.press(*wrong)
            await press(pilot, "enter")
            assert app.screen is screen
            notices = [str(n.message) for n in app._notifications]
            assert any(said in notice for notice in notices), notices
            assert app.service.get(duplicate.key).merged_into is None
            await press(pilot, "m")
        # Filled: the question names the ticket by its subject; no keeps both apart.
        await pilot.press(*kept.key.lower())
        await press(pilot, "enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert f"into {kept.key} (Portal down)?" in confirm.question
        assert "customer" not in confirm.question  # neither has an organization
        await press(pilot, "n")
        assert app.service.get(duplicate.key).merged_into is None
        # Another customer's ticket: the question says whose each one is.
        await press(pilot, "m")
        await pilot.press(*elsewhere.key)
        await press(pilot, "enter")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        said = f"Not the same customer: {elsewhere.key} is Globex's, {duplicate.key} has no"
        assert said in confirm.question
        await press(pilot, "n")
        # Yes: merged, and the kept ticket opens with the note in it.
        await press(pilot, "m")
        await pilot.press(*kept.key)
        await press(pilot, "enter", "y")
        opened = app.screen
        assert isinstance(opened, TicketScreen) and opened.key == kept.key
        gone = app.service.get(duplicate.key)
        assert (gone.status, gone.merged_into) == (Status.CLOSED, kept.key)
        bodies = [c.body for c in app.service.conversation(kept.key)]
        assert "error 500 at login" in bodies
        # Back from the kept ticket: the queue, not the closed duplicate.
        await press(pilot, "escape")
        assert not isinstance(app.screen, TicketScreen)
