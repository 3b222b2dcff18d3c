"""Text fields that follow the app's cursor-blink setting, and the one way a form reads
what was typed or chosen.

A blinking cursor repaints twice a second: over a slow SSH link that is traffic for
nothing, and in snapshot tests it is noise. `[ui] cursor_blink = false` stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.keys import REPLACED_KEYS, key_to_character
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Select, TextArea

from ...settings.i18n import _

S = TypeVar("S", bound=Screen[Any])

FORM_FOCUS = [
    Binding("tab", "app.focus_next", _("Next field"), show=False, priority=True, id="form.next"),
    Binding(
        "shift+tab",
        "app.focus_previous",
        _("Previous field"),
        show=False,
        priority=True,
        id="form.previous",
    ),
]
"""Tab and shift+tab in a form move to the next field as the key arrives. Textual reads
an ordinary binding only once the key has been through the focused field, and by then
the keys typed after it (a burst over a slow link, a fast typist) have gone to the old
field: a caller's name landed at the end of the subject."""


def after_typing(action: Callable[[S], None]) -> Callable[[S], None]:
    """A priority key's action that reads what was typed (ctrl+s and the like), run once
    the keys typed before it have reached their field. A priority binding runs as its key
    arrives, before the focused field has taken the keys ahead of it: in one burst,
    "Printer on floor 3 jams" and ctrl+s saved "Printer on floor"."""

    def run(screen: S) -> None:
        (screen.focused or screen).call_later(action, screen)

    run.__doc__ = action.__doc__
    return run


def close_open_list(screen: Screen[Any]) -> bool:
    """Close a select's open list on `screen`, focusing its select; False when none is
    open. A dialog whose escape is a priority binding (so that a text area does not take
    it) gets the key before the open list does: escape meant to close the list closed
    the whole dialog, and what was typed in it went with it."""
    for select in screen.query(Select):
        if select.expanded:
            select.expanded = False
            select.focus()
            return True
    return False


def _blink(widget: Input | TextArea) -> bool:
    return bool(getattr(widget.app, "cursor_blink", True))


def typed_character(key: str) -> str | None:
    """The printable character a Textual key name types ("exclamation_mark" is "!"), or
    None (f1, escape, space, ctrl+x). Textual's own `key_to_character` finds none for the
    few names it spells its own way ("slash": the character is SOLIDUS)."""
    char = key_to_character(REPLACED_KEYS.get(key, key))
    return char if char is not None and char.isprintable() and not char.isspace() else None


class LineInput(Input):
    def on_mount(self) -> None:
        self.cursor_blink = _blink(self)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # Without the character of "slash", the footer kept "/ Search" under the open
        # filter box, where "/" types a slash: a key the field types is no screen's key.
        return super().check_consume_key(key, character or typed_character(key))


class BarInput(LineInput):
    """A one-line bar above a list (the queue's filter and search). It types the keys
    the list's footer named, so its own footer says how to apply what was typed and how
    to leave it; escape is the screen's `clear`, which empties and closes the bar."""

    BINDINGS = [
        Binding("enter", "submit", _("Apply"), id="bar.apply"),
        Binding("escape", "screen.clear", _("Cancel"), id="bar.cancel"),
    ]


class TextEditor(TextArea):
    def on_mount(self) -> None:
        self.cursor_blink = _blink(self)


class FormScroll(VerticalScroll, can_focus=False):
    """A form's scrolling body, never a tab stop: focused, it would swallow what is typed
    with nothing shown (shift+tab from the first field must reach the last field, not
    the body around them). A focused field scrolls itself into view."""


def field_value(widget: Widget) -> str:
    """What a form field holds: an input's text (trimmed), a text area's text, or a
    select's chosen value; "" when a select has nothing chosen.

    Every form reads its fields here. Textual 8 keeps an unset Select at `Select.NULL`;
    a form that compared with `Select.BLANK` (a widget flag, always False) took NULL for
    a value, and `Environment("Select.NULL")` ended the app.
    """
    if isinstance(widget, Input):
        return widget.value.strip()
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, Select):
        select: Select[Any] = widget
        chosen = select.selection  # None for Select.NULL, whatever the Textual version
        return "" if chosen is None else str(chosen)
    # A new kind of field must be taught here, not read as empty.
    raise TypeError(f"{type(widget).__name__} is not a form field")
