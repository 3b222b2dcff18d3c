"""A screen's one-line title that repaints only when its text changes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class TitleBar(Static):
    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(Text(text), id=id, classes="screen-title")
        self._shown = Text(text)

    def show(self, text: Text) -> None:
        # Periodic re-reads set the same title again and again: skip those repaints.
        if text == self._shown:
            return
        self._shown = text
        self.update(text)
