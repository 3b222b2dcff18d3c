"""Screens whose periodic work, and live refresh, happen only while they are shown.

A queue under a ticket, or under the SLA board, still had its clock ticking and its
change check polling: work for nothing, and on a slow link, bytes for nothing.

Live refresh: the app's change listener (ui/live.py) calls `store_changed` on every
LiveScreen in the stack. The screen on top re-reads at once (`live_changed`); one under
another screen, a dialog included, only remembers what changed and re-reads when it is
back on top. Re-reading under a dialog would move the version a pending write is based
on while the agent decides, and the write would then overwrite a change they never saw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.timer import Timer

from ..context import HelpdeskContext, app_context

if TYPE_CHECKING:
    from ...service import HelpdeskService

Keys = frozenset[str] | None
"""Keys of the tickets that changed; None: any may have."""
MAX_MISSED = 500


class LiveScreen(Screen[None]):
    REFRESH_ON_RESUME = False
    """Re-read on every return to this screen, whether a change was seen or not."""

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._timers_while_shown: list[Timer] = []
        self._missed = False
        """A change was seen while another screen was on top."""
        self._missed_keys: Keys = frozenset()
        self._resumed = False
        """ScreenResume has come: the screen is on top from the time it was pushed, but
        reads (REFRESH_ON_RESUME) only then, so a change before that is remembered."""

    @property
    def helpdesk(self) -> HelpdeskContext:
        """The app, as the screens know it (ui/context.py)."""
        return app_context(self)

    @property
    def service(self) -> HelpdeskService:
        return self.helpdesk.service

    def every(self, seconds: float, callback: Callable[[], Any]) -> Timer:
        """Call `callback` every `seconds` while this screen is the one on top."""
        timer = self.set_interval(seconds, callback)
        self._timers_while_shown.append(timer)
        return timer

    def live_changed(self, keys: Keys) -> None:
        """Tickets changed in the store while this screen is on top: re-read what it shows
        (the screen decides whether `keys` concern it). Nothing by default."""

    def store_changed(self, keys: Keys) -> None:
        """The app's change listener saw `keys` change (None: anything may have)."""
        if self.is_active and self._resumed:
            self.live_changed(keys)
        else:
            # Not on top, or not shown yet: reading now and again on the first showing
            # was two reads, and the second made the first's answer stale and dropped.
            self.remember_change(keys)

    def remember_change(self, keys: Keys) -> None:
        """Re-read for `keys` once this screen is back on top."""
        missed = self._missed_keys
        merged = None if keys is None or missed is None else missed | keys
        # Hidden for a long busy day: past a few hundred keys, "anything" is as good.
        self._missed_keys = merged if merged is None or len(merged) <= MAX_MISSED else None
        self._missed = True

    def on_screen_suspend(self) -> None:
        for timer in self._timers_while_shown:
            timer.pause()

    def on_screen_resume(self) -> None:
        self._resumed = True
        for timer in self._timers_while_shown:
            timer.resume()
        missed, keys = self._missed, self._missed_keys
        self._missed, self._missed_keys = False, frozenset()
        # ScreenResume also follows the first mount: a REFRESH_ON_RESUME screen reads here.
        if self.REFRESH_ON_RESUME:
            self.live_changed(None)
        elif missed:
            self.live_changed(keys)
