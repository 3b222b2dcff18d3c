"""ctrl+d in the composer throws the draft away. A draft with words in it is asked about
first: ctrl+d is delete-forward in a readline or emacs hand, and a reply lost to it is
minutes of work. An empty draft (or one of blanks) goes at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.pilot import Pilot
from textual.widgets import Label, TextArea

from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.dialogs import ConfirmScreen
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


async def _asked(app: HelpdeskApp, pilot: Pilot[None], typed: str) -> str:
    """ctrl+d over `typed`: the question the confirmation asks."""
    await pilot.press(*typed)
    await settle(pilot)
    await press(pilot, "ctrl+d")
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
