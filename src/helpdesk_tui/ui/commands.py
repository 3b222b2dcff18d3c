"""The command palette finds a ticket by its key: "HD-97", "hd-97" or just "97"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.command import Hit, Hits, Provider
from textual.worker import WorkerError

from ..domain.model import Ticket
from ..domain.text import safe_line
from ..settings.i18n import _
from .jobs import call_store

if TYPE_CHECKING:
    from .app import HelpdeskApp


class TicketCommands(Provider):
    async def search(self, query: str) -> Hits:
        from .app import ticket_key

        app: HelpdeskApp = self.app  # type: ignore[assignment]
        if not app.ready:
            return  # no store to ask yet; the palette's other commands still show
        service = app.service
        key = ticket_key(query, service.repo.key_prefix)
        if key is None:
            return
        found: list[Ticket] = []
        # A store read, in a worker like every other (never on the event loop); a key
        # that names no ticket is simply not a hit.
        worker = call_store(
            app,
            lambda: service.get(key),
            found.append,
            failed=lambda exc: None,
            group="palette-ticket",
            exclusive=True,
            what=_("looking for {key}").format(key=key),
        )
        try:
            await worker.wait()
        except WorkerError:  # cancelled: the agent typed on, a newer search runs
            return
        if not found:
            return
        ticket = found[0]
        # The subject is the customer's: a Text, never markup (the help line is markup).
        shown = Text(safe_line(ticket.key), style="bold")
        shown.append("  " + safe_line(ticket.subject))
        yield Hit(
            1.0,
            shown,
            lambda: app.open_ticket(ticket.key),
            text=ticket.key,
            help=_("Open this ticket"),
        )
