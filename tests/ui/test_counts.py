"""Counts where agents decide: each view's count in the picker, and how many tickets of
the view are breached or due soon in the queue's header (the store's own counts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from helpdesk_tui.domain.model import ACTIVE_STATUSES
from helpdesk_tui.service.views import BREACHING_SOON
from helpdesk_tui.store import base as store_base
from helpdesk_tui.store.base import Query
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens import dialogs as dialogs_module
from helpdesk_tui.ui.screens import sla_board as board_module
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen
from helpdesk_tui.ui.widgets.title_bar import TitleBar
from tests.ui.conftest import AppFactory
from tests.ui.support import choose, settle
from tests.ui.test_flows import queue


async def _open_the_view_picker(app: HelpdeskApp, pilot: Pilot[None]) -> list[str]:
    """Press v; the views as the picker lists them, counts and all."""
    await pilot.press("v")
    await settle(pilot)
    picker = app.screen
    assert isinstance(picker, ChoiceScreen)
    options = picker.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_view_picker_shows_each_view_s_count(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = await _open_the_view_picker(app, pilot)
        service, now = app.service, app.clock()
        for view, label in zip(app.views, shown, strict=True):
            expected = service.count(view.build(app.username, now))
            assert label.endswith(f"({expected:,})"), (view.id, label, expected)
        assert any(not label.endswith("(0)") for label in shown)
        await pilot.press("escape")  # closing it before the counts land is fine too
        await settle(pilot)


async def test_the_queue_header_counts_breached_and_due_soon_tickets(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = queue(app)
        query = screen.current_query()
        service, now = app.service, app.clock()
        breached = service.count(
            Query(statuses=query.statuses, assignees=query.assignees, due_before=now)
        )
        soon = service.count(
            Query(
                statuses=query.statuses, assignees=query.assignees, due_before=now + BREACHING_SOON
            )
        )
        title = str(screen.query_one(TitleBar).render())
        assert f"{breached:,} breached" in title and f"{soon - breached:,} due ≤30m" in title, title


def test_urgency_counts_keep_a_view_s_own_due_limit(make_app: AppFactory) -> None:
    service = make_app().service
    now = service.clock()
    everything = Query(statuses=ACTIVE_STATUSES)
    breached, soon = service.urgency_counts(everything, BREACHING_SOON)
    assert breached == service.count(Query(statuses=ACTIVE_STATUSES, due_before=now))
    assert breached > 0
    # A view that already ends before "soon" counts nothing beyond its own end.
    tight = Query(statuses=ACTIVE_STATUSES, due_before=now + timedelta(minutes=1))
    _b, tight_soon = service.urgency_counts(tight, BREACHING_SOON)
    assert tight_soon == service.count(tight) - breached
    assert soon >= tight_soon


async def test_past_the_cap_the_queue_the_board_and_the_picker_say_plus(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo store's open tickets, with a cap of 5: every list stops counting at 5.
    # The queue asks base.list_count_cap, which reads the store's COUNT_CAP.
    for module in (store_base, board_module, dialogs_module):
        monkeypatch.setattr(module, "COUNT_CAP", 5)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        shown = await _open_the_view_picker(app, pilot)
        assert any(label.startswith("All open") and label.endswith("(5+)") for label in shown)
        await choose(pilot, "All open")
        await settle(pilot)

        screen = queue(app)
        assert screen.table.total == 5 and screen.table.capped
        assert "5+ tickets" in str(screen.query_one(TitleBar).render())
        await pilot.press("G")  # the last row counted, not a row past it
        await settle(pilot)
        assert screen.table.cursor == 4 and screen.table.current is not None

        await pilot.press("f4")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, board_module.SlaBoardScreen)
        assert "5+ running clocks" in str(board.query_one(TitleBar).render())
