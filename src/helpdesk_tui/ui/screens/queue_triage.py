"""The queue's triage line: the suggestion for the ticket under the cursor, asked for
the new tickets on screen in a worker, accepted or dismissed with one key. QueueScreen
(queue.py) adds the views, filter, search and bulk actions to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.model import Status, Ticket
from ...settings.i18n import _
from ..jobs import call_store
from ..widgets.status_line import StatusLine
from ..widgets.suggestion import SuggestionBar, SuggestionCache, key_hint, triage_work
from ..widgets.ticket_table import TicketTable
from .base import LiveScreen

if TYPE_CHECKING:
    from ...domain.triage import Suggestion


class QueueTriage(LiveScreen):
    """The triage part of the queue; `run_query` (the queue's) re-reads its rows."""

    _triage: SuggestionCache | None = None

    @property
    def table(self) -> TicketTable:
        return self.query_one(TicketTable)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def triage_cache(self) -> SuggestionCache:
        if self._triage is None:
            self._triage = SuggestionCache()
        return self._triage

    def _follow_triage(self) -> None:
        """The suggestion line follows the cursor. Suggestions are asked for the new
        tickets on screen only, in a worker, once per ticket version: never per row drawn."""
        cache = self.triage_cache
        if not cache.busy:
            shown = self.table.visible_tickets()
            asked = cache.missing(t for t in shown if t.status is Status.NEW)
            if asked:
                cache.busy = True
                service = self.service

                def done(found: dict[str, Suggestion]) -> None:
                    cache.busy = False
                    cache.store(asked, found)
                    self._show_suggestion()

                def failed(exc: Exception) -> None:
                    cache.busy = False
                    cache.store(asked, {})  # not asked again until the tickets change
                    self.status.say(_("triage: {error}").format(error=exc), error=True)

                call_store(
                    self,
                    lambda: service.suggestions(asked),
                    done,
                    failed,
                    group="queue-triage",
                    what=triage_work(service),
                    background=True,
                )
        self._show_suggestion()

    def _show_suggestion(self) -> None:
        bar = self.query_one(SuggestionBar)
        ticket = self.table.current
        suggestion = self.triage_cache.get(ticket) if ticket else None
        if ticket is None or suggestion is None:
            bar.hide()
            return
        accept = key_hint(self.app, "queue.accept_triage", "plus")
        dismiss = key_hint(self.app, "queue.dismiss_triage", "minus")
        bar.show(ticket, suggestion, accept, dismiss, key=True)

    def action_accept_suggestion(self) -> None:
        self._triage_write(accept=True)

    def action_dismiss_suggestion(self) -> None:
        self._triage_write(accept=False)

    def _triage_write(self, accept: bool) -> None:
        ticket = self.table.current
        suggestion = self.triage_cache.get(ticket) if ticket else None
        if ticket is None or suggestion is None:
            self.notify(_("No triage suggestion for the highlighted ticket."), severity="warning")
            return
        service, cache = self.service, self.triage_cache
        cache.store([ticket], {})  # the line goes at once; one key, one write
        self._show_suggestion()

        def write() -> Ticket:
            # Based on the version on screen: a ticket changed meanwhile is a conflict.
            if accept:
                return service.accept_suggestion(ticket.key, ticket.version, suggestion)
            return service.dismiss_suggestion(ticket.key, ticket.version)

        def done(updated: Ticket) -> None:
            self.table.replace_ticket(updated)
            if accept:
                text = _("{key}: suggestion accepted: {label}")
            else:
                text = _("{key}: suggestion dismissed")
            self.notify(text.format(key=updated.key, label=suggestion.label))

        def failed(exc: Exception) -> None:
            cache.forget(ticket)
            self.run_query(keep_cursor=True)
            self.helpdesk.show_error(exc)

        call_store(self, write, done, failed, what=_("triage"))

    def run_query(self, keep_cursor: bool = False) -> bool:
        """Read the rows of the view again (QueueScreen does)."""
        raise NotImplementedError
