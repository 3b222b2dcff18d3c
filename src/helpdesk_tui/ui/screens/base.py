"""Screens whose periodic work runs only while they are shown.

A queue under a ticket, or under the SLA board, still had its clock ticking and its
change check polling: work for nothing, and on a slow link, bytes for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen
from textual.timer import Timer


class LiveScreen(Screen[None]):
    def every(self, seconds: float, callback: Callable[[], Any]) -> Timer:
        """Call `callback` every `seconds` while this screen is the one on top."""
        timer = self.set_interval(seconds, callback)
        self._live_timers().append(timer)
        return timer

    def _live_timers(self) -> list[Timer]:
        timers: list[Timer] | None = getattr(self, "_timers_while_shown", None)
        if timers is None:
            timers = []
            self._timers_while_shown = timers
        return timers

    def on_screen_suspend(self) -> None:
        for timer in self._live_timers():
            timer.pause()

    def on_screen_resume(self) -> None:
        for timer in self._live_timers():
            timer.resume()
