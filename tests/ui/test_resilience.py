"""A slow or locked store shows as a status line while the screen keeps answering; the
theme an agent picks is remembered."""

from __future__ import annotations

import sqlite3
import time

from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.widgets.status_line import StatusLine
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.ui.conftest import AppFactory
from tests.ui.support import settle
from tests.ui.test_flows import open_view, queue


async def test_locked_store_shows_a_status_and_the_ui_keeps_answering(
    make_app: AppFactory,
) -> None:
    app = make_app()
    repo = app.service.repo
    assert isinstance(repo, SqlRepository)
    database = repo.engine.url.database
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_view(pilot, "Unassigned")
        table = queue(app).query_one(TicketTable)
        first = table.current
        assert first is not None and first.assignee is None
        # Another process holds the write lock: our write waits (busy timeout), then fails.
        blocker = sqlite3.connect(str(database), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            await pilot.press("t")  # take: a write, which now waits for the lock
            status = queue(app).query_one(StatusLine)
            deadline = time.monotonic() + 4
            while "waiting for the store" not in status.text:
                assert time.monotonic() < deadline, "no slow-store status within 4 s"
                await pilot.pause(0.1)
            await pilot.press("down")  # the screen still answers keys meanwhile
            await pilot.pause(0.1)
            assert table.cursor == 1
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        await settle(pilot)
    # The lock was held for less than the busy timeout: the write waited, then went through.
    assert app.service.repo.get(first.key).assignee == app.service.me.username


async def test_theme_choice_is_remembered(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.theme == "helpdesk-dark"
        app.theme = "helpdesk-contrast"
        await settle(pilot)
    again = make_app()
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert again.theme == "helpdesk-contrast"
