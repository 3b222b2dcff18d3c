"""One reply, one step (issue 17, line 5): the app's reply carries files and the next
status in the same write, as `ticket reply --attach --status` does, and says what became
of its mail. Empty, filled and bad input each."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Select, Static, TextArea

from helpdesk_tui.domain.model import CommentKind, Status
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.ui.screens.compose import ComposeScreen
from tests.ui import support
from tests.ui.conftest import AppFactory
from tests.ui.support import press


async def test_a_reply_with_a_file_and_a_status_is_one_write(
    make_app: AppFactory, tmp_path: Path
) -> None:
    log = tmp_path / "gateway log.txt"
    log.write_text("ERROR upstream timed out\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Checkout fails"))
        ticket = app.service.take(ticket.key, ticket.version)
        screen = await support.open_ticket(pilot, app, ticket.key)
        # Empty: nothing to send, the composer stays.
        await press(pilot, "r")
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        await press(pilot, "ctrl+s")
        assert app.screen is composer
        # Bad: a file that is not there is said in the composer; nothing is written.
        composer.query_one(TextArea).load_text("Fixed: the certificate was renewed.")
        composer.query_one("#compose-files", Input).value = f'"{log}" {tmp_path}/nope.txt'
        await press(pilot, "ctrl+s")
        assert app.screen is composer
        said = str(composer.query_one("#compose-error", Static).render())
        assert "no such file" in said and "nope.txt" in said
        assert app.service.get(ticket.key).version == ticket.version
        # Filled: the file, the reply and resolved, in one write.
        composer.query_one("#compose-files", Input).value = f'"{log}"'
        composer.query_one(Select).value = Status.RESOLVED.value
        await press(pilot, "ctrl+s")
        assert app.screen is screen
        saved = app.service.get(ticket.key)
        assert saved.status is Status.RESOLVED and saved.version == ticket.version + 1
        last = app.service.conversation(ticket.key)[-1]
        assert (last.kind, last.body) == (CommentKind.REPLY, "Fixed: the certificate was renewed.")
        assert [a.filename for a in last.attachments] == ["gateway log.txt"]


async def test_a_note_takes_a_file_and_has_no_status(make_app: AppFactory, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    trace.write_text("at Checkout.pay\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Checkout fails"))
        await support.open_ticket(pilot, app, ticket.key)
        await press(pilot, "n")
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        assert not composer.query(Select)  # a note moves no status
        composer.query_one(TextArea).load_text("Stack trace from the POS.")
        composer.query_one("#compose-files", Input).value = str(trace)
        await press(pilot, "ctrl+s")
        last = app.service.conversation(ticket.key)[-1]
        assert last.kind is CommentKind.NOTE and [a.filename for a in last.attachments] == [
            "trace.txt"
        ]
        assert app.service.get(ticket.key).status is ticket.status


async def test_escape_on_the_reply_status_list_closes_the_list_only(
    make_app: AppFactory,
) -> None:
    """Escape is the composer's priority key (the text area would take it): with the
    status list open, it closed the whole composer instead of the list."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        ticket = app.service.create(TicketDraft("Checkout fails"))
        screen = await support.open_ticket(pilot, app, ticket.key)
        await press(pilot, "r")
        composer = app.screen
        assert isinstance(composer, ComposeScreen)
        await pilot.press(*"On it")
        await press(pilot, "tab", "enter")
        select = composer.query_one(Select)
        assert select.expanded
        await press(pilot, "escape")
        assert app.screen is composer and not select.expanded
        assert composer.query_one(TextArea).text == "On it"
        await press(pilot, "escape")
        assert app.screen is screen
