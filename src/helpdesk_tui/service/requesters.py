"""The customer behind a ticket: the requester's and the organization's other tickets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..domain.model import ACTIVE_STATUSES, DONE_STATUSES, Ticket
from ..store.base import Query, SortKey
from .core import ServiceCore

HISTORY_ROWS = 20
"""Tickets of each kind (open, done) read for each of the requester and the organization."""


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """The other tickets of a ticket's requester and of its organization, each open
    first (most urgent first), then done (latest first); each as this agent may see."""

    requester: list[Ticket]
    organization: list[Ticket]
    requester_total: int
    organization_total: int


class RequesterUseCases(ServiceCore):
    """What else the customer has asked."""

    def customer_history(self, ticket: Ticket) -> CustomerHistory:
        """The requester's other tickets (by address) and the organization's, as this
        agent may see them (`scope`), the ticket itself left out."""
        email = ticket.requester_email.strip().lower()
        requester: tuple[list[Ticket], int] = ([], 0)
        if email:
            requester = self._others(
                Query(requester_like=email),
                ticket,
                # The store matches a part of the address; the panel wants this one.
                lambda t: t.requester_email.strip().lower() == email,
            )
        organization: tuple[list[Ticket], int] = ([], 0)
        if ticket.organization:
            organization = self._others(
                Query(organizations=frozenset({ticket.organization})), ticket, lambda t: True
            )
        return CustomerHistory(requester[0], organization[0], requester[1], organization[1])

    def _others(
        self, base: Query, ticket: Ticket, same: Callable[[Ticket], bool]
    ) -> tuple[list[Ticket], int]:
        """Up to HISTORY_ROWS open, then as many done, of `base` but `ticket`; and how
        many there are in all (past a page, the store's count less `ticket`, which for
        a requester includes addresses that merely contain this one)."""
        found: list[Ticket] = []
        total = 0
        for statuses, sort, descending in (
            (ACTIVE_STATUSES, SortKey.SLA_DUE, False),
            (DONE_STATUSES, SortKey.UPDATED, True),
        ):
            query = replace(
                base, statuses=statuses, sort=sort, descending=descending, limit=HISTORY_ROWS + 1
            )
            page = self._repo.query(self.scope(query))
            mine = [t for t in page.tickets if same(t) and t.key != ticket.key]
            found += mine[:HISTORY_ROWS]
            whole = len(page.tickets) == page.total
            total += len(mine) if whole else page.total - (ticket.status in statuses)
        return found, total
