"""Keys that arrive together, as over a slow link, act in order and where they were
meant (ui/typeahead.py): the keys after one that opens a field go into that field."""

from __future__ import annotations

import pytest
from textual import events
from textual.message import Message
from textual.widgets import Input

from helpdesk_tui.ui import typeahead
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.dialogs import PromptScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from tests.ui.conftest import AppFactory
from tests.ui.support import running, settle

_NAMES = {"/": "slash", "-": "minus", "\r": "enter", "\x1b": "escape"}


def _arrive_at_once(app: HelpdeskApp, typed: str) -> None:
    """Every key of `typed` in the app's queue before the first is handled."""
    for char in typed:
        app.post_message(events.Key(_NAMES.get(char, char), None if char == "\r" else char))


def _queue(app: HelpdeskApp) -> QueueScreen:
    assert isinstance(app.screen, QueueScreen)
    return app.screen


async def test_a_search_typed_in_one_burst_searches_and_changes_no_ticket(
    make_app: AppFactory,
) -> None:
    async with running(make_app, (80, 24)) as (app, pilot):
        queue = _queue(app)
        selected = queue.table.current
        assert selected is not None
        before = app.service.get(selected.key)
        _arrive_at_once(app, "/printer\r")
        await settle(pilot)
        assert queue.search_text == "printer"
        assert app.screen is queue  # no picker opened by "p", "r", "i", ...
        after = app.service.get(selected.key)
        assert (after.priority, after.assignee, after.version) == (
            before.priority,
            before.assignee,
            before.version,
        )


async def test_keys_after_the_one_that_opens_a_dialog_go_into_its_field(
    make_app: AppFactory,
) -> None:
    async with running(make_app, (80, 24)) as (app, pilot):
        _queue(app)
        # Enter opens the ticket (read in a worker), m asks for the duplicate's target.
        _arrive_at_once(app, "\rmHD-999")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, PromptScreen), prompt
        assert prompt.query_one(Input).value == "HD-999"
        _arrive_at_once(app, "\r")
        await settle(pilot)
        # The wrong key is refused on the ticket's screen; nothing else happened.
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket is not None and app.screen.ticket.merged_into is None


async def test_an_empty_burst_and_a_lone_key_still_work(make_app: AppFactory) -> None:
    async with running(make_app, (80, 24)) as (app, pilot):
        queue = _queue(app)
        _arrive_at_once(app, "")
        await settle(pilot)
        assert app.screen is queue
        first = queue.table.cursor
        _arrive_at_once(app, "j")
        await settle(pilot)
        assert queue.table.cursor == first + 1


async def test_a_key_right_after_one_that_closes_a_dialog_does_not_wait(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key that closes a dialog is handled by a widget that goes with the dialog:
    the key after it acts as soon as the queue is back, not when the give-up timer
    (LONGEST_WAIT, made a minute here) fires. The wait is a poll, not a fixed pause, so
    a slow machine is not taken for a lost key."""
    monkeypatch.setattr(typeahead, "LONGEST_WAIT", 60.0)
    async with running(make_app, (80, 24)) as (app, pilot):
        queue = _queue(app)
        first = queue.table.cursor
        _arrive_at_once(app, "p")  # the priority picker
        await settle(pilot)
        assert app.screen is not queue
        _arrive_at_once(app, "\x1bj")
        for _ in range(200):  # ten seconds at most, far under the minute
            if queue.table.cursor != first:
                break
            await pilot.pause(0.05)
        assert app.screen is queue
        assert queue.table.cursor == first + 1


async def test_a_marker_lost_with_its_dialog_does_not_hold_the_next_key(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closing dialog drops the messages that reach it (here every marker, as a dialog
    removed before the marker got through): the key after the one that closed it still
    acts once the queue is back, not after the give-up timer."""
    monkeypatch.setattr(typeahead, "LONGEST_WAIT", 60.0)
    async with running(make_app, (80, 24)) as (app, pilot):
        queue = _queue(app)
        first = queue.table.cursor
        _arrive_at_once(app, "p")
        await settle(pilot)
        dialog = app.screen
        assert dialog is not queue
        post = dialog.post_message

        def dropping_markers(message: Message) -> bool:
            return True if isinstance(message, typeahead.KeyHandled) else post(message)

        monkeypatch.setattr(dialog, "post_message", dropping_markers)
        _arrive_at_once(app, "\x1bj")
        for _ in range(200):
            if queue.table.cursor != first:
                break
            await pilot.pause(0.05)
        assert app.screen is queue
        assert queue.table.cursor == first + 1
