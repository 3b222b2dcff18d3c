"""The app's one change listener: a thread that waits on the store's change feed and
posts `StoreChanged` to the app, which hands it to the screens (LiveScreen.store_changed).

A plain thread rather than a Textual worker: it lives as long as the app, and a worker
that never ends would hold up everything that waits for the workers to finish (tests
settle on `workers.wait_for_complete()`). Like a worker, it never touches a widget: it
posts messages (thread-safe) and sets the StoreActivity (atomic assignments).

It is also the store's health check. When the feed fails, or a read or write elsewhere
found the store unreachable (StoreActivity.unreachable), it retries with backoff, and the
status lines say so with a countdown. Once the store answers again, the outage clears
and every screen re-reads, since their reads failed or changes went unseen meanwhile.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from typing import Any, Protocol

from textual.app import App
from textual.message import Message

from ..store.base import ChangeFeed
from .activity import StoreActivity

WAIT = 0.25
"""Seconds per wait on the feed: how soon the thread notices that the app ended."""
FIRST_RETRY = 0.5
MAX_RETRY = 8.0
"""Backoff between attempts to reach a lost store: 0.5 s, doubling, at most 8 s."""
QUIET_FAILURES = 2
"""Failed waits in a row retried before the status line says the store is unreachable."""
POST_GAP = 0.1
"""Seconds between two messages: a burst of writes becomes one re-read, not fifty."""


class StoreChanged(Message):
    """Tickets changed in the store: `keys`, or None when any may have."""

    def __init__(self, keys: frozenset[str] | None) -> None:
        super().__init__()
        self.keys = keys


class ChangeSource(Protocol):
    """What the listener waits on: the service's change token and feed."""

    def change_token(self) -> str: ...

    def change_feed(self) -> ChangeFeed: ...


class ChangeListener:
    def __init__(
        self,
        app: App[Any],
        source: ChangeSource,
        activity: StoreActivity,
        feed: ChangeFeed | None = None,
        *,
        catch_up: bool = False,
    ) -> None:
        self._app = app
        self._catch_up = catch_up
        """Re-read once the feed answers: what the screens show was read before it did
        (by the launch's helper), and changes in between would go unseen."""
        self._source = source
        self._activity = activity
        self._feed = feed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="helpdesk-changes", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it does within WAIT seconds (never joined: the app's
        exit does not wait on a store that may be hanging)."""
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        # Asked here, in the listener's thread: the feed pulls in SQLAlchemy, which the
        # app's first frame must not wait for.
        feed = self._feed or self._source.change_feed()
        token: str | None = None
        failures = 0
        while not self._stop.is_set():
            try:
                if self._activity.unreachable:
                    # A read or write failed somewhere: the same path must answer again
                    # before the outage is over (the feed may have its own connection).
                    self._source.change_token()
                changes = feed.wait_for_changes(token, WAIT)
            except Exception as exc:  # StoreErrors, and anything else: never die silently
                if self._stop.is_set():
                    break
                failures += 1
                if failures <= QUIET_FAILURES and not self._activity.unreachable:
                    # A dropped connection: reconnect quietly. The first attempt may
                    # meet the server still tearing the old one down, so a second
                    # comes a moment later before the agent is told.
                    self._stop.wait(0 if failures == 1 else FIRST_RETRY)
                    continue
                delay = min(MAX_RETRY, FIRST_RETRY * 2 ** (failures - QUIET_FAILURES - 1))
                self._activity.lost(str(exc), retry_in=delay)
                self._stop.wait(delay)
                continue
            if failures or self._activity.unreachable or self._catch_up:
                failures, self._catch_up = 0, False
                self._activity.restored()
                self._post(None)
            elif token is not None and changes.changed:
                self._post(changes.keys)
            token = changes.token

    def _post(self, keys: frozenset[str] | None) -> None:
        with suppress(RuntimeError):  # the app's loop closed under us: nobody to tell
            self._app.post_message(StoreChanged(keys))
        self._stop.wait(POST_GAP)
