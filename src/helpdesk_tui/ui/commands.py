"""The command palette finds a ticket by its key: "HD-97", "hd-97" or just "97"."""

from __future__ import annotations

from rich.text import Text
from textual.command import Hit, Hits, Provider
from textual.worker import WorkerError

from ..domain.model import Ticket, parse_key
from ..domain.text import safe_line
from ..settings.i18n import _
from .context import app_context
from .jobs import call_store


def ticket_key(text: str, prefix: str) -> str | None:
    """The key `text` names: "hd-97" is HD-97, and a bare "97" is ticket 97 of the store
    whose keys start with `prefix`; None when it names no ticket at all."""
    text = text.strip().upper()
    if text.isdigit():
        text = f"{prefix}-{text.lstrip('0')}"
    try:
        found, number = parse_key(text)
    except ValueError:
        return None
    return f"{found}-{number}"


class TicketCommands(Provider):
    async def search(self, query: str) -> Hits:
        app = app_context(self.app)
        if not app.ready:
            return  # no store to ask yet; the palette's other commands still show
        service = app.service
        key = ticket_key(query, service.key_prefix)
        if key is None:
            return
        found: list[Ticket] = []
        # A store read, in a worker like every other (never on the event loop); a key
        # that names no ticket is simply not a hit.
        worker = call_store(
            self.app,
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
