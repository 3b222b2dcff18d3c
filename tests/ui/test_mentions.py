"""Mentions (issue 17, line 3) on a shared store, SQLite and PostgreSQL: a colleague's
note that calls me in (@name) makes me a watcher, is in its history, raises an on-call
alert in my open app, and is in my Mentions list (@) in a later session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_tui.service import HelpdeskService, TicketDraft
from helpdesk_tui.service.errors import ServiceError
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from tests.ui.conftest import ME
from tests.ui.live_support import SharedStore, shared_store_at, until
from tests.ui.support import press, settle


@pytest.fixture
def shared_store(store_url: str, tmp_path: Path) -> Iterator[SharedStore]:
    with shared_store_at(store_url, tmp_path / "app-data") as store:
        yield store


def oncall_app(store: SharedStore) -> HelpdeskApp:
    app = store.app()
    return HelpdeskApp(app.service, store.settings, app.views, oncall=True)


async def test_a_note_that_mentions_me_reaches_me(shared_store: SharedStore) -> None:
    colleague: HelpdeskService = shared_store.colleague()
    ticket = colleague.create(TicketDraft("Ledger totals wrong", tier=2))
    # Bad: a name that is nobody's is refused, and nothing is written.
    with pytest.raises(ServiceError, match="not an agent: @nobody"):
        colleague.note(ticket.key, ticket.version, "@nobody please look")
    assert colleague.conversation(ticket.key) == []

    app = oncall_app(shared_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        noted = colleague.note(ticket.key, ticket.version, f"@{ME} can you check the totals?")
        assert ME in noted.watchers  # called in: watching it from now on
        said = [(e.actor, e.new) for e in colleague.history(ticket.key) if e.field == "mention"]
        assert said == [(colleague.me.username, ME)]
        # The app's next check (every 10 s), as of just before the note.
        app._oncall.last_check = noted.updated_at - timedelta(seconds=1)
        app._oncall.check()
        await until(pilot, lambda: bool(app._oncall.waiting), 5.0, "the mention alert")
        assert any(
            ident.startswith(f"mention:{ticket.key}:") and "mentioned you on" in text
            for ident, text in app._oncall.waiting
        )

    # A later session: the Mentions list has it, and choosing it opens the ticket.
    again = oncall_app(shared_store)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "at")
        listing = again.screen
        assert isinstance(listing, ChoiceScreen)
        assert listing.options[0][1] == ticket.key and "mentioned you" in listing.options[0][0]
        await press(pilot, "enter")
        assert isinstance(again.screen, TicketScreen) and again.screen.key == ticket.key
