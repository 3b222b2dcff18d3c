"""Text fields that follow the app's cursor-blink setting.

A blinking cursor repaints twice a second: over a slow SSH link that is traffic for
nothing, and in snapshot tests it is noise. `[ui] cursor_blink = false` stops it.
"""

from __future__ import annotations

from textual.widgets import Input, TextArea


def _blink(widget: Input | TextArea) -> bool:
    return bool(getattr(widget.app, "cursor_blink", True))


class LineInput(Input):
    def on_mount(self) -> None:
        self.cursor_blink = _blink(self)


class TextEditor(TextArea):
    def on_mount(self) -> None:
        self.cursor_blink = _blink(self)
