"""The Customer tab of a ticket: what else its requester and its organization have asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text

from ...domain import sla
from ...domain.model import DONE_STATUSES, Ticket
from ...domain.sla import Policy
from ...domain.text import safe_line
from ...service.requesters import CustomerHistory
from ...settings.i18n import _
from ...settings.i18n import label as tr
from .countdown import ticket_sla_text
from .ticket_rows import TicketRows


class CustomerTable(TicketRows):
    """The requester's other tickets, then the organization's, open ones first with
    their SLA time; enter opens one."""

    def on_mount(self) -> None:
        self.add_columns(_("Key"), _("Pri"), _("Status"), _("SLA"), _("Subject"), _("Requester"))

    def show(self, ticket: Ticket, history: CustomerHistory) -> None:
        self.clear()
        if ticket.requester_email.strip():
            title = _("Requester ({count} more): {who}").format(
                who=safe_line(ticket.requester_email), count=history.requester_total
            )
        else:
            title = _("Requester: no e-mail address to look up")
        self._section(title, history.requester)
        if ticket.organization:
            self._section(
                _("Organization ({count} more): {name}").format(
                    name=safe_line(ticket.organization), count=history.organization_total
                ),
                history.organization,
            )

    def _section(self, title: str, tickets: Sequence[Ticket]) -> None:
        # The title in the wide column: in the first, it would push the others off screen.
        blank = Text("")
        self.add_row(blank, blank, blank, blank, Text(title, style="bold"), blank)
        now = self._clock()
        for other in tickets:
            self.add_row(*brief_cells(other, self._policy, now), key=f"{other.key}#{title}")


def brief_cells(other: Ticket, policy: Policy, now: datetime) -> list[Text]:
    """Another ticket in a row: key, priority, status, SLA time, subject, requester."""
    cell = ticket_sla_text(other, sla.evaluate(other, policy, now), now)
    return [
        Text(safe_line(other.key)),
        Text(other.priority.short),
        Text(tr(other.status.label)),
        Text("—" if other.status in DONE_STATUSES else cell.text),
        Text(safe_line(other.subject)),
        Text(safe_line(other.requester_name or other.requester_email)),
    ]
