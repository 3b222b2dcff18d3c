"""A live SLA countdown that repaints only itself, and only when its text changes.

The SLA board shows dozens of these ticking at once over slow links: each one is
its own small widget, so a tick writes a few cells, not the table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from rich.text import Text
from textual.widget import Widget

from ...domain import sla
from ...domain.model import Ticket
from ...domain.sla import ClockState, Policy, TargetStatus
from ...settings.i18n import _


def overdue_text(remaining: timedelta) -> str:
    """A breached clock reads as overdue by the working time since its target. One missed
    as work stopped (at Friday 18:00, seen on Sunday) has none yet: it reads "overdue",
    where a countdown stuck at "-0s" all weekend looked like a clock that had stopped."""
    text = sla.format_remaining(remaining)
    if not text.startswith("-"):
        return _("overdue")
    return text


class Countdown(Widget):
    DEFAULT_CSS = """
    Countdown { width: 10; height: 1; }
    Countdown.-at-risk { color: $warning; text-style: bold; }
    Countdown.-breached { color: $error; text-style: bold reverse; }
    Countdown.-paused { color: $text-muted; text-style: italic; }
    Countdown.-met { color: $success; }
    """

    def __init__(
        self,
        ticket: Ticket,
        policy: Policy,
        clock: Callable[[], datetime],
        kind: sla.TargetKind | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.ticket = ticket
        self.policy = policy
        self.clock = clock
        self.kind = kind
        self._text = ""
        self._state = ""

    def on_mount(self) -> None:
        self._update()

    def set_ticket(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self._update()

    def status(self) -> TargetStatus | None:
        statuses = sla.evaluate(self.ticket, self.policy, self.clock())
        if self.kind is None:
            return sla.next_due(statuses)
        return next((s for s in statuses if s.kind is self.kind), None)

    def tick(self) -> None:
        """Called once a second by the owning screen; repaints only on change."""
        self._update()

    def _update(self) -> None:
        status = self.status()
        if status is None:
            text, state = "—", "met"
        elif status.state is ClockState.PAUSED:
            text, state = f"‖ {sla.format_remaining(status.remaining)}", "paused"
        elif status.state is ClockState.MET:
            text, state = _("met"), "met"
        elif status.state is ClockState.BREACHED:
            text = overdue_text(status.remaining) if status.stopped_at is None else _("missed")
            state = "breached"
        else:
            text = sla.format_remaining(status.remaining)
            state = "at-risk" if status.at_risk else "running"
        if text == self._text and state == self._state:
            return
        self._text = text
        if state != self._state:
            for name in ("at-risk", "breached", "paused", "met", "running"):
                self.set_class(name == state, f"-{name}")
            self._state = state
        self.refresh()

    def render(self) -> Text:
        return Text(self._text, no_wrap=True, overflow="crop")
