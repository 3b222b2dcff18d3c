"""Live: what another agent changes shows on the open queue and ticket within 2 seconds,
on SQLite and on PostgreSQL, without the agent losing their place or their draft."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import DataTable, TextArea

from helpdesk_tui.domain.model import ACTIVE_STATUSES, Priority
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.store.base import Query
from helpdesk_tui.ui.screens.base import LiveScreen
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.widgets.conversation import Conversation
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.ui.live_support import (
    LIVE_WITHIN,
    SharedStore,
    all_open,
    conversation_text,
    open_ticket,
    shared_store_at,
    until,
)
from tests.ui.support import settle


@pytest.fixture
def shared_store(store_url: str, tmp_path: Path) -> Iterator[SharedStore]:
    with shared_store_at(store_url, tmp_path / "app-data") as store:
        yield store


def row_text(table: TicketTable, row: int) -> str:
    """What the terminal shows on the table's line for `row`."""
    return table.render_line(row - int(table.scroll_y) + 1).text


async def test_a_colleagues_change_shows_in_the_queue(shared_store: SharedStore) -> None:
    app = shared_store.app()
    colleague = shared_store.colleague()
    async with app.run_test(size=(120, 40)) as pilot:
        await all_open(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.table
        await pilot.press("down", "down")  # the agent's place, which must not move
        ticket = table.current
        assert ticket is not None

        colleague.update(ticket.key, ticket.version, subject="Gateway down in Lisbon")
        written = time.monotonic()
        await until(
            pilot,
            lambda: "Gateway down in Lisbon" in row_text(table, 2),
            LIVE_WITHIN,
            "the colleague's subject on the queue",
        )
        print(f"queue: write to screen in {time.monotonic() - written:.3f} s")
        assert table.cursor == 2 and table.current is not None
        assert table.current.key == ticket.key

        # A new ticket from somebody else joins the view.
        total = table.total
        colleague.create(TicketDraft("Printer on fire", requester_email="ada@example.com"))
        await until(pilot, lambda: table.total == total + 1, LIVE_WITHIN, "the new ticket")
        assert app.change_listener.running
    # The app's one listener ends with it (within a wait of the feed).
    deadline = time.monotonic() + 2
    while app.change_listener.running:
        assert time.monotonic() < deadline, "the change listener outlived the app"
        time.sleep(0.05)


async def test_a_colleagues_change_shows_on_the_open_ticket(shared_store: SharedStore) -> None:
    app = shared_store.app()
    colleague = shared_store.colleague()
    async with app.run_test(size=(80, 24)) as pilot:
        key = (await all_open(pilot)).key
        for n in range(4):  # a thread long enough to scroll in 80x24
            colleague.note(key, colleague.get(key).version, f"Earlier note {n}\n" + "…\n" * 5)
        screen = await open_ticket(pilot)
        assert screen.key == key
        conversation = screen.query_one(Conversation)
        history = screen.query_one("#history-table", DataTable)
        assert conversation.max_scroll_y > 0
        conversation.scroll_home(animate=False)  # the agent reads the first message
        await settle(pilot)
        entries = history.row_count

        colleague.note(key, colleague.get(key).version, "Vendor confirmed the fix for Lisbon")
        written = time.monotonic()
        await until(
            pilot,
            lambda: "Vendor confirmed the fix" in conversation_text(screen),
            LIVE_WITHIN,
            "the colleague's note on the ticket",
        )
        print(f"ticket: write to screen in {time.monotonic() - written:.3f} s")
        await settle(pilot)
        assert conversation.scroll_y == 0  # still where the agent was reading
        assert history.row_count == entries + 1
        assert screen.ticket is not None and screen.ticket.version == colleague.get(key).version

        # A change to another ticket does not re-read this one.
        others = colleague.query(Query(statuses=ACTIVE_STATUSES, limit=5)).tickets
        other = next(t for t in others if t.key != key)
        shown = screen._shown
        colleague.update(other.key, other.version, subject="Somebody else's ticket")
        await pilot.pause(0.6)
        await settle(pilot)
        assert screen._shown is shown


async def test_a_draft_being_typed_survives_a_colleagues_change(
    shared_store: SharedStore,
) -> None:
    app = shared_store.app()
    colleague = shared_store.colleague()
    async with app.run_test(size=(120, 40)) as pilot:
        current = await all_open(pilot)
        screen = await open_ticket(pilot)
        assert screen.ticket is not None
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"We are restarting the")
        fresh = colleague.get(current.key)
        target = Priority.LOW if fresh.priority is not Priority.LOW else Priority.HIGH
        colleague.update(current.key, fresh.version, priority=target)
        await pilot.pause(0.8)  # seen meanwhile; the ticket re-reads once the editor closes
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one(TextArea).text == "We are restarting the"
        assert screen.ticket.priority is fresh.priority  # nothing moved under the editor
        await pilot.press("escape")  # close, keeping the draft
        await until(
            pilot,
            lambda: screen.ticket is not None and screen.ticket.priority is target,
            LIVE_WITHIN,
            "the colleague's priority once the editor closed",
        )
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "We are restarting the"


async def test_a_change_before_a_screen_is_first_shown_is_read_once() -> None:
    """A launch's store can answer before the queue's first ScreenResume: the change and
    the first showing must make one read, not two (the second dropped the first)."""

    class Counting(LiveScreen):
        REFRESH_ON_RESUME = True
        reads = 0

        def live_changed(self, keys: frozenset[str] | None) -> None:
            self.reads += 1

    screen = Counting()

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)
            screen.store_changed(None)  # before the ScreenResume the push queued

    async with Host().run_test() as pilot:
        await pilot.pause()
        assert screen.reads == 1
        screen.store_changed(frozenset({"HD-1"}))  # shown now: read at once
        assert screen.reads == 2
