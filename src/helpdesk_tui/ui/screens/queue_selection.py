"""Selecting the whole view, or everything but what is selected, for a bulk action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.binding import Binding

from ...settings.i18n import _
from ...store.base import Query, SortKey
from ..jobs import call_store
from .queue_urgent import QueueUrgent

SELECT_MAX = 500
"""The most tickets one selection holds: a bulk action writes them one by one."""


class QueueSelection(QueueUrgent):
    """`ctrl+a` selects every ticket of the view (its filter and search too), `*`
    inverts the selection; the title counts what is selected, and a bulk action asks
    to confirm with that count."""

    BINDINGS = [
        Binding("ctrl+a", "select_all", _("Select all"), show=False, id="queue.select_all"),
        Binding("asterisk", "invert_selection", _("Invert"), show=False, id="queue.invert"),
    ]

    def current_query(self) -> Query:
        """What the queue shows: its view, filter, search and sort (the queue's own)."""
        raise NotImplementedError

    def _show_title(self, query: Query | None = None) -> None:
        """Say the view and how many are selected (the queue's own)."""
        raise NotImplementedError

    def action_select_all(self) -> None:
        self._select(lambda everything, _marked: everything)

    def action_invert_selection(self) -> None:
        self._select(lambda everything, marked: everything - marked)

    def _select(self, choose: Callable[[set[str], set[str]], set[str]]) -> None:
        """Read the view's keys (up to SELECT_MAX) and select `choose(all, selected)`."""
        if self.helpdesk.store_opening():
            return
        query = replace(self.current_query(), sort=SortKey.KEY, offset=0, limit=SELECT_MAX)
        service = self.service

        def read() -> tuple[set[str], int]:
            page = service.query(query)
            return {t.key for t in page.tickets}, page.total

        def chosen(found: tuple[set[str], int]) -> None:
            everything, total = found
            self.table.marked = choose(everything, set(self.table.marked))
            self.table.refresh()
            self._show_title()
            if total > len(everything):
                said = _(
                    "Selected from the first {count:,} of {total:,}: a bulk action takes at "
                    "most {count:,} tickets."
                )
                self.notify(said.format(count=len(everything), total=total), severity="warning")

        call_store(self, read, chosen, self.helpdesk.show_error, what=_("selecting"))
