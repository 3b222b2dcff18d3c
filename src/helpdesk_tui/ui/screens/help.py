"""Every key, screen by screen, as remapped by the config file's [keys] table."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...settings.i18n import _
from ..context import APP_BINDINGS, app_context
from ..widgets.inputs import typed_character


def binding_sections() -> list[tuple[str, list[BindingType]]]:
    from ..widgets.conversation import Conversation
    from ..widgets.details import DetailsScroll
    from ..widgets.inputs import BarInput
    from ..widgets.ticket_table import TicketTable
    from .attachment import AttachmentScreen
    from .compose import ComposeScreen
    from .dialogs import ChoiceScreen, ConfirmScreen, ConflictScreen, PromptScreen
    from .edit_ticket import EditTicketScreen
    from .escalation import EscalationScreen
    from .handover import HandoverScreen
    from .macro_picker import MacroPicker
    from .metrics import MetricsScreen
    from .new_ticket import NewTicketScreen
    from .outage import OutageScreen
    from .queue import QueueScreen
    from .queue_selection import QueueSelection
    from .shell_note import ShellNoteScreen
    from .sla_board import SlaBoardScreen
    from .ticket import TicketScreen

    return [
        (_("Everywhere"), APP_BINDINGS),
        (_("Queue"), [*QueueScreen.BINDINGS, *QueueSelection.BINDINGS, *BarInput.BINDINGS]),
        (_("Ticket lists"), TicketTable.BINDINGS),
        (_("Ticket"), TicketScreen.BINDINGS),
        (_("Conversation"), Conversation.BINDINGS),
        (_("Details"), DetailsScroll.BINDINGS),
        (_("Reply / note"), ComposeScreen.BINDINGS),
        (_("Command as note (!)"), ShellNoteScreen.BINDINGS),
        (_("Canned replies"), MacroPicker.BINDINGS),
        (_("Outage update"), OutageScreen.BINDINGS),
        (_("New ticket"), NewTicketScreen.BINDINGS),
        (_("Edit fields"), EditTicketScreen.BINDINGS),
        (_("Escalations"), EscalationScreen.BINDINGS),
        (_("SLA board"), SlaBoardScreen.BINDINGS),
        (_("Metrics"), MetricsScreen.BINDINGS),
        (_("Shift handover"), HandoverScreen.BINDINGS),
        (
            _("Dialogs"),
            [
                *ChoiceScreen.BINDINGS,
                *ConfirmScreen.BINDINGS,
                *PromptScreen.BINDINGS,
                *ConflictScreen.BINDINGS,
                *AttachmentScreen.BINDINGS,
                *HelpScreen.BINDINGS,
            ],
        ),
    ]


def _keys(binding: Binding, keymap: dict[str, str]) -> str:
    keys = keymap.get(binding.id or "", binding.key)
    return " / ".join(key_as_typed(k.strip()) for k in keys.split(","))


def key_as_typed(key: str) -> str:
    """A Textual key name as the agent types it: "exclamation_mark" is "!", "slash" is
    "/", "ctrl+right_square_bracket" is "ctrl+]"; a key with no character keeps its name
    ("f1", "escape", "pagedown")."""
    *modifiers, name = key.split("+")
    return "+".join([*modifiers, typed_character(name) or name.replace("_", " ")])


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", _("Close"), id="help.close")]

    def compose(self) -> ComposeResult:
        app = app_context(self)
        keymap = app.settings.keymap
        table = Table(box=None, padding=(0, 2), show_header=False, expand=True)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_column(style="dim", no_wrap=True)
        for title, bindings in binding_sections():
            table.add_row(Text(title, style="bold underline"), "", "")
            for item in bindings:
                if not isinstance(item, Binding):
                    continue
                table.add_row(_keys(item, keymap), item.description or item.action, item.id or "")
        with VerticalScroll(classes="dialog help"):
            yield Static(
                Text(_("Keys — remap any of them by id under [keys] in the config file")),
                classes="dialog-title",
            )
            yield Static(table)

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
