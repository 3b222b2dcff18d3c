"""A screen's one-line title that repaints only when its text changes, and shortens by
rule when it does not fit: whole parts go from the end, never half a word.

A title is parts joined by " · " (the view, the count, the sort, a filter), sometimes a
hint in parentheses and the agent's name in brackets. Too wide, it keeps the longest run
of whole parts that fits and ends in "…" (closing a hint it cut into); only a first
part that cannot fit alone is cut, at a space.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import Static

SEPARATORS = (" · ", "  (", "  [", "   (")
ELLIPSIS = " …"


TERM_CELLS = 30
"""The most cells a typed term (search, filter) takes in a title before its middle is cut."""


def middle_cut(text: str, cells: int = TERM_CELLS) -> str:
    """`text` in at most `cells` cells, its middle replaced by "…" when longer: both
    ends of a search stay readable ("invoice totals…March migration")."""
    if cell_len(text) <= cells:
        return text
    room = cells - 1
    head = _take(text, (room + 1) // 2).rstrip()
    tail = _take(text[::-1], room - cell_len(head))[::-1].lstrip()
    return f"{head}…{tail}"


def _take(text: str, cells: int) -> str:
    """The longest start of `text` in at most `cells` cells (a wide character is not
    split)."""
    taken = 0
    for index, char in enumerate(text):
        taken += cell_len(char)
        if taken > cells:
            return text[:index]
    return text


def fit_title(text: Text, width: int) -> Text:
    """`text` shortened by the rule above to at most `width` cells."""
    if width <= 0 or text.cell_len <= width:
        return text
    plain = text.plain
    room = width - cell_len(ELLIPSIS)
    for cut, depth in reversed(_cuts(plain)):
        # A cut inside a hint closes it: "(tab: lead reviews · d: accept …)".
        if cell_len(plain[:cut]) + depth <= room:
            head = text.divide([cut])[0]
            head.append(ELLIPSIS + ")" * depth)
            return head
    space = plain.rfind(" ", 0, room + 1)
    head = text.divide([space if space > 0 else max(room, 1)])[0]
    head.append(ELLIPSIS)
    return head


def _cuts(plain: str) -> list[tuple[int, int]]:
    """Where a title may end (before a separator), with how many parentheses are open
    there."""
    depth = 0
    cuts: list[tuple[int, int]] = []
    for index, char in enumerate(plain):
        if any(plain.startswith(sep, index) for sep in SEPARATORS):
            cuts.append((index, depth))
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
    return cuts


class TitleBar(Static):
    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(Text(text), id=id, classes="screen-title")
        self._full = Text(text)
        self._shown = Text(text)

    def show(self, text: Text) -> None:
        self._full = text
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        fitted = fit_title(self._full, self.content_size.width)
        # Periodic re-reads set the same title again and again: skip those repaints.
        if fitted == self._shown:
            return
        self._shown = fitted
        self.update(fitted)
