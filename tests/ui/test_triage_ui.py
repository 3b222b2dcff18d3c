"""Smart triage in the app: the suggestion line on the ticket and queue screens, accepted
or dismissed with one key, and similar past tickets that open with enter."""

from __future__ import annotations

import time

import pytest
from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot

from helpdesk_tui.domain.model import Status
from helpdesk_tui.domain.triage import ACCEPTED_TAG, DISMISSED_TAG
from helpdesk_tui.service import TicketDraft, triage_learning
from helpdesk_tui.store.base import Query, SortKey
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.suggestion import SimilarTable, SuggestionBar
from tests.ui import support
from tests.ui.conftest import AppFactory
from tests.ui.support import press, settle


def new_keys(app: HelpdeskApp) -> list[str]:
    query = Query(statuses=frozenset({Status.NEW}), sort=SortKey.KEY, limit=10)
    return [t.key for t in app.service.query(query).tickets]


def palette(app: HelpdeskApp) -> set[str]:
    return {command.title for command in app.get_system_commands(app.screen)}


def bar_text(bar: SuggestionBar) -> str:
    rendered = bar.render()
    assert isinstance(rendered, Content | Text)
    return rendered.plain


async def open_ticket(pilot: Pilot[None], app: HelpdeskApp, key: str) -> TicketScreen:
    screen = await support.open_ticket(pilot, app, key)
    assert screen.triage is not None
    return screen


async def test_accept_with_one_key_on_the_ticket_screen(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        key = new_keys(app)[0]
        screen = await open_ticket(pilot, app, key)
        bar = screen.query_one(SuggestionBar)
        assert bar.display and screen.triage is not None and screen.triage.offered
        shown = screen.triage.suggestion
        assert bar_text(bar).startswith("Suggested: ")
        assert "+ accept · - dismiss" in bar_text(bar)
        assert {"Accept suggestion", "Dismiss suggestion"} <= palette(app)
        await press(pilot, "plus")
        ticket = app.service.get(key)
        assert ACCEPTED_TAG in ticket.tags
        assert (ticket.priority, ticket.type, ticket.tier) == (
            shown.priority,
            shown.type,
            shown.tier,
        )
        assert not bar.display  # not offered again
        assert screen.ticket is not None and screen.ticket.version == ticket.version


async def test_dismiss_with_one_key_changes_nothing_else(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        key = new_keys(app)[1]
        before = app.service.get(key)
        screen = await open_ticket(pilot, app, key)
        assert screen.query_one(SuggestionBar).display
        await press(pilot, "minus")
        after = app.service.get(key)
        assert DISMISSED_TAG in after.tags
        assert (after.priority, after.type, after.tier) == (
            before.priority,
            before.type,
            before.tier,
        )
        assert not screen.query_one(SuggestionBar).display
        await press(pilot, "minus")  # nothing offered now: a warning, no write
        assert app.service.get(key).version == after.version


async def test_no_suggestion_line_for_a_ticket_being_worked(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        query = Query(statuses=frozenset({Status.OPEN}), limit=1)
        key = app.service.query(query).tickets[0].key
        screen = await open_ticket(pilot, app, key)
        assert screen.triage is not None and not screen.triage.offered
        assert not screen.query_one(SuggestionBar).display
        # Nothing offered: the palette does not offer to accept it either.
        assert not {"Accept suggestion", "Dismiss suggestion"} & palette(app)
        assert "Reply" in palette(app)
        await press(pilot, "plus")
        assert app.service.get(key).version == screen.ticket.version  # type: ignore[union-attr]


async def test_similar_tickets_open_with_enter(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        key = new_keys(app)[0]
        screen = await open_ticket(pilot, app, key)
        await press(pilot, "4")
        table = screen.query_one(SimilarTable)
        assert app.focused is table and table.row_count > 0
        assert screen.triage is not None
        first = screen.triage.similar[0].ticket.key
        await press(pilot, "enter")
        opened = app.screen
        assert isinstance(opened, TicketScreen) and opened.key == first


async def test_the_queue_shows_and_acts_on_the_highlighted_new_ticket(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "right_square_bracket")  # All open: new tickets are unassigned
        await press(pilot, "f")
        await pilot.press(*"status:new", "enter")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        bar = queue.query_one(SuggestionBar)
        for _ in range(20):  # the line follows the cursor on a short timer
            await pilot.pause(0.1)
            await settle(pilot)
            if bar.display:
                break
        current = queue.table.current
        assert current is not None and current.status is Status.NEW
        assert bar.display and bar_text(bar).startswith(f"{current.key} Suggested: ")
        await press(pilot, "minus")
        assert DISMISSED_TAG in app.service.get(current.key).tags
        assert not bar.display


async def test_customer_words_in_the_reason_are_never_markup(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        ticket = app.service.create(
            TicketDraft(
                subject="Unable to [@click=app.quit]x[/] complete orders",
                description="We are unable to [bold]really[/bold] complete [/] orders.",
            )
        )
        screen = await open_ticket(pilot, app, ticket.key)
        bar = screen.query_one(SuggestionBar)
        assert bar.display
        assert "[bold]really[/bold]" in bar_text(bar)
        await pilot.click(SuggestionBar)
        await settle(pilot)
        assert app.is_running and app.screen is screen


async def test_quitting_while_triage_learns_stops_the_learning_child(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's exit waits for every worker: one waiting for a child that fits a large
    # store would hold the agent's ctrl+q for a minute.
    pytest.importorskip("sklearn")
    monkeypatch.setattr(triage_learning, "CHILD", "import time; time.sleep(120)")
    app = make_app()
    children = app.service._learning_children
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_ticket(new_keys(app)[0])
        deadline = time.monotonic() + 60
        while children.running == 0:
            assert time.monotonic() < deadline, "triage started no learning child"
            await pilot.pause(0.05)
        await pilot.press("ctrl+q")
    stopped_by = time.monotonic() + 10
    while children.running and time.monotonic() < stopped_by:
        time.sleep(0.05)  # the worker's thread wakes when its child is gone
    assert children.running == 0, "the child still learns after the app has ended"
