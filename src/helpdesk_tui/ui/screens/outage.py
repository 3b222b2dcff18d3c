"""The outage update: one reply, and or one status, to every open incident of a problem."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static, TextArea

from ...domain.model import Status, Ticket
from ...domain.text import safe_line
from ...settings.i18n import _, ngettext
from ...settings.i18n import label as tr
from ..widgets.inputs import FORM_FOCUS, TextEditor, after_typing

OUTAGE_STATUSES = (Status.PENDING, Status.RESOLVED)
"""What an outage update may move its incidents to: waiting on the customers to confirm,
or fixed. Anything else is a decision per ticket."""

Outage = tuple[str, Status | None]


class OutageScreen(ModalScreen[Outage | None]):
    """Returns the reply and the status to send (ctrl+s), or None (escape)."""

    BINDINGS = [
        Binding("ctrl+s", "send", _("Send to all"), id="outage.send", priority=True),
        Binding("escape", "dismiss(None)", _("Cancel"), id="outage.cancel", priority=True),
        *FORM_FOCUS,
    ]

    def __init__(self, problem: str, incidents: Sequence[Ticket]) -> None:
        super().__init__()
        self.problem = problem
        self.incidents = list(incidents)

    def compose(self) -> ComposeResult:
        keys = ", ".join(safe_line(t.key) for t in self.incidents[:8])
        more = len(self.incidents) - 8
        if more > 0:
            keys += " " + _("and {count} more").format(count=more)
        with Vertical(classes="dialog composer"):
            yield Label(
                Text(
                    ngettext(
                        "Outage update from {key} to its {count} open incident",
                        "Outage update from {key} to its {count} open incidents",
                        len(self.incidents),
                    ).format(key=self.problem, count=len(self.incidents))
                ),
                classes="dialog-title",
            )
            yield Static(Text(keys), id="outage-incidents")
            yield Select(
                [(tr(s.label), s.value) for s in OUTAGE_STATUSES],
                prompt=_("Status: leave as it is"),
                id="outage-status",
            )
            yield TextEditor("", id="body", soft_wrap=True, show_line_numbers=False)
            yield Static(
                Text(_("A public reply to each customer · ctrl+s send · esc cancel")),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @after_typing
    def action_send(self) -> None:
        text = self.query_one(TextArea).text
        chosen = self.query_one(Select).value
        status = Status(chosen) if isinstance(chosen, str) else None
        if not text.strip() and status is None:
            self.notify(_("Write a reply or choose a status."), severity="warning")
            return
        self.dismiss((text, status))
