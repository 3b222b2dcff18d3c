"""Smart triage on screen: the suggestion line, the similar-tickets table, and the queue's
cache of suggestions for the new tickets it shows.

Reasons quote what the customer wrote and subjects are the customer's: everything here
is built as `rich.text.Text` from `safe_line`, never parsed as markup.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.widgets import Static

from ...domain.model import Ticket
from ...domain.text import safe_line
from ...settings.i18n import _
from ...settings.i18n import label as tr
from .ticket_rows import OpeningRows

if TYPE_CHECKING:
    # Types only: the queue shows this bar, and domain.triage loads with the first
    # suggestion, not with the app (service/triage.py).
    from ...domain.triage import SimilarTicket, Suggestion
    from ...service import HelpdeskService

CACHE_SIZE = 500
"""Suggestions the queue remembers (by key and version): a few screens' worth."""


def triage_bindings(screen: str) -> list[Binding]:
    """`+` accepts and `-` dismisses the suggestion on show; ids `<screen>.accept_triage`
    and `<screen>.dismiss_triage`, so each screen's keys can be remapped on their own."""
    return [
        Binding(
            "plus",
            "accept_suggestion",
            _("Accept suggestion"),
            show=False,
            key_display="+",
            id=f"{screen}.accept_triage",
        ),
        Binding(
            "minus",
            "dismiss_suggestion",
            _("Dismiss suggestion"),
            show=False,
            key_display="-",
            id=f"{screen}.dismiss_triage",
        ),
    ]


def key_hint(app: App[object], binding_id: str, default: str) -> str:
    """The key a binding has now (the config file may remap it), as people type it."""
    keymap: Mapping[str, str] = getattr(getattr(app, "settings", None), "keymap", {}) or {}
    key = keymap.get(binding_id, default).split(",")[0]
    return {"plus": "+", "minus": "-"}.get(key, key)


class SuggestionBar(Static):
    """One line: what triage suggests for a ticket, why, and the keys to act on it."""

    DEFAULT_CSS = """
    SuggestionBar { height: auto; max-height: 2; padding: 0 1; background: $boost; }
    SuggestionBar.-hidden { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="-hidden")
        self.key: str | None = None
        self.suggestion: Suggestion | None = None

    def show(
        self, ticket: Ticket, suggestion: Suggestion, accept: str, dismiss: str, *, key: bool
    ) -> None:
        """Show `suggestion` for `ticket`; fields that would change are in bold. With `key`
        the ticket's key leads the line (the queue, where the cursor picks the ticket).
        A suggestion with no signal is not offered: the bar hides."""
        if not suggestion.offered:
            self.hide()
            return
        if (self.key, self.suggestion) == (ticket.key, suggestion) and self.display:
            return
        self.key, self.suggestion = ticket.key, suggestion
        text = Text(no_wrap=False, overflow="ellipsis")
        text.append(f"{ticket.key} " if key else "", style="bold")
        text.append(_("Suggested: "), style="bold")
        parts = [
            (f"{suggestion.priority.short} {tr(suggestion.priority.label)}", "priority"),
            (tr(suggestion.type.label), "type"),
            (_("tier {tier}").format(tier=suggestion.tier), "tier"),
        ]
        offered = suggestion.fields()
        for n, (label, name) in enumerate(parts):
            if n:
                text.append(" · ")
            if name not in offered:
                text.append(_("no {field}").format(field=tr(name)), style="dim")
                continue
            changes = getattr(ticket, name) != getattr(suggestion, name)
            text.append(label, style="bold underline" if changes else "")
        text.append(f" ({suggestion.confidence:.0%})", style="dim")
        text.append(" — " + safe_line(suggestion.reason))
        if suggestion.learning:
            text.append(f" ({safe_line(suggestion.learning)})", style="dim")
        text.append(
            "   " + _("{accept} accept · {dismiss} dismiss").format(accept=accept, dismiss=dismiss),
            style="bold",
        )
        self.update(text)
        self.remove_class("-hidden")

    def hide(self) -> None:
        if self.key is None and self.has_class("-hidden"):
            return
        self.key, self.suggestion = None, None
        self.update("")
        self.add_class("-hidden")

    @property
    def offering(self) -> bool:
        """Whether a suggestion is on show: the accept and dismiss keys apply only then."""
        return self.suggestion is not None and not self.has_class("-hidden")


TRIAGE_ACTIONS = frozenset({"accept_suggestion", "dismiss_suggestion"})
"""The actions of `triage_bindings`: a screen's check_action hides them (from the footer
and the command palette) while its SuggestionBar offers nothing."""


def triage_work(service: HelpdeskService) -> str:
    """What the status line says while a suggestion is read and it takes a while: the
    first of a run (or of an hour) may learn from the store's resolved tickets."""
    if service.triage_learning_due:
        return _("triage: learning from resolved tickets")
    return _("triage")


class SimilarTable(OpeningRows):
    """Past tickets like this one, most similar first; enter opens one."""

    def on_mount(self) -> None:
        self.add_columns(
            _("Key"), _("Match"), _("Status"), _("Resolved"), _("Pri"), _("Type"), _("Subject")
        )

    def show(self, similar: Sequence[SimilarTicket]) -> None:
        self.clear()
        for found in similar:
            past = found.ticket
            when = f"{past.resolved_at:%Y-%m-%d}" if past.resolved_at else "—"
            words = ", ".join(safe_line(w) for w in found.shared)
            self.add_row(
                Text(past.key),
                Text(f"{found.score:.0%}"),
                Text(tr(past.status.label)),
                Text(when),
                Text(past.priority.short),
                Text(tr(past.type.label)),
                Text(safe_line(past.subject) + (f"  ({words})" if words else "")),
                key=past.key,
            )
        if not similar:
            self.add_row(*(Text("") for _n in range(6)), Text(_("No similar resolved tickets.")))


class SuggestionCache:
    """What the queue knows of the suggestions for the new tickets it has shown, by key
    and version: a changed ticket is asked about again, an unchanged one never."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._known: OrderedDict[tuple[str, int], Suggestion | None] = OrderedDict()
        self._size = size
        self.busy = False

    def missing(self, tickets: Iterable[Ticket]) -> list[Ticket]:
        return [t for t in tickets if (t.key, t.version) not in self._known]

    def store(self, asked: Iterable[Ticket], found: Mapping[str, Suggestion]) -> None:
        for ticket in asked:
            self._known[(ticket.key, ticket.version)] = found.get(ticket.key)
            self._known.move_to_end((ticket.key, ticket.version))
        while len(self._known) > self._size:
            self._known.popitem(last=False)

    def get(self, ticket: Ticket) -> Suggestion | None:
        return self._known.get((ticket.key, ticket.version))

    def forget(self, ticket: Ticket) -> None:
        self._known.pop((ticket.key, ticket.version), None)
