"""`!` on a ticket: type a command, run it with Enter, read its output, and add it as an
internal note with Enter (escape discards it). Nothing runs before that first Enter.

The command runs in a thread worker (ui/shell.py does the running: no Textual there);
the worker hands its result back to the event loop and never touches a widget.
Escape while it runs stops it, and the dialog then shows what it wrote until then.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.worker import get_current_worker

from ...domain.text import safe_line, safe_text
from ...settings.i18n import _
from ..shell import CommandRun, note_body, run_command
from ..widgets.inputs import LineInput

MAX_PREVIEW_CHARS = 20_000
"""The most of the note shown before it is added (the note keeps all of it)."""


class ShellNoteScreen(ModalScreen[CommandRun | None]):
    """Run one command for ticket `key`'s note; dismissed with the run (to add) or None."""

    CSS_PATH = "shell_note.tcss"

    BINDINGS = [
        Binding("escape", "cancel", _("Cancel, stop or discard"), id="shell_note.cancel"),
        Binding("enter", "add", _("Add as an internal note"), id="shell_note.add"),
    ]

    def __init__(self, key: str, timeout: float, cap_kib: int) -> None:
        super().__init__()
        self.key = key
        self.timeout = timeout
        self.cap_kib = cap_kib
        self.run: CommandRun | None = None
        """The finished run, once there is one: Enter adds it."""
        self._stop: threading.Event | None = None
        """Set to stop the command; None until one runs."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog shell-note"):
            yield Label(
                Text(_("Run a command for an internal note on {key}").format(key=self.key)),
                classes="dialog-title",
            )
            yield LineInput(placeholder=_("a command, e.g. df -h /var"), id="shell-command")
            yield Static(Text(""), id="shell-error", classes="dialog-error")
            yield Static(Text(""), id="shell-state")
            with VerticalScroll(id="shell-preview"):
                yield Static(Text(""), id="shell-output")
            yield Static(self._hint(), id="shell-hint", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_unmount(self) -> None:
        if self._stop is not None:
            self._stop.set()  # nothing is left running behind a closed dialog

    @property
    def running(self) -> bool:
        return self._stop is not None and self.run is None

    def _hint(self) -> Text:
        if self.run is not None:
            return Text(_("enter add as an internal note · esc discard"))
        if self._stop is not None:
            return Text(_("esc stop the command"))
        return Text(_("enter run (nothing runs before) · esc cancel"))

    def _say(self, state: str, error: str = "") -> None:
        for name, text in (("#shell-state", state), ("#shell-error", error)):
            line = self.query_one(name, Static)
            line.update(Text(text))
            line.display = bool(text)
        self.query_one("#shell-hint", Static).update(self._hint())

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._stop is not None:
            return
        command = event.value.strip()
        if not command:
            self._say("", _("Type a command to run: nothing runs without one."))
            return
        self._start(command)

    def _start(self, command: str) -> None:
        stop = self._stop = threading.Event()
        field = self.query_one(Input)
        field.disabled = True
        self._say(
            _("Running {command} (for {seconds:g} s at most)…").format(
                command=safe_line(command), seconds=self.timeout
            )
        )
        timeout, cap_kib, app = self.timeout, self.cap_kib, self.app

        def work() -> None:
            worker = get_current_worker()
            try:
                run = run_command(command, timeout=timeout, cap_kib=cap_kib, stop=stop)
            except (OSError, ValueError) as exc:
                if not worker.is_cancelled:
                    app.call_from_thread(self._not_run, command, exc)
                return
            if not worker.is_cancelled:
                app.call_from_thread(self._finished, run)

        self.run_worker(work, thread=True, group="shell-note", exit_on_error=False)

    def _not_run(self, command: str, exc: Exception) -> None:
        if not self.is_attached:
            return
        self._stop = None
        field = self.query_one(Input)
        field.disabled = False
        field.focus()
        error = _("{command} could not run: {error}")
        self._say("", error.format(command=safe_line(command), error=safe_line(str(exc))))

    def _finished(self, run: CommandRun) -> None:
        if not self.is_attached:
            return
        self.run = run
        body = note_body(run)
        shown = body
        if len(shown) > MAX_PREVIEW_CHARS:
            more = len(body) - MAX_PREVIEW_CHARS
            shown = (
                body[:MAX_PREVIEW_CHARS]
                + "\n"
                + _("… ({count:,} more characters in the note)").format(count=more)
            )
        self.query_one("#shell-output", Static).update(Text(safe_text(shown)))
        self.query_one(".shell-note").add_class("-done")
        self.query_one("#shell-preview", VerticalScroll).focus()
        self._say(run.status)
        if not run.succeeded:
            self.query_one("#shell-state", Static).add_class("-failed")

    def action_cancel(self) -> None:
        if self.running:
            assert self._stop is not None
            self._stop.set()
            self._say(_("Stopping the command…"))
            return
        self.dismiss(None)

    def action_add(self) -> None:
        if self.run is not None:
            self.dismiss(self.run)
