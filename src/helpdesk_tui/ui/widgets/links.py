"""The Links tab of a ticket: what each linked ticket is to this one, with its state."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from ...domain.links import LinkKind
from ...service.links import LinkedTicket
from ...settings.i18n import _
from ...settings.i18n import label as tr
from .customer import brief_cells
from .ticket_rows import TicketRows


class LinksTable(TicketRows):
    """One row per link; enter opens the linked ticket."""

    links: Sequence[LinkedTicket] = ()

    def on_mount(self) -> None:
        self.add_columns(
            _("Link"), _("Key"), _("Pri"), _("Status"), _("SLA"), _("Subject"), _("Requester")
        )

    def show(self, links: Sequence[LinkedTicket]) -> None:
        row = self.cursor_row
        self.clear()
        self.links = list(links)
        now = self._clock()
        for item in self.links:
            self.add_row(
                Text(tr(item.relation)),
                *brief_cells(item.other, self._policy, now),
                key=item.other.key,
            )
        if not self.links:
            blank = Text("")
            hint = Text(_("No links: L links this ticket to another"), style="dim")
            self.add_row(blank, blank, blank, blank, blank, hint, blank)
        self.move_cursor(row=min(row, max(0, self.row_count - 1)))

    @property
    def selected(self) -> LinkedTicket | None:
        """The link under the cursor, if it is one a person made (not a merge)."""
        if not self.links or not 0 <= self.cursor_row < len(self.links):
            return None
        return self.links[self.cursor_row]

    @property
    def incidents(self) -> int:
        return sum(1 for item in self.links if item.link.kind is LinkKind.INCIDENT_OF)
