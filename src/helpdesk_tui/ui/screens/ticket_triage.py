"""The ticket's triage: the suggestion bar (+ accepts, - dismisses) and the Similar tab,
asked again only when the ticket changed."""

from __future__ import annotations

from collections.abc import Callable

from ...domain.model import Ticket
from ...domain.triage import Triage
from ...settings.i18n import _
from ..jobs import call_store
from ..widgets.status_line import StatusLine
from ..widgets.suggestion import SimilarTable, SuggestionBar, key_hint, triage_work
from .ticket_links import TicketLinks


class TicketTriage(TicketLinks):
    """What smart triage says about the ticket on screen, and the keys that act on it."""

    triage: Triage | None = None
    """What smart triage said about the ticket on screen (suggestion, similar tickets)."""
    _triage_version: int | None = None

    def _load_triage(self, ticket: Ticket) -> None:
        """The suggestion and the similar tickets, asked again only when the ticket changed."""
        if self._triage_version == ticket.version:
            return
        self._triage_version = ticket.version
        service, key = self.service, self.key
        call_store(
            self,
            lambda: service.triage(key),
            self._show_triage,
            self._triage_failed,
            group="ticket-triage",
            exclusive=True,
            what=triage_work(service),
            background=True,
        )

    def _show_triage(self, result: Triage) -> None:
        self.triage = result
        bar = self.query_one(SuggestionBar)
        if result.offered and self.ticket is not None:
            accept = key_hint(self.app, "ticket.accept_triage", "plus")
            dismiss = key_hint(self.app, "ticket.dismiss_triage", "minus")
            bar.show(self.ticket, result.suggestion, accept, dismiss, key=False)
        else:
            bar.hide()
        self.query_one(SimilarTable).show(result.similar)

    def _triage_failed(self, exc: Exception) -> None:
        self._triage_version = None
        self.query_one(SuggestionBar).hide()
        self.query_one(StatusLine).say(_("triage: {error}").format(error=exc), error=True)

    def _offered(self) -> Triage | None:
        result = self.triage
        if result is None or not result.offered or self.ticket is None:
            self.notify(_("No triage suggestion is offered for this ticket."), severity="warning")
            return None
        return result

    def _triage_write(self, describe: str, job: Callable[[int], Ticket]) -> None:
        # The line goes at once (one key, one write); a refusal brings it back.
        self.triage = None
        self.query_one(SuggestionBar).hide()

        def not_done(exc: Exception) -> None:
            self._triage_version = None
            self.load()
            self.helpdesk.show_error(exc)

        self._versioned_write(describe, job, not_done=not_done)

    def action_accept_suggestion(self) -> None:
        result = self._offered()
        if result is None:
            return
        key, service, chosen = self.key, self.service, result.suggestion
        self._triage_write(
            _("suggestion accepted: {label}").format(label=chosen.label),
            lambda v: service.accept_suggestion(key, v, chosen),
        )

    def action_dismiss_suggestion(self) -> None:
        if self._offered() is None:
            return
        key, service = self.key, self.service
        self._triage_write(_("suggestion dismissed"), lambda v: service.dismiss_suggestion(key, v))
