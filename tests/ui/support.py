"""Small Pilot helpers shared by the app's tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.worker import WorkerCancelled

from helpdesk_tui.settings.i18n import label
from helpdesk_tui.ui.app import HelpdeskApp
from helpdesk_tui.ui.screens.dialogs import ChoiceScreen
from helpdesk_tui.ui.screens.escalation import DecideScreen
from helpdesk_tui.ui.screens.ticket import TicketScreen


async def settle(pilot: Pilot[None]) -> None:
    """Let screens switch and store workers (ticket blocks, loads, metrics) finish."""
    for _ in range(3):
        await pilot.pause()
        await _workers_done(pilot.app)
    await pilot.pause()


@asynccontextmanager
async def running(
    make_app: Callable[[], HelpdeskApp], size: tuple[int, int] = (120, 40)
) -> AsyncIterator[tuple[HelpdeskApp, Pilot[None]]]:
    """A new app of `make_app` running headless at `size`, its first screen settled."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield app, pilot


async def _workers_done(app: App[Any]) -> None:
    """Wait for every worker running now. One cancelled meanwhile is done too: an
    exclusive group (the on-call check, every 0.2 s in some tests) cancels its last run
    when it starts the next, and Textual's `wait_for_complete` raised WorkerCancelled
    for it. A worker that failed still fails the test."""
    ended = await asyncio.gather(*(w.wait() for w in list(app.workers)), return_exceptions=True)
    for outcome in ended:
        if isinstance(outcome, BaseException) and not isinstance(outcome, WorkerCancelled):
            raise outcome


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press keys one at a time, settling after each: every key may switch screens."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def choose(pilot: Pilot[None], label_start: str) -> None:
    """Pick the option whose label starts with `label_start` in the open ChoiceScreen."""
    screen = pilot.app.screen
    assert isinstance(screen, ChoiceScreen), screen
    index = next(i for i, (label, _v) in enumerate(screen.options) if label.startswith(label_start))
    await pilot.press("home", *(["down"] * index), "enter")
    await settle(pilot)


async def decide(pilot: Pilot[None], label_start: str, comment: str = "") -> None:
    """In the open decision dialog: pick the decision whose label starts with
    `label_start`, type `comment`, and record it with enter."""
    screen = pilot.app.screen
    assert isinstance(screen, DecideScreen), screen
    labels = [label(text) for text, _decision in screen.OPTIONS]
    index = next(i for i, text in enumerate(labels) if text.startswith(label_start))
    await pilot.press("home", *(["down"] * index), "enter", *comment)
    await pilot.press("enter")
    await settle(pilot)


async def wait_for_screen(
    pilot: Pilot[None], kind: type[Screen[object]], seconds: float = 10
) -> None:
    """Settle until a screen of `kind` is up: a write's answer (a conflict, an error)
    comes back from a worker, later on a loaded machine than on a quiet one."""
    for _ in range(int(seconds / 0.05)):
        if isinstance(pilot.app.screen, kind):
            return
        await settle(pilot)
        await pilot.pause(0.05)
    expect_screen(pilot, kind)


def expect_screen(pilot: Pilot[None], kind: type[Screen[object]]) -> None:
    """Fail early (before a snapshot is taken or accepted) when the wrong screen is up."""
    assert isinstance(pilot.app.screen, kind), f"expected {kind.__name__}, got {pilot.app.screen}"


async def open_ticket(pilot: Pilot[None], app: HelpdeskApp, key: str) -> TicketScreen:
    """Open ticket `key` and wait until it is read."""
    await settle(pilot)
    app.open_ticket(key)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, TicketScreen) and screen.ticket is not None, screen
    return screen


async def without_live_updates(pilot: Pilot[None]) -> None:
    """Stop the app's change listener and let what it already posted be handled: a test
    that makes a colleague's write to see a stale write conflict must not race the live
    refresh that would re-read the ticket first (and so leave nothing stale)."""
    listener = getattr(pilot.app, "change_listener", None)
    if listener is not None:
        listener.stop()
        deadline = time.monotonic() + 5
        while listener.running and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert not listener.running, "the change listener did not stop"
    await settle(pilot)
