"""What the store is doing now, for the status lines: calls in flight (a slow store
shows as "waiting for the store"), and an outage with its next retry."""

from __future__ import annotations

import math
import time

from ..domain.text import safe_line
from ..settings.i18n import _


class StoreActivity:
    """What the store is doing now, for the status line. Thread-safe by the GIL: the
    dict operations and attribute assignments used here are atomic."""

    SLOW_AFTER = 0.75

    def __init__(self) -> None:
        self._next = 0
        self._running: dict[int, tuple[float, str, bool]] = {}
        self.last_error: str | None = None
        self._outage: tuple[str, float | None] | None = None
        """Why the store is unreachable, and when (monotonic) the next retry is."""

    def lost(self, reason: str, retry_in: float | None = None) -> None:
        """The store did not answer; `retry_in`: seconds until the next attempt (None:
        the retry already planned, if any, stands)."""
        before = self._outage
        retry_at = before[1] if before is not None else None
        if retry_in is not None:
            retry_at = time.monotonic() + retry_in
        self._outage = (safe_line(reason), retry_at)

    def restored(self) -> None:
        """The store answers again."""
        self._outage = None

    @property
    def unreachable(self) -> bool:
        return self._outage is not None

    def outage(self) -> str | None:
        """The status line for an unreachable store, counting down to the retry; or None."""
        outage = self._outage
        if outage is None:
            return None
        reason, retry_at = outage
        left = 0.0 if retry_at is None else retry_at - time.monotonic()
        if left >= 0.5:
            when = _("retrying in {seconds}s").format(seconds=math.ceil(left))
        else:
            when = _("retrying")
        return _("Store unreachable, {when}: {reason}").format(when=when, reason=reason)

    def begin(self, what: str, *, background: bool = False) -> int:
        """A call starts; `background`: nobody waits for it (triage learning for a
        minute), so it yields the status line to on-call alerts (`slow`)."""
        self._next += 1
        self._running[self._next] = (time.monotonic(), what, background)
        return self._next

    def end(self, ticket: int, error: str | None = None) -> bool:
        """The call is over; whether it ran long enough to be shown as waiting."""
        started = self._running.pop(ticket, None)
        self.last_error = error
        return started is not None and time.monotonic() - started[0] > self.SLOW_AFTER

    def slow(self, *, background: bool = True) -> str | None:
        """A description of the oldest call running longer than SLOW_AFTER, or None;
        of a call someone waits for only, unless `background`."""
        now = time.monotonic()
        for started, what, behind in list(self._running.values()):
            if now - started > self.SLOW_AFTER and (background or not behind):
                waited = now - started
                if what:
                    text = _("waiting for the store ({what}): {seconds}s")
                else:
                    text = _("waiting for the store: {seconds}s")
                return text.format(what=what, seconds=f"{waited:.0f}")
        return None
