"""Presence on the ticket screen: two apps on one PostgreSQL store, each signed in with
its agent's own login, see each other open the ticket and reply on it; a local file
shows nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from textual.pilot import Pilot

from helpdesk_tui.launch import bootstrap
from helpdesk_tui.settings.config import Settings
from helpdesk_tui.store.base import PresenceState
from helpdesk_tui.store.sql import SqlRepository
from helpdesk_tui.store.sql.presence import SqlPresenceListener
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.compose import ComposeScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen
from helpdesk_tui.ui.widgets import presence
from helpdesk_tui.ui.widgets.presence import PresenceStrip
from tests.store.support import open_as
from tests.ui.live_support import fill, until
from tests.ui.support import settle

POSTGRES = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
KEY = "HD-3"
SEEN_WITHIN = 2.0
"""An announcement shows on the other app's screen within this (the change feed's goal)."""


@dataclass
class Store:
    url: str
    folder: Path
    owner: SqlRepository
    opened: list[SqlRepository]

    def app(self, agent: str, **terminal: bool) -> HelpdeskApp:
        """The app as `agent` signs in with their own login (on a local file: by name)."""
        settings = Settings(
            data_dir=self.folder / agent, agent=agent, backend_url=self.url, cursor_blink=False
        )
        settings = replace(settings, terminal=replace(settings.terminal, **terminal))
        if self.url.startswith("postgresql"):
            repo = open_as(self.owner, self.url, agent, self.folder)
        else:
            repo = SqlRepository.open(self.url, settings.attachments_dir)
        self.opened.append(repo)
        service = bootstrap.build_service(settings, repo)
        assert service.me.username == agent
        return HelpdeskApp(service, settings, bootstrap.views(settings), oncall=False)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    fill(store_url, tmp_path / "attachments")
    owner = SqlRepository.open(store_url, tmp_path / "attachments")
    shared = Store(store_url, tmp_path, owner, [])
    try:
        yield shared
    finally:
        for repo in shared.opened:
            repo.close()
        owner.close()


@asynccontextmanager
async def running(*apps: HelpdeskApp) -> AsyncIterator[list[Pilot[None]]]:
    """Every app running at once, in this one event loop."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(app.run_test(size=(100, 30))) for app in apps]


async def open_ticket(pilot: Pilot[None], key: str = KEY) -> None:
    """Open ticket `key` and wait until it is read. Asked through the app's own queue:
    a screen pushed from the test's task would run with whichever app that task entered
    last as its `app` (Textual's active_app is a context variable)."""
    app = pilot.app
    assert isinstance(app, HelpdeskApp)
    app.call_later(app.open_ticket, key)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, TicketScreen) and screen.ticket is not None, screen


def strip(pilot: Pilot[None]) -> PresenceStrip:
    return pilot.app.screen.query_one(PresenceStrip)


def line(pilot: Pilot[None]) -> str:
    """What the strip shows, or "" while it is hidden."""
    shown = strip(pilot)
    return str(shown.render()) if shown.display else ""


@POSTGRES
async def test_an_agent_opening_a_ticket_sees_who_is_replying_before_typing(
    store: Store,
) -> None:
    async with running(store.app("julia"), store.app("ivan")) as (julia, ivan):
        await open_ticket(julia)
        assert strip(julia).active and line(julia) == ""  # alone: nothing shown
        await julia.press("r")
        await settle(julia)
        assert isinstance(julia.app.screen, ComposeScreen)

        # Ivan opens it: julia's app answers his "viewing" at once, julia does nothing.
        opened = time.monotonic()
        await open_ticket(ivan)
        await until(ivan, lambda: "julia is replying" in line(ivan), SEEN_WITHIN, "replying")
        seen = time.monotonic() - opened
        assert line(ivan) == "Also here: julia is replying"
        assert strip(ivan).has_class("-replying")

        # Her composer put away (the draft kept): she is back to only viewing.
        await julia.press("escape")
        await until(ivan, lambda: line(ivan) == "Also here: julia", SEEN_WITHIN, "viewing")
        julia_screen = julia.app.screen
        await until(
            julia,
            lambda: julia_screen.query_one(PresenceStrip).peers == {"ivan": PresenceState.VIEWING},
            SEEN_WITHIN,
            "julia sees ivan",
        )

        # Ivan goes back to the queue: "left" takes him off her line at once.
        await ivan.press("escape")
        left = await until(
            julia,
            lambda: not julia_screen.query_one(PresenceStrip).display,
            SEEN_WITHIN,
            "left",
        )
        assert left < presence.EXPIRE / 10  # not the expiry
    print(f"seen after {seen:.2f} s, gone {left:.2f} s after leaving")


@POSTGRES
async def test_a_colleague_who_stops_saying_so_is_dropped_after_the_expiry(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence, "HEARTBEAT", 0.3)
    monkeypatch.setattr(presence, "EXPIRE", 1.5)
    async with running(store.app("julia"), store.app("ivan")) as (julia, ivan):
        await open_ticket(julia)
        await open_ticket(ivan)
        await until(ivan, lambda: line(ivan) == "Also here: julia", SEEN_WITHIN, "julia")
        # Heartbeats keep her there well past the expiry.
        await ivan.pause(2 * presence.EXPIRE)
        assert line(ivan) == "Also here: julia"

        # Her app dies without a word (no "left"): the heartbeat stops.
        link = strip(julia)._link
        assert link is not None
        link._stop.set()
        stopped = time.monotonic()
        await until(ivan, lambda: line(ivan) == "", presence.EXPIRE + 2.0, "expired")
        gone = time.monotonic() - stopped
        # Not before her last heartbeat has aged past the expiry.
        assert gone >= presence.EXPIRE - presence.HEARTBEAT - 0.1
    print(f"dropped {gone:.2f} s after the heartbeat stopped (expiry {presence.EXPIRE} s)")


@POSTGRES
async def test_presence_turned_off_neither_tells_nor_shows(store: Store) -> None:
    async with running(store.app("julia", presence=False), store.app("ivan")) as (julia, ivan):
        await open_ticket(julia)
        await julia.press("r")
        await settle(julia)
        await open_ticket(ivan)
        await ivan.pause(1.0)
        assert line(ivan) == ""
        assert not strip(ivan).peers
        assert isinstance(julia.app.screen, ComposeScreen)
        assert not julia.app.screen_stack[-2].query_one(PresenceStrip).active


@POSTGRES
async def test_a_ticket_that_is_not_there_is_announced_to_nobody(store: Store) -> None:
    # The store's owner listens on that key below the service (which would refuse it).
    listener = SqlPresenceListener(store.owner.engine, "HD-404")
    try:
        async with running(store.app("julia")) as (julia,):
            julia.app.call_later(julia.app.open_ticket, "HD-404")  # type: ignore[attr-defined]
            await settle(julia)
            link = strip(julia)._link
            assert link is not None  # PostgreSQL: it tried
            await until(julia, lambda: not link._thread.is_alive(), SEEN_WITHIN, "given up")
            await julia.press("escape")
            await settle(julia)
        assert listener.wait(0.5) == []
    finally:
        listener.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_local_file_shows_nothing_and_raises_nothing(store: Store) -> None:
    async with running(store.app("julia"), store.app("ivan")) as (julia, ivan):
        for pilot in (julia, ivan):
            await open_ticket(pilot)
        await julia.press("r")
        await settle(julia)
        await julia.press("escape")
        await ivan.pause(0.5)
        for pilot in (julia, ivan):
            assert not strip(pilot).active and line(pilot) == ""
        await ivan.press("escape")
        await settle(ivan)
