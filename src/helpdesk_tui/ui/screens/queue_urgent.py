"""The queue's urgent work: on-call mode's pinned P1s (ui/widgets/pinned.py draws them),
read with the queue's rows, ticking with its clock, acknowledged with `A`; and taking a
ticket, or the most urgent one of my tier (`T`). QueueScreen (queue.py) builds on this
and on QueueTriage."""

from __future__ import annotations

from ...domain.model import Status, Ticket
from ...domain.text import safe_line
from ...settings.i18n import _
from ..jobs import call_store
from ..widgets.pinned import PinnedTickets
from .queue_triage import QueueTriage


class QueueUrgent(QueueTriage):
    """Pinned P1s, acknowledge, take and take next; the queue calls `read_pinned` when
    the store changed (not when only the view did), its clock `tick_pinned`."""

    pinned_due = False
    """The pinned P1s are to be read again once the rows being read are drawn."""

    def read_pinned_if_due(self) -> None:
        if self.pinned_due:
            self.pinned_due = False
            self.read_pinned()

    def read_pinned(self) -> None:
        # Not while the launch still opens the store: its StoreChanged asks again.
        if self.helpdesk.oncall and self.helpdesk.ready:
            waiting = self.service.awaiting_acknowledgement
            quiet = self._read_failed_quietly
            call_store(self, waiting, self._show_pinned, quiet, group="pinned", exclusive=True)

    def tick_pinned(self) -> None:
        pinned = self.query_one(PinnedTickets)
        if pinned.tickets:
            pinned.show(pinned.tickets, self.helpdesk.policy, self.helpdesk.clock())

    def _read_failed_quietly(self, exc: Exception) -> None:
        """A count or the pinned list could not be read: the rows' read says why."""

    def _show_pinned(self, tickets: list[Ticket]) -> None:
        self.query_one(PinnedTickets).show(tickets, self.helpdesk.policy, self.helpdesk.clock())

    def action_acknowledge(self) -> None:
        """Acknowledge the most urgent pinned P1 (a new one is set to open) and open it."""
        pinned = self.query_one(PinnedTickets).tickets
        if not pinned:
            self.notify(_("No P1 waits to be acknowledged."))
            return
        ticket = pinned[0]
        if ticket.status is not Status.NEW:
            # Reopened: what acknowledges it is an answer to the customer.
            self.notify(
                _("{key} was reopened by the customer: a reply acknowledges it.").format(
                    key=ticket.key
                )
            )
            self.helpdesk.open_ticket(ticket.key)
            return
        service = self.service

        def acknowledge() -> Ticket:
            fresh = service.latest(ticket.key)
            if fresh.status is not Status.NEW:
                return fresh  # someone acknowledged it meanwhile
            return service.set_status(fresh.key, fresh.version, Status.OPEN)

        def done(updated: Ticket) -> None:
            self.notify(_("{key} acknowledged").format(key=updated.key))
            self.run_query(keep_cursor=True)
            self.read_pinned()
            self.helpdesk.open_ticket(updated.key)

        call_store(self, acknowledge, done, what=_("acknowledge"))

    def action_take(self) -> None:
        ticket = self.table.current
        if ticket is None:
            return
        service = self.service

        def take() -> Ticket:
            fresh = service.latest(ticket.key)
            return service.take(fresh.key, fresh.version)

        def done(updated: Ticket) -> None:
            self.table.replace_ticket(updated)
            self.notify(_("{key} is yours").format(key=updated.key))

        call_store(self, take, done, what=_("take"))

    def action_take_next(self) -> None:
        if self.helpdesk.store_opening():
            return

        def done(ticket: Ticket | None) -> None:
            if ticket is None:
                self.notify(_("Nothing unassigned waits at your tier."))
                return
            self.run_query(keep_cursor=True)
            self.notify(
                _("{key} is yours: {subject}").format(
                    key=ticket.key, subject=safe_line(ticket.subject)
                )
            )
            self.helpdesk.open_ticket(ticket.key)

        call_store(self, self.service.take_next, done, what=_("take next"))
