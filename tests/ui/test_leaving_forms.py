"""One key that closes a form loses what it holds: ctrl+d in the composer (delete-forward
in a readline or emacs hand), escape in the new-ticket form (a caller's details taken down
during the call) and in the edit form. A form holding the agent's words asks first; an
empty one (or one of blanks, or edits undone) closes at once. Nothing is written either
way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.pilot import Pilot
from textual.widgets import Input, Label, Select, TextArea

from helpdesk_tui.store.base import Query
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.dialogs import ConfirmScreen
from helpdesk_tui.ui.screens.edit_ticket import EditTicketScreen
from helpdesk_tui.ui.screens.new_ticket import NewTicketScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from tests.ui.conftest import AppFactory
from tests.ui.support import open_ticket, press, running, settle


@asynccontextmanager
async def _at_a_ticket(
    make_app: AppFactory,
) -> AsyncIterator[tuple[HelpdeskApp, Pilot[None], str]]:
    """The app at 80x24 on the first ticket of the queue, open."""
    async with running(make_app, (80, 24)) as (app, pilot):
        ticket = app.screen.query_one("#tickets").current  # type: ignore[attr-defined]
        assert ticket is not None
        await open_ticket(pilot, app, ticket.key)
        yield app, pilot, str(ticket.key)


async def _composer(app: HelpdeskApp, pilot: Pilot[None], key: str) -> ComposeScreen:
    await press(pilot, "r")
    screen = app.screen
    assert isinstance(screen, ComposeScreen) and screen.key == key, screen
    return screen


async def _asked(app: HelpdeskApp, pilot: Pilot[None], typed: str, key: str = "ctrl+d") -> str:
    """`key` over `typed`: the question the confirmation asks."""
    await pilot.press(*typed)
    await settle(pilot)
    await press(pilot, key)
    confirm = app.screen
    assert isinstance(confirm, ConfirmScreen), confirm
    return str(confirm.query_one(".dialog-title", Label).render())


async def test_an_empty_or_blank_draft_is_discarded_at_once(
    make_app: AppFactory, store: SqlRepository
) -> None:
    async with _at_a_ticket(make_app) as (app, pilot, key):
        before = len(store.comments(key))
        for typed in ([], ["space", "space", "enter", "space"]):
            composer = await _composer(app, pilot, key)
            await press(pilot, *typed)
            assert composer.query_one(TextArea).text.strip() == ""
            await press(pilot, "ctrl+d")
            assert isinstance(app.screen, TicketScreen), (typed, app.screen)
            assert composer.drafts.load(key, "reply") is None
        assert len(store.comments(key)) == before


async def test_a_draft_with_words_is_asked_about_and_kept_on_no(
    make_app: AppFactory, store: SqlRepository
) -> None:
    async with _at_a_ticket(make_app) as (app, pilot, key):
        before = len(store.comments(key))
        composer = await _composer(app, pilot, key)
        question = await _asked(app, pilot, "Restarting the gateway")
        assert "of 3 words?" in question, question
        # No (n), and escape, keep the draft and the composer as they were.
        for declined in ("n", "escape"):
            await press(pilot, declined)
            assert app.screen is composer
            assert composer.query_one(TextArea).text == "Restarting the gateway"
            assert composer.drafts.load(key, "reply") == "Restarting the gateway"
            if declined == "n":
                await press(pilot, "ctrl+d")
                assert isinstance(app.screen, ConfirmScreen)
        # Yes: gone, nothing sent.
        await press(pilot, "ctrl+d", "y")
        assert isinstance(app.screen, TicketScreen), app.screen
        assert composer.drafts.load(key, "reply") is None
        assert len(store.comments(key)) == before


async def test_one_word_is_said_as_one(make_app: AppFactory) -> None:
    async with _at_a_ticket(make_app) as (app, pilot, key):
        await _composer(app, pilot, key)
        question = await _asked(app, pilot, "Hello")
        assert "of 1 word?" in question, question


async def _new_ticket_form(app: HelpdeskApp, pilot: Pilot[None]) -> NewTicketScreen:
    await press(pilot, "n")
    form = app.screen
    assert isinstance(form, NewTicketScreen), form
    return form


async def test_the_new_ticket_form_asks_before_escape_drops_what_was_typed(
    make_app: AppFactory, store: SqlRepository
) -> None:
    async with running(make_app, (80, 24)) as (app, pilot):
        queue = app.screen
        before = store.query(Query(limit=1)).total
        # Empty, and blanks only: closed at once.
        for typed in ([], ["space", "space"]):
            await _new_ticket_form(app, pilot)
            await press(pilot, *typed)
            await press(pilot, "escape")
            assert app.screen is queue, typed
        # Filled: asked; no keeps every field as typed.
        form = await _new_ticket_form(app, pilot)
        question = await _asked(app, pilot, "Till 3 card reader E12", key="escape")
        assert question.startswith("Drop this new ticket?"), question
        await press(pilot, "n")
        assert app.screen is form
        assert form.query_one("#subject", Input).value == "Till 3 card reader E12"
        # An open list takes escape for itself, the form stays without a question.
        form.query_one("#priority", Select).focus()
        await press(pilot, "enter")
        assert form.query_one("#priority", Select).expanded
        await press(pilot, "escape")
        assert app.screen is form
        # Yes: closed, and no ticket was written.
        await press(pilot, "escape", "y")
        assert app.screen is queue
        assert store.query(Query(limit=1)).total == before


async def test_the_edit_form_asks_before_escape_drops_its_changes(
    make_app: AppFactory, store: SqlRepository
) -> None:
    async with _at_a_ticket(make_app) as (app, pilot, key):
        ticket = app.screen
        version = store.get(key).version
        # Nothing changed, and a change undone: closed at once.
        for typed in ([], ["x", "backspace"]):
            await press(pilot, "E")
            assert isinstance(app.screen, EditTicketScreen)
            await press(pilot, "end", *typed, "escape")
            assert app.screen is ticket, typed
        await press(pilot, "E")
        form = app.screen
        assert isinstance(form, EditTicketScreen)
        subject = form.query_one("#edit-subject", Input).value
        await press(pilot, "end")
        question = await _asked(app, pilot, " (till 3)", key="escape")
        assert question == f"Drop your changes to {key} (subject)?", question
        await press(pilot, "n")
        assert app.screen is form
        assert form.query_one("#edit-subject", Input).value == f"{subject} (till 3)"
        await press(pilot, "escape", "y")
        assert app.screen is ticket
        assert store.get(key).version == version
        assert store.get(key).subject == subject
