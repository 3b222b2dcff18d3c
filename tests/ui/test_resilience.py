"""A slow, locked, unreachable or lost store shows as a status line while the screen keeps
answering, and nothing an agent wrote is lost; the theme an agent picks is remembered."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.pilot import Pilot
from textual.widgets import TabbedContent, TextArea

from helpdesk_tui.cli import main as cli
from helpdesk_tui.domain.model import Priority
from helpdesk_tui.service import TicketDraft
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui import app as app_module
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.widgets.status_line import StatusLine
from helpdesk_tui.ui.widgets.ticket_table import TicketTable
from tests.ui.conftest import AppFactory
from tests.ui.live_support import (
    LIVE_WITHIN,
    all_open,
    conversation_text,
    free_port,
    open_ticket,
    shared_store_at,
    throwaway_postgres,
    until,
)
from tests.ui.support import settle
from tests.ui.test_flows import open_view, queue


async def test_locked_store_shows_a_status_and_the_ui_keeps_answering(
    make_app: AppFactory, store: SqlRepository
) -> None:
    app = make_app()
    database = store.engine.url.database
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
        # Said over as soon as the write is, not at the status line's next poll.
        assert "waiting for the store" not in status.text
    # The lock was held for less than the busy timeout: the write waited, then went through.
    assert store.get(first.key).assignee == app.service.me.username


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


# -- the store unreachable at start, lost mid-session, and back ---------------------


def test_unreachable_store_at_start_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there: the connection is refused at once
    config = tmp_path / "helpdesk-tui.toml"
    config.write_text(f'[backend]\nurl = "postgresql+psycopg://alex@127.0.0.1:{port}/helpdesk"\n')
    monkeypatch.setenv("HELPDESK_DB_PASSWORD", "s3cret-pw")
    code = cli.main(["--config", str(config)])  # no command: the app itself
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("helpdesk-tui: ") and err.count("\n") == 1
    assert f"@127.0.0.1:{port}/helpdesk" in err  # the server, named
    assert "s3cret-pw" not in err


async def test_store_lost_mid_session_keeps_the_text_and_recovers(tmp_path: Path) -> None:
    with (
        throwaway_postgres() as server,
        shared_store_at(server.url, tmp_path / "app-data") as store,
    ):
        app = store.app()
        colleague = store.colleague()
        async with app.run_test(size=(120, 40)) as pilot:
            await all_open(pilot)
            screen = await open_ticket(pilot)
            key = screen.key
            status = screen.query_one(StatusLine)

            await asyncio.to_thread(server.stop)
            await until(pilot, lambda: "Store unreachable" in status.text, 5, "the outage shown")
            await until(pilot, lambda: "retrying in" in status.text, 5, "the next retry shown")
            assert status.has_class("-error") and f":{server.port}/" in status.text
            # The screen keeps answering.
            await pilot.press("2")
            await pilot.pause()
            assert screen.query_one(TabbedContent).active == "history"
            await pilot.press("1")

            # A reply sent meanwhile is not lost: the agent is told and has it back.
            text = "Restarting the gateway now"
            await pilot.press("r")
            await pilot.pause()
            first_editor = app.screen
            await pilot.press(*text, "ctrl+s")
            await until(
                pilot,
                lambda: isinstance(app.screen, ComposeScreen) and app.screen is not first_editor,
                5,
                "the editor back with the unsent reply",
            )
            assert app.screen.query_one(TextArea).text == text
            assert screen.drafts.load(key, "reply") == text
            assert app.change_listener.running

            await asyncio.to_thread(server.start)
            waited = await until(
                pilot, lambda: "Store unreachable" not in status.text, 15, "the outage cleared"
            )
            print(f"store back: status cleared {waited:.1f} s after the server started")
            await pilot.press("ctrl+s")  # the same text, sent again
            await until(
                pilot, lambda: screen.drafts.load(key, "reply") is None, 5, "the reply sent"
            )
            bodies = [c.body for c in colleague.conversation(key)]
            assert bodies.count(text) == 1  # sent once: the failed attempt wrote nothing

            # The listener came back too: a colleague's note shows live again.
            colleague.note(key, colleague.get(key).version, "Back online, all checks green")
            await until(
                pilot,
                lambda: "all checks green" in conversation_text(screen),
                LIVE_WITHIN,
                "a colleague's note after the outage",
            )


POSTGRES_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@POSTGRES_ONLY
async def test_killed_connections_are_replaced_quietly(store_url: str, tmp_path: Path) -> None:
    name = f"helpdesk-test-{uuid.uuid4().hex[:8]}"
    url = sa.make_url(store_url).update_query_dict({"application_name": name})
    with shared_store_at(url.render_as_string(hide_password=False), tmp_path / "data") as store:
        app = store.app()
        colleague = store.colleague(store_url)  # another process: its connections live on
        async with app.run_test(size=(120, 40)) as pilot:
            await all_open(pilot)
            screen = await open_ticket(pilot)
            key = screen.key
            status = screen.query_one(StatusLine)
            admin = sa.create_engine(store_url)
            try:
                with admin.begin() as conn:
                    killed = conn.exec_driver_sql(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name = %s",
                        (name,),
                    ).scalar_one()
            finally:
                admin.dispose()
            assert killed >= 2  # the pool's and the listener's

            shown: list[str] = []
            colleague.note(key, colleague.get(key).version, "Seen after the reconnect")
            await until(
                pilot,
                lambda: (
                    shown.append(status.text) or "after the reconnect" in conversation_text(screen)
                ),
                LIVE_WITHIN,
                "a colleague's note once the listener reconnected",
            )
            assert not any("unreachable" in text for text in shown)  # quietly
            await pilot.press("n")
            await pilot.pause()
            await pilot.press(*"Checked the pool", "ctrl+s")
            await until(
                pilot,
                lambda: colleague.conversation(key)[-1].body == "Checked the pool",
                5,
                "our own note written on new connections",
            )


async def _shows(pilot: Pilot[None], line: StatusLine, start: str) -> None:
    deadline = time.monotonic() + 10
    while not line.text.startswith(start):
        assert time.monotonic() < deadline, f"{start!r} not shown: {line.text!r}"
        await pilot.pause(0.05)


async def test_on_call_alerts_wait_behind_a_wait_but_not_behind_background_work(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Triage learned for 80 s on the 1M store: a new P1 said on that line meanwhile would
    # have been hidden behind "waiting for the store (triage: ...)" all that time.
    monkeypatch.setattr(app_module, "ONCALL_EVERY", 0.2)
    app = make_app(oncall=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        line = queue(app).query_one(StatusLine)
        activity = app.store_activity
        learning = activity.begin("triage: learning", background=True)
        await _shows(pilot, line, "waiting for the store (triage: learning)")
        app.service.create(TicketDraft("Checkout down", priority=Priority.CRITICAL))
        await _shows(pilot, line, "On call (")
        waited = activity.begin("take")  # the agent's own write, slow: said first
        await _shows(pilot, line, "waiting for the store (take)")
        activity.end(waited)
        await _shows(pilot, line, "On call (")
        await pilot.press("f6")  # the alerts listed: none waits, the work shows again
        await settle(pilot)
        await pilot.press("escape")
        await _shows(pilot, line, "waiting for the store (triage: learning)")
        activity.end(learning)
