"""One line at the bottom of each screen: what the screen says, or that the store is slow,
or that it cannot be reached and when the next attempt is."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...domain.text import safe_line
from ..context import app_context


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    StatusLine.-slow { color: $warning; text-style: bold; }
    StatusLine.-error { color: $error; text-style: bold; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._message = ""
        self._error = False
        self._shown: tuple[str, bool, bool] | None = None

    @property
    def text(self) -> str:
        """What the line shows now."""
        return self._shown[0] if self._shown else ""

    def on_mount(self) -> None:
        self.set_interval(0.5, self._poll)

    def say(self, message: str, *, error: bool = False) -> None:
        self._message = safe_line(message)
        self._error = error
        self._render_now()

    def _poll(self) -> None:
        self._render_now()

    def show_activity(self) -> None:
        """Show the store's calls as they stand now (a slow one just ended)."""
        self._render_now()

    def _render_now(self) -> None:
        app = app_context(self)
        # An outage outranks everything: what the screen shows may be minutes old.
        outage = app.store_activity.outage()
        # Then a call the agent waits for (their write, the page they asked for).
        slow = None if outage else app.store_activity.slow(background=False)
        # Then on-call alerts, until the agent lists them (f6): they must not scroll by,
        # nor wait behind work nobody waits for (triage learning for a minute).
        alert_text, urgent = (
            (None, False) if outage or slow else (app.oncall_line() or (None, False))
        )
        if not (outage or slow or alert_text):
            slow = app.store_activity.slow()
        text = outage or slow or alert_text or self._message
        warn = bool(slow) or (alert_text is not None and not urgent)
        error = bool(outage) or urgent or (self._error and not slow and alert_text is None)
        shown = (text, warn, error)
        if shown == self._shown:
            return  # nothing new: repainting would only cost bytes on a slow link
        self._shown = shown
        self.set_class(shown[1], "-slow")
        self.set_class(shown[2], "-error")
        # Text, not markup: messages may quote what a customer wrote.
        self.update(Text(text, no_wrap=True, overflow="ellipsis"))
