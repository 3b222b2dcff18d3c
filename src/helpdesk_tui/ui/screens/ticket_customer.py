"""The ticket's Customer tab: read once per version, in a worker; enter opens a ticket."""

from __future__ import annotations

from ...domain.model import Ticket
from ...service.requesters import CustomerHistory
from ...settings.i18n import _
from ..jobs import call_store
from ..widgets.customer import CustomerTable
from ..widgets.status_line import StatusLine
from .ticket_compose import TicketCompose


class TicketCustomer(TicketCompose):
    """What else the ticket's requester and organization have asked (the Customer tab)."""

    _customer_version: int | None = None

    def _load_customer(self, ticket: Ticket) -> None:
        """The requester's and the organization's other tickets, once per version."""
        if self._customer_version == ticket.version:
            return
        self._customer_version = ticket.version
        service = self.service

        def show(history: CustomerHistory) -> None:
            self.query_one(CustomerTable).show(ticket, history)

        call_store(
            self,
            lambda: service.customer_history(ticket),
            show,
            self._customer_failed,
            group="ticket-customer",
            exclusive=True,
            what=_("the customer's tickets"),
        )

    def _customer_failed(self, exc: Exception) -> None:
        self._customer_version = None
        self.query_one(StatusLine).say(_("customer: {error}").format(error=exc), error=True)
