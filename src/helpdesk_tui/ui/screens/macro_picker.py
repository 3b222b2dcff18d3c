"""Pick a canned reply (macro) by typing part of its name or title: the closest first."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...domain.macros import Macro
from ...domain.text import safe_line
from ...settings.i18n import _, ngettext
from ..widgets.inputs import LineInput


def fuzzy_rank(query: str, text: str) -> int | None:
    """How well `query` matches `text` (lower is better), or None if its letters do not
    all appear in order: a word start or a run of letters counts for more."""
    wanted, haystack = query.lower().replace(" ", ""), text.lower()
    if not wanted:
        return 0
    if wanted in haystack:
        return haystack.index(wanted)  # a plain substring: earliest first
    at, gaps = 0, 100
    for letter in wanted:
        found = haystack.find(letter, at)
        if found < 0:
            return None
        gaps += found - at
        at = found + 1
    return gaps


class MacroPicker(ModalScreen[str | None]):
    """Returns the chosen macro's name, or None (escape)."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", _("Cancel"), id="macros.cancel"),
        Binding("down", "move(1)", _("Next"), show=False, id="macros.next"),
        Binding("up", "move(-1)", _("Previous"), show=False, id="macros.previous"),
    ]

    def __init__(self, macros: Mapping[str, Macro], problems: Mapping[str, str]) -> None:
        super().__init__()
        self.macros = dict(macros)
        self.problems = dict(problems)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(
                Text(_("Canned replies · type to narrow · enter inserts")), classes="dialog-title"
            )
            yield LineInput(placeholder=_("name or title"), id="macro-filter")
            yield OptionList(id="macro-list")
            yield Static(Text(self._problems_line()), classes="dialog-error", id="macro-problems")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _problems_line(self) -> str:
        if not self.problems:
            return ""
        first = next(iter(self.problems.values()))
        return safe_line(
            ngettext(
                "{count} macro file not used: {first}",
                "{count} macro files not used: {first}",
                len(self.problems),
            ).format(count=len(self.problems), first=first)
        )

    def _fill(self, query: str) -> None:
        ranked = []
        for name, macro in self.macros.items():
            rank = fuzzy_rank(query, f"{name} {macro.title}")
            if rank is not None:
                ranked.append((rank, name, macro))
        listing = self.query_one(OptionList)
        listing.clear_options()
        for _rank, name, macro in sorted(ranked, key=lambda item: (item[0], item[1])):
            label = Text(safe_line(name), style="bold")
            label.append(f"  {safe_line(macro.title)}")
            changes = macro.changes.summary()
            if changes:
                label.append(f"  ({safe_line(changes)})", style="dim")
            listing.add_option(Option(label, id=name))
        if listing.option_count:
            listing.highlighted = 0
        else:
            listing.add_option(Option(Text(_("no macro matches"), style="dim"), disabled=True))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        listing = self.query_one(OptionList)
        if listing.option_count and listing.highlighted is not None:
            listing.highlighted = max(0, min(listing.option_count - 1, listing.highlighted + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose()

    def _choose(self) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is None:
            return
        option = listing.get_option_at_index(listing.highlighted)
        if option.id:
            self.dismiss(option.id)
