"""Write a reply or an internal note. The text is saved as a draft while typed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static, TextArea

from ...settings.i18n import _
from ..drafts import Drafts
from ..widgets.inputs import TextEditor


class ComposeScreen(ModalScreen[str | None]):
    """Returns the text to send (ctrl+s), or None (escape: the draft is kept)."""

    BINDINGS = [
        Binding("ctrl+s", "send", _("Send"), id="compose.send", priority=True),
        # Priority: the text area would otherwise take escape to let go of focus.
        Binding("escape", "keep", _("Close, keep draft"), id="compose.close", priority=True),
        Binding("ctrl+d", "discard", _("Discard draft"), id="compose.discard", priority=True),
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
                tab_behavior="indent",
            )
            yield Static(
                Text(_("ctrl+s send · esc close (draft kept) · ctrl+d discard draft")),
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

    def action_send(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.notify(_("Nothing to send."), severity="warning")
            return
        self.dismiss(text)

    def action_keep(self) -> None:
        self.dismiss(None)

    def action_discard(self) -> None:
        self.drafts.discard(self.key, self.kind)
        self.dismiss(None)
