"""The ticket's Links tab and the actions on links: link (L), unlink (U), and the outage
update (O) from a problem to its incidents."""

from __future__ import annotations

from ...domain.links import CHOICES
from ...domain.model import Ticket
from ...domain.text import N_
from ...service.links import LinkedTicket, OutageResult
from ...settings.i18n import _, ngettext
from ...settings.i18n import label as tr
from ..jobs import call_store
from ..widgets.links import LinksTable
from ..widgets.status_line import StatusLine
from .dialogs import ChoiceScreen, ConfirmScreen, on_answer
from .outage import Outage, OutageScreen
from .ticket_actions import on_ticket
from .ticket_customer import TicketCustomer

_CHOICE_LABELS = {
    "relates-to": (N_("related to"), N_("related to …")),
    "child-of": (N_("child of"), N_("child of … (its parent)")),
    "parent-of": (N_("parent of"), N_("parent of … (its child)")),
    "incident-of": (N_("incident of"), N_("incident of … (the problem)")),
    "problem-of": (N_("problem of"), N_("problem of … (an incident)")),
}
"""Each relation a person may choose: as a sentence says it, and as the list offers it."""


class TicketLinks(TicketCustomer):
    """Links to other tickets: read on every showing (a link moves no version)."""

    def _load_links(self, ticket: Ticket) -> None:
        service = self.service

        def show(links: list[LinkedTicket]) -> None:
            self.query_one(LinksTable).show(links)

        call_store(
            self,
            lambda: service.links(ticket),
            show,
            self._links_failed,
            group="ticket-links",
            exclusive=True,
            what=_("the ticket's links"),
        )

    def _links_failed(self, exc: Exception) -> None:
        self.query_one(StatusLine).say(_("links: {error}").format(error=exc), error=True)

    def _links_changed(self, said: str) -> None:
        self.notify(said)
        if self.ticket is not None:
            self._load_links(self.ticket)
        self.load()  # the history says it too

    @on_ticket
    def action_link(self, _ticket: Ticket) -> None:
        """Ask for the relation, then the other ticket's key: one write."""
        key, service = self.key, self.service
        options = [(tr(_CHOICE_LABELS[c][1]), c) for c in CHOICES]

        def chosen(relation: str) -> None:
            self._ask(
                _("{key} is {relation} which ticket? (its key)").format(
                    key=key, relation=tr(_CHOICE_LABELS[relation][0])
                ),
                lambda other: link(relation, other),
            )

        def link(relation: str, other: str) -> None:
            call_store(
                self,
                lambda: service.link(key, relation, other),
                lambda made: self._links_changed(
                    _("Linked: {key} is {relation} {other}").format(
                        key=key, relation=tr(made.relation(key)), other=made.other(key)
                    )
                ),
                self.helpdesk.show_error,
                what=_("link"),
            )

        self.app.push_screen(
            ChoiceScreen(_("Link {key} as").format(key=key), options), on_answer(chosen)
        )

    def action_unlink(self) -> None:
        """Remove the link under the cursor in the Links tab, once confirmed."""
        table = self.query_one(LinksTable)
        item = table.selected
        if item is None or not item.link.kind.editable:
            self.notify(
                _("Choose a link in the Links tab (6) first; a merge cannot be undone here."),
                severity="warning",
            )
            return
        key, other, service = self.key, item.other.key, self.service

        def unlink() -> None:
            call_store(
                self,
                lambda: service.unlink(key, other),
                lambda _gone: self._links_changed(
                    _("Unlinked {key} from {other}").format(key=key, other=other)
                ),
                self.helpdesk.show_error,
                what=_("unlink"),
            )

        question = _("Remove the link: {key} {relation} {other}?").format(
            key=key, relation=tr(item.relation), other=other
        )
        self.app.push_screen(ConfirmScreen(question), on_answer(lambda _ok: unlink()))

    @on_ticket
    def action_outage(self, problem: Ticket) -> None:
        """From a problem: one reply or status to every open incident, confirmed with
        their number; the incidents are read again when the update is written."""
        service = self.service

        def ask(incidents: list[Ticket]) -> None:
            if not incidents:
                self.notify(
                    _("{key} has no open incidents: link them with L (problem of …)").format(
                        key=problem.key
                    ),
                    severity="warning",
                )
                return
            # The dialog asks for the confirmation itself: a "no" goes back to the text.
            self.app.push_screen(
                OutageScreen(problem.key, incidents),
                on_answer(lambda outage: send(outage, len(incidents))),
            )

        def send(outage: Outage, count: int) -> None:
            text, status = outage
            call_store(
                self,
                lambda: service.outage_update(problem.key, text, status, count),
                sent,
                self.helpdesk.show_error,
                what=_("outage update"),
            )

        def sent(result: OutageResult) -> None:
            done = len(result.done)
            said = ngettext(
                "Outage update sent to {count} incident.",
                "Outage update sent to {count} incidents.",
                done,
            ).format(count=done)
            if result.failed:
                said += " " + _("Not sent to: {keys}").format(
                    keys=", ".join(key for key, _why in result.failed)
                )
            self.notify(said, severity="warning" if result.failed else "information")
            self.load()

        call_store(self, lambda: service.incidents(problem), ask, what=_("the incidents"))
