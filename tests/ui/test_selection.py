"""Select the whole view (ctrl+a) or everything but the selection (*), then act on it:
the title counts the selection and the bulk action's confirmation names the count."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Label

from helpdesk_tui.domain.model import Priority
from helpdesk_tui.ui.screens.dialogs import ConfirmScreen, PromptScreen
from helpdesk_tui.ui.screens.queue import QueueScreen
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.ui.conftest import AppFactory
from tests.ui.support import choose, press, settle


async def test_select_all_invert_and_a_bulk_action_on_the_count(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "right_square_bracket")  # All open
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(TicketTable)
        total = table.total
        assert total > 3
        # Filled: the whole view, rows not yet read included.
        await press(pilot, "ctrl+a")
        assert len(table.marked) == total
        assert f"{total} selected" in str(screen.query_one("TitleBar").render())
        # Invert: nothing; select one, invert: all but that one.
        await press(pilot, "asterisk")
        assert table.marked == set()
        first = table.current
        assert first is not None
        await press(pilot, "space", "asterisk")
        assert len(table.marked) == total - 1 and first.key not in table.marked
        # The bulk action asks with the count, and does it to exactly those.
        await press(pilot, "p")
        await choose(pilot, "P4")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        asked = str(confirm.query_one(".dialog-title", Label).render())
        assert f"on {total - 1} tickets?" in asked
        await press(pilot, "y")
        await settle(pilot)
        after = app.service.query(replace(screen.current_query(), limit=500)).tickets
        assert {t.key: t.priority for t in after if t.key != first.key} == {
            t.key: Priority.LOW for t in after if t.key != first.key
        }
        assert app.service.get(first.key).priority is first.priority
        # The selection is gone from the screen too, from the rows the write changed
        # and from those it did not (already P4: a re-read repaints changed rows only).
        assert table.marked == set()
        drawn = [strip.text for strip in screen._compositor.render_strips()]
        assert not any("●" in line for line in drawn), drawn


async def test_select_all_of_an_empty_view_selects_nothing(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "f")
        await pilot.press(*"status:new org:no-such-organization", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(TicketTable)
        assert table.total == 0
        await press(pilot, "ctrl+a", "asterisk")
        assert table.marked == set()
        await press(pilot, "p")  # nothing to act on: no dialog
        assert app.screen is screen


async def test_tags_in_bulk_add_and_remove_on_the_selection(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(TicketTable)
        first, second = table.visible_tickets()[:2]
        app.service.update(first.key, app.service.get(first.key).version, tags=("vpn",))
        await press(pilot, "space", "space", "number_sign")
        # Empty: the prompt will not take nothing.
        await press(pilot, "enter")
        assert isinstance(app.screen, PromptScreen)
        # Bad: words with nothing to add or remove are said, and nothing is written.
        await pilot.press(*"+ -")
        await press(pilot, "enter")
        assert app.screen is screen
        assert app.service.get(second.key).tags == second.tags
        # Filled: added to both, removed where it was, after a confirmation naming two.
        await press(pilot, "number_sign")
        await pilot.press(*"+outage -vpn")
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await press(pilot, "y")
        await settle(pilot)
        assert app.service.get(first.key).tags == ("outage",)
        assert app.service.get(second.key).tags == (*second.tags, "outage")
