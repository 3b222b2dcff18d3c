"""`!` on a ticket (issue 19, line 2): a command typed, run with Enter, its output read,
and added as an internal note with a second Enter, or discarded with escape. Nothing runs
before the first Enter. On the app with its real SQLite store and a real /bin/sh."""

from __future__ import annotations

import time
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static

from helpdesk_tui.domain.model import CommentKind
from helpdesk_tui.service.tickets import COMMAND_EVENT
from helpdesk_tui.settings.config import TerminalSettings
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.shell_note import ShellNoteScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets.conversation import Conversation
from tests.ui.conftest import AppFactory
from tests.ui.support import expect_screen, open_ticket, press, settle

SIZE = (100, 40)


def shown(pilot: Pilot[None], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def start(pilot: Pilot[None], key: str) -> ShellNoteScreen:
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    await open_ticket(pilot, app, key)
    await press(pilot, "exclamation_mark")
    expect_screen(pilot, ShellNoteScreen)
    screen = app.screen
    assert isinstance(screen, ShellNoteScreen)
    return screen


async def type_and_run(pilot: Pilot[None], command: str) -> ShellNoteScreen:
    """Type `command` into the open dialog, run it with Enter and wait for its end."""
    screen = pilot.app.screen
    assert isinstance(screen, ShellNoteScreen)
    screen.query_one(Input).value = command
    await pilot.press("enter")
    deadline = time.monotonic() + 20
    while screen.run is None and time.monotonic() < deadline:
        await pilot.pause(0.05)
    assert screen.run is not None, "the command did not finish"
    await pilot.pause()
    return screen


def notes(store: SqlRepository, key: str) -> list[str]:
    return [c.body for c in store.comments(key) if c.kind is CommentKind.NOTE]


def nothing_added(store: SqlRepository, before: list[str]) -> None:
    """HD-1 has the notes it had, and no command in its history."""
    assert notes(store, "HD-1") == before
    assert not [e for e in store.history("HD-1") if e.field == COMMAND_EVENT]


async def test_nothing_runs_before_enter_and_escape_cancels_or_discards(
    make_app: AppFactory, store: SqlRepository, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    command = f"touch {marker}; echo made"
    app = make_app()
    before = notes(store, "HD-1")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, "HD-1")
        await pilot.press(*command)
        await settle(pilot)
        time.sleep(0.3)
        assert not marker.exists(), "the command ran before Enter"
        await press(pilot, "escape")
        expect_screen(pilot, TicketScreen)
        assert not marker.exists(), "escape ran the command"
        # Again, and this time Enter runs it; escape then discards its output.
        await press(pilot, "exclamation_mark")
        expect_screen(pilot, ShellNoteScreen)
        await type_and_run(pilot, command)
        assert marker.exists()
        assert "    made" in shown(pilot, "#shell-output")
        await press(pilot, "escape")
        expect_screen(pilot, TicketScreen)
    nothing_added(store, before)


async def test_enter_adds_the_output_as_an_internal_note(
    make_app: AppFactory, store: SqlRepository
) -> None:
    app = make_app()
    command = "printf 'disk\\033[31m full\\n[bold red]markup[/] [@click=app.quit]x\\n'"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(pilot, "HD-1")
        screen = await type_and_run(pilot, command)
        preview = shown(pilot, "#shell-output")
        assert "    disk full" in preview and "\x1b" not in preview
        assert "[bold red]markup[/] [@click=app.quit]x" in preview  # text, not markup
        assert "exit 0" in shown(pilot, "#shell-state")
        assert screen.run is not None and screen.run.succeeded
        await press(pilot, "enter")
        expect_screen(pilot, TicketScreen)
        await settle(pilot)
        conversation = app.screen.query_one(Conversation)
        last = conversation.query(".message")[-1]
        assert last.has_class("-note")
        text = str(last.render())
        assert "INTERNAL NOTE" in text and "disk full" in text and "\x1b" not in text
    note = store.comments("HD-1")[-1]
    assert note.kind is CommentKind.NOTE and not note.is_public
    output = "    disk full\n    [bold red]markup[/] [@click=app.quit]x"
    assert note.body == f"$ {command}\n{output}\n[exit 0]"
    commands = [e.new for e in store.history("HD-1") if e.field == COMMAND_EVENT]
    assert commands == [command]


async def test_a_command_not_found_shows_127_and_can_be_kept(
    make_app: AppFactory, store: SqlRepository
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, "HD-1")
        await type_and_run(pilot, "no-such-tool --status")
        assert "exit 127" in shown(pilot, "#shell-state")
        assert "not found" in shown(pilot, "#shell-output")
        assert app.screen.query_one("#shell-state").has_class("-failed")
        await press(pilot, "enter")
        expect_screen(pilot, TicketScreen)
        await settle(pilot)
    assert store.comments("HD-1")[-1].body.endswith("[exit 127]")


async def test_empty_enter_runs_nothing_and_escape_while_it_runs_stops_it(
    make_app: AppFactory, store: SqlRepository
) -> None:
    app = make_app()
    before = notes(store, "HD-1")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(pilot, "HD-1")
        for typed in ("", "   "):
            screen.query_one(Input).value = typed
            await press(pilot, "enter")
            expect_screen(pilot, ShellNoteScreen)
            assert "Type a command to run" in shown(pilot, "#shell-error")
            assert screen.run is None and not screen.running
        # A line the shell cannot be given (a NUL byte): said, and the line can be fixed.
        screen.query_one(Input).value = "echo a\x00b"
        await press(pilot, "enter")
        expect_screen(pilot, ShellNoteScreen)
        assert "could not run" in shown(pilot, "#shell-error")
        assert not screen.query_one(Input).disabled and screen.run is None
        # A command that runs until it is stopped: escape stops it, the dialog stays.
        screen.query_one(Input).value = "echo started; sleep 100"
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.02)
        assert screen.running and "Running" in shown(pilot, "#shell-state")
        await pilot.press("enter")  # nothing to add yet: no effect
        assert screen.running
        started = time.monotonic()
        await pilot.press("escape")
        while screen.run is None and time.monotonic() - started < 10:
            await pilot.pause(0.05)
        assert time.monotonic() - started < 3
        expect_screen(pilot, ShellNoteScreen)  # still up: what it wrote can be kept
        assert "stopped by the agent" in shown(pilot, "#shell-state")
        assert "    started" in shown(pilot, "#shell-output")
        await press(pilot, "escape")
        expect_screen(pilot, TicketScreen)
    nothing_added(store, before)


async def test_turned_off_in_the_config_says_so_and_opens_nothing(
    make_app: AppFactory, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    app = make_app(terminal=TerminalSettings(shell=False))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_ticket(pilot, app, "HD-1")
        await press(pilot, "exclamation_mark")
        expect_screen(pilot, TicketScreen)
        said = [n.message for n in app._notifications]
        assert any("turned off in [terminal] shell" in m for m in said), said
        await pilot.press(*f"touch {marker}", "enter")
        await settle(pilot)
    assert not marker.exists()


async def test_f6_lists_on_call_alerts_and_bang_is_the_tickets(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "f6")
        said = [n.message for n in app._notifications]
        assert "No on-call alert is waiting." in said, said
        await press(pilot, "exclamation_mark")  # on the queue: no shell
        assert not isinstance(app.screen, ShellNoteScreen)
