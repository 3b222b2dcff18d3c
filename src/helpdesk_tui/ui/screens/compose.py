"""Write a reply or an internal note. The text is saved as a draft while typed.

A reply can move the ticket on (pending, resolved) and carry files in the same write;
ctrl+e opens the agent's own editor on the draft ($VISUAL or $EDITOR)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static, TextArea

from ...domain.model import Status
from ...domain.text import safe_line
from ...settings.i18n import _
from ...settings.i18n import label as tr
from ..drafts import Drafts
from ..editor import NoEditor, edit, editor_command
from ..widgets.inputs import LineInput, TextEditor, field_value

NEXT_STATUSES = (Status.PENDING, Status.RESOLVED, Status.ON_HOLD)
"""Where a reply may move its ticket in the same write: waiting on the customer, fixed,
or parked. The rest is a status change of its own (s)."""


@dataclass(frozen=True, slots=True)
class Composed:
    """What the composer sends: the text, and for a reply the status to move to; files
    go with either."""

    text: str
    status: Status | None = None
    files: tuple[Path, ...] = ()


class ComposeScreen(ModalScreen[Composed | None]):
    """Returns what to send (ctrl+s), or None (escape: the draft is kept)."""

    BINDINGS = [
        Binding("ctrl+s", "send", _("Send"), id="compose.send", priority=True),
        # Priority: the text area would otherwise take escape to let go of focus.
        Binding("escape", "keep", _("Close, keep draft"), id="compose.close", priority=True),
        Binding("ctrl+d", "discard", _("Discard draft"), id="compose.discard", priority=True),
        Binding("ctrl+e", "editor", _("Edit in $EDITOR"), id="compose.editor", priority=True),
    ]

    def __init__(self, key: str, kind: str, drafts: Drafts) -> None:
        super().__init__()
        self.key = key
        self.kind = kind
        self.drafts = drafts

    def compose(self) -> ComposeResult:
        public = self.kind == "reply"
        title = (
            _("Reply to the customer on {key}").format(key=self.key)
            if public
            else _("Internal note on {key} (never sent to the customer)").format(key=self.key)
        )
        with Vertical(classes=f"dialog composer composer-{self.kind}"):
            yield Label(Text(title), classes="dialog-title")
            yield TextEditor(
                self.drafts.load(self.key, self.kind) or "",
                id="body",
                soft_wrap=True,
                show_line_numbers=False,
                tab_behavior="focus",  # tab reaches the status and the files
            )
            with Horizontal(classes="composer-options"):
                if public:
                    yield Select(
                        [(tr(s.label), s.value) for s in NEXT_STATUSES],
                        prompt=_("status: as it is"),
                        id="compose-status",
                    )
                yield LineInput(placeholder=_("attach: file paths"), id="compose-files")
            yield Static(Text(""), id="compose-error", classes="dialog-error")
            yield Static(
                Text(_("ctrl+s send · ctrl+e $EDITOR · esc close (draft kept) · ctrl+d discard")),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        if area.text:
            self.notify(_("Your unsent draft is back."), timeout=4)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        # Every keystroke is on disk at once: the SSH link may drop at any moment.
        self.drafts.save(self.key, self.kind, event.text_area.text)

    def _say(self, problem: str) -> None:
        self.query_one("#compose-error", Static).update(Text(safe_line(problem)))

    def action_send(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.notify(_("Nothing to send."), severity="warning")
            return
        try:
            files = attached(field_value(self.query_one("#compose-files")))
        except ValueError as exc:
            self._say(str(exc))
            return
        status = None
        if self.kind == "reply":
            chosen = self.query_one("#compose-status", Select).value
            status = Status(chosen) if isinstance(chosen, str) else None
        self.dismiss(Composed(text, status, files))

    def action_keep(self) -> None:
        self.dismiss(None)

    def action_discard(self) -> None:
        self.drafts.discard(self.key, self.kind)
        self.dismiss(None)

    def action_editor(self) -> None:
        """The draft in the agent's own editor, in this terminal; back with its text."""
        area = self.query_one(TextArea)
        self.drafts.save(self.key, self.kind, area.text or "\n")
        path = self.drafts.path(self.key, self.kind)
        failed: NoEditor | None = None
        try:
            command = editor_command()  # before the terminal is handed over
            with self.app.suspend():
                try:
                    edit(path, command)
                except NoEditor as exc:  # out of the suspended terminal before it is said
                    failed = exc
        except NoEditor as exc:
            failed = exc
        except SuspendNotSupported:
            self.notify(
                _("This session cannot hand the terminal to an editor (a browser?)."),
                severity="warning",
            )
            return
        if failed is not None:
            self.notify(str(failed), severity="warning", timeout=8)
            return
        text = self.drafts.load(self.key, self.kind) or ""
        area.load_text(text.rstrip("\n"))
        area.move_cursor(area.document.end)
        area.focus()


def attached(text: str) -> tuple[Path, ...]:
    """The files named in the attach field (shell quoting for names with spaces, ~ for
    home); ValueError naming the first that is not a readable file."""
    try:
        words = shlex.split(text)
    except ValueError:
        raise ValueError(_("attach: unbalanced quotes in the file names")) from None
    files = tuple(Path(word).expanduser() for word in words)
    for path in files:
        if not path.is_file():
            raise ValueError(_("attach: no such file: {path}").format(path=str(path)))
    return files
