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
from ..widgets.inputs import FORM_FOCUS, TextEditor, after_typing, close_open_list
from .dialogs import ConfirmScreen

OUTAGE_STATUSES = (Status.PENDING, Status.RESOLVED)
"""What an outage update may move its incidents to: waiting on the customers to confirm,
or fixed. Anything else is a decision per ticket."""

Outage = tuple[str, Status | None]


class OutageScreen(ModalScreen[Outage | None]):
    """Returns the reply and the status to send (ctrl+s, once confirmed with the number
    of incidents), or None (escape). A "no" at the confirmation comes back here with
    the text as typed: it was a second thought, not a reason to type it all again."""

    BINDINGS = [
        Binding("ctrl+s", "send", _("Send to all"), id="outage.send", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="outage.cancel", priority=True),
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

    def action_cancel(self) -> None:
        if not close_open_list(self):
            self.dismiss(None)

    @after_typing
    def action_send(self) -> None:
        text = self.query_one(TextArea).text
        chosen = self.query_one(Select).value
        status = Status(chosen) if isinstance(chosen, str) else None
        if not text.strip() and status is None:
            self.notify(_("Write a reply or choose a status."), severity="warning")
            return
        count = len(self.incidents)
        question = ngettext(
            "Send this to the {count} open incident of {key}?",
            "Send this to all {count} open incidents of {key}?",
            count,
        ).format(count=count, key=self.problem)
        if status is not None:
            question += " " + _("Each will be set to {status}.").format(status=tr(status.label))

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss((text, status))
            else:
                self.query_one(TextArea).focus()

        self.app.push_screen(ConfirmScreen(question), answered)
