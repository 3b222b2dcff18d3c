"""Who else is on this ticket: one line on the ticket screen, on PostgreSQL.

On mount the strip says "viewing" and asks whoever has the ticket open to answer with
their own state at once, so an agent opening a ticket a colleague is replying on sees it
before typing. It says its state again every HEARTBEAT seconds while the ticket is open;
a colleague not heard from for EXPIRE seconds (a crashed app, a lost link) is dropped,
and "left", sent when the screen closes, drops them at once.

The store work runs in a thread of the strip's own, started only while the strip is
mounted (a ticket screen is open) on a store with Capability.PRESENCE: it sends what the
strip queues, in order ("left" last), and waits on the store's presence listener, posting
what it hears as `PresenceHeard` to the strip. It never touches a widget. Timing (the
heartbeat, the expiry) is Textual timers on the strip.
"""

from __future__ import annotations

import queue
import threading
import time
from contextlib import suppress
from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Static

from ...domain.text import safe_line
from ...settings.i18n import _
from ...store.base import (
    Capability,
    Presence,
    PresenceListener,
    PresenceState,
    StoreUnavailable,
)
from ..context import app_context

if TYPE_CHECKING:
    from ...service import HelpdeskService

HEARTBEAT = 10.0
"""Seconds between two announcements of the same state: "still here"."""
EXPIRE = 30.0
"""Seconds without a word from a colleague before they are taken off the line."""
WAIT = 0.2
"""Seconds per wait on the listener: how soon a queued announcement goes out."""
RETRY = (0.5, 8.0)
"""Backoff after the store failed (first, longest): the change listener says it is lost."""


LEFT_WAIT = 1.0
"""Seconds quitting the app from a ticket waits for "left" to go out (a store that hangs
must not hold the exit: colleagues then see the agent go at the expiry)."""


class PresenceHeard(Message):
    """Another agent's announcement about the ticket on screen."""

    def __init__(self, presence: Presence) -> None:
        super().__init__()
        self.presence = presence


class PresenceLink:
    """The strip's thread: announcements out, colleagues' announcements in."""

    def __init__(self, target: MessagePump, service: HelpdeskService, key: str) -> None:
        self._target = target
        self._service = service
        self._key = key
        self._outbox: queue.SimpleQueue[tuple[PresenceState, bool]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="helpdesk-presence", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def send(self, state: PresenceState, *, ask: bool = False) -> None:
        self._outbox.put((state, ask))

    def stop(self) -> None:
        """Say "left" and end (never joined: closing a ticket does not wait on the store)."""
        self.send(PresenceState.LEFT)
        self._stop.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        listener: PresenceListener | None = None
        failures = 0
        refused = False
        try:
            while not self._stop.is_set():
                try:
                    if listener is None:
                        # Listening before the first word: the answers to it come at once.
                        listener = self._service.open_presence(self._key)
                    self._flush()
                    heard = listener.wait(WAIT)
                except StoreUnavailable:
                    if listener is not None:
                        listener.close()
                        listener = None
                    failures += 1
                    self._stop.wait(min(RETRY[1], RETRY[0] * 2 ** (failures - 1)))
                    continue
                except Exception:  # no such ticket, not this agent's: nothing to tell
                    refused = True
                    return
                failures = 0
                for presence in heard:
                    with suppress(RuntimeError):  # the app's loop closed under us
                        self._target.post_message(PresenceHeard(presence))
        finally:
            if not refused:
                with suppress(Exception):
                    self._flush()  # "left" goes out even after the store failed once
            if listener is not None:
                listener.close()

    def _flush(self) -> None:
        """Say the latest state queued (heartbeats piled up while the store was away are
        one message), asking for answers if any of them asked."""
        queued: list[tuple[PresenceState, bool]] = []
        with suppress(queue.Empty):
            while True:
                queued.append(self._outbox.get_nowait())
        if queued:
            self._service.announce(self._key, queued[-1][0], ask=any(ask for _, ask in queued))


class PresenceStrip(Static):
    """ "Also here: dmitri · julia is replying", hidden when nobody else is here."""

    DEFAULT_CSS = """
    PresenceStrip { height: 1; padding: 0 1; color: $text-muted; display: none; }
    PresenceStrip.-replying { color: $warning; text-style: bold; }
    """

    def __init__(
        self,
        key: str,
        *,
        heartbeat: float | None = None,
        expire: float | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__("", id=id)
        self._key = key.upper()
        self._heartbeat = HEARTBEAT if heartbeat is None else heartbeat
        self._expire = EXPIRE if expire is None else expire
        self._state = PresenceState.VIEWING
        self._link: PresenceLink | None = None
        self._peers: dict[str, tuple[PresenceState, float]] = {}
        """Colleagues on the ticket: their state and when they were last heard from."""

    @property
    def peers(self) -> dict[str, PresenceState]:
        """Who else is on the ticket now, and doing what."""
        return {agent: state for agent, (state, _) in self._peers.items()}

    @property
    def active(self) -> bool:
        """Whether presence is told and heard here (PostgreSQL, not turned off)."""
        return self._link is not None

    def on_mount(self) -> None:
        context = app_context(self)
        service = context.service
        if not context.settings.terminal.presence or Capability.PRESENCE not in (
            service.capabilities
        ):
            return
        self._link = PresenceLink(self, service, self._key)
        self._link.send(self._state, ask=True)
        self._link.start()
        self.set_interval(self._heartbeat, self._beat)
        self.set_interval(min(1.0, self._expire / 4), self._drop_silent)

    def on_unmount(self) -> None:
        if self._link is not None:
            self._link.stop()
            if not self.app.is_running:
                # The app is quitting: the store closes as soon as it is gone, and the
                # thread is a daemon, so "left" goes out now or never.
                self._link.join(LEFT_WAIT)
            self._link = None

    def set_state(self, state: PresenceState) -> None:
        """What this agent does on the ticket now (the composer opened or closed)."""
        if state is self._state:
            return
        self._state = state
        if self._link is not None:
            self._link.send(state)

    def _beat(self) -> None:
        if self._link is not None:
            self._link.send(self._state)

    def on_presence_heard(self, message: PresenceHeard) -> None:
        heard = message.presence
        if heard.state is PresenceState.LEFT:
            self._peers.pop(heard.agent, None)
        else:
            self._peers[heard.agent] = (heard.state, time.monotonic())
        if heard.ask and self._link is not None:
            self._link.send(self._state)  # a colleague just opened it: answer at once
        self._show()

    def _drop_silent(self) -> None:
        oldest = time.monotonic() - self._expire
        silent = [agent for agent, (_, at) in self._peers.items() if at < oldest]
        for agent in silent:
            del self._peers[agent]
        if silent:
            self._show()

    def _show(self) -> None:
        parts = []
        for agent, state in sorted(self.peers.items()):
            name = safe_line(agent)
            if state is PresenceState.REPLYING:
                parts.append(_("{agent} is replying").format(agent=name))
            else:
                parts.append(name)
        self.display = bool(parts)
        self.set_class(PresenceState.REPLYING in self.peers.values(), "-replying")
        self.update(Text(_("Also here: {names}").format(names=" · ".join(parts))))
