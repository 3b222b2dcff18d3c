"""One attachment read on screen: a log or a config as text, anything else described.

Over SSH there is no viewer to hand a file to, and what a customer attached is untrusted:
the text goes through `safe_text` (no escape sequence reaches the terminal) into a
`rich.text.Text` (no markup is parsed), and only its first MAX_PREVIEW bytes are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from ...domain.model import Attachment
from ...domain.text import safe_line, safe_text
from ...settings.i18n import _

MAX_PREVIEW = 256 * 1024
"""Bytes of a file shown at most: a long log's head, and a screen that stays quick."""
_SNIFF = 8192
"""A NUL byte in this many first bytes means the file is not text."""


@dataclass(frozen=True, slots=True)
class Preview:
    text: str | None
    """The file's first MAX_PREVIEW bytes as text; None when it is not UTF-8 text."""
    size: int
    cut: bool
    """Only the beginning is in `text`."""


def read_preview(path: Path, limit: int = MAX_PREVIEW) -> Preview:
    """What of the file at `path` can be shown (reads at most `limit` bytes)."""
    size = path.stat().st_size
    with path.open("rb") as file:
        data = file.read(limit)
    cut = size > len(data)
    if b"\x00" in data[:_SNIFF]:
        return Preview(None, size, cut)
    # A cut may fall inside a character: drop at most its 3 leading bytes.
    for trim in range(4 if cut else 1):
        try:
            return Preview(data[: len(data) - trim].decode("utf-8"), size, cut)
        except UnicodeDecodeError:
            continue
    return Preview(None, size, cut)


def human_size(size: int) -> str:
    """1,234 bytes · 12.1 KiB · 3.4 MiB."""
    if size < 10_000:
        return _("{count:,} bytes").format(count=size)
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"


class AttachmentScreen(ModalScreen[None]):
    """The text of an attachment, scrolled with the usual keys; escape closes it."""

    BINDINGS = [
        Binding("escape,q", "dismiss(None)", _("Close"), id="attachment.close"),
        Binding("j", "scroll('down')", _("Down"), show=False, id="attachment.down"),
        Binding("k", "scroll('up')", _("Up"), show=False, id="attachment.up"),
    ]

    def __init__(self, attachment: Attachment, path: Path, preview: Preview) -> None:
        super().__init__()
        self.attachment = attachment
        self.path = path
        self.preview = preview

    def compose(self) -> ComposeResult:
        attachment, preview = self.attachment, self.preview
        with Vertical(classes="dialog viewer"):
            title = Text(safe_line(attachment.filename), style="bold")
            title.append(
                f"  {human_size(preview.size)} · {safe_line(attachment.content_type)}",
                style="dim",
            )
            yield Label(title, classes="dialog-title")
            with VerticalScroll(id="attachment-text"):
                if preview.text is None:
                    yield Static(
                        Text(
                            _("Not shown: this file is not text. It is stored at {path}").format(
                                path=safe_line(str(self.path))
                            )
                        )
                    )
                else:
                    yield Static(Text(safe_text(preview.text)), id="attachment-body")
            hint = _("↑↓/jk scroll · esc close")
            if preview.cut and preview.text is not None:
                cut = _("the first {shown} only; the whole file is at {path}").format(
                    shown=human_size(MAX_PREVIEW), path=safe_line(str(self.path))
                )
                hint = f"{cut} · {hint}"
            yield Static(Text(hint), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#attachment-text", VerticalScroll).focus()

    def action_scroll(self, direction: str) -> None:
        view = self.query_one("#attachment-text", VerticalScroll)
        if direction == "down":
            view.scroll_down(animate=False)
        else:
            view.scroll_up(animate=False)
