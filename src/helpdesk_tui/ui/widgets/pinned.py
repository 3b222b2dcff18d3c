"""P1s nobody has acknowledged, pinned above the queue in on-call mode.

A new P1, or one the customer reopened that nobody answered, stays here, marked, in
every view and at every scroll position, until someone acknowledges it (domain/sla/
urgency.py says when that is). A toast went after 15 seconds and a row could be row 39:
this takes at most PINNED_ROWS rows of the screen and names how many more wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from ...domain import sla
from ...domain.model import Status, Ticket
from ...domain.text import safe_line
from ...settings.i18n import _
from .countdown import ticket_sla_text

PINNED_ROWS = 2
"""Rows of tickets at most: at 80x24 the queue keeps most of its rows."""


def pinned_lines(tickets: Sequence[Ticket], policy: sla.Policy, now: datetime) -> Text:
    """A row each ("▲ HD-97 P1 new, not acknowledged · 12m · Payments down"), then how
    many more wait and the key that acknowledges. A row too long for the strip ends in
    "…", cut when drawn, at the strip's own width."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, ticket in enumerate(tickets[:PINNED_ROWS]):
        if index:
            text.append("\n")
        why = (
            _("new, not acknowledged")
            if ticket.status is Status.NEW
            else _("reopened, not answered")
        )
        cell = ticket_sla_text(ticket, sla.evaluate(ticket, policy, now), now)
        text.append("▲ ", style="bold")
        text.append(f"{ticket.key} {ticket.priority.short} ", style="bold")
        text.append(f"{why} · ")
        text.append(cell.text, style="bold" if cell.tone in ("breached", "at-risk") else "")
        text.append(" · " + safe_line(ticket.subject))
    more = len(tickets) - PINNED_ROWS
    hint = _("A acknowledges the first")
    if more > 0:
        hint = _("{count} more · {hint}").format(count=more, hint=hint)
    text.append("\n")
    text.append(f"  {hint}", style="dim")
    return text


class PinnedTickets(Static):
    """The strip; hidden while nothing waits."""

    DEFAULT_CSS = """
    PinnedTickets { height: auto; max-height: 3; padding: 0 1; background: $error 25%;
                    display: none; text-wrap: nowrap; text-overflow: ellipsis; }
    PinnedTickets.-shown { display: block; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.tickets: list[Ticket] = []

    def show(self, tickets: Sequence[Ticket], policy: sla.Policy, now: datetime) -> None:
        """Called on every second's tick: repaints only when the text changed. An update
        lays the screen out again (the strip's height is its text's), and the queue's
        scroll bar was written anew with it: 4.6 KB a second on an idle queue."""
        self.tickets = list(tickets)
        self.set_class(bool(self.tickets), "-shown")
        if not self.tickets:
            return
        lines = pinned_lines(self.tickets, policy, now)
        if lines != self.content:
            self.update(lines)
