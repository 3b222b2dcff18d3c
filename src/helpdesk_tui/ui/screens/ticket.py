"""One ticket: fields, SLA countdowns, conversation, history, and every action on it."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from ...domain.model import Attachment, AuditEntry, Comment, Ticket
from ...domain.text import safe_line
from ...domain.worktime import format_minutes, total_minutes
from ...service import Delivery
from ...settings.i18n import _
from ...settings.i18n import label as tr
from ...store.base import Capability
from ..jobs import call_store
from ..widgets.conversation import Conversation
from ..widgets.countdown import Countdown, WorkingTime
from ..widgets.customer import CustomerTable
from ..widgets.details import DetailsScroll
from ..widgets.footer import HelpdeskFooter
from ..widgets.links import LinksTable
from ..widgets.presence import PresenceStrip
from ..widgets.status_line import StatusLine
from ..widgets.suggestion import (
    TRIAGE_ACTIONS,
    SimilarTable,
    SuggestionBar,
    triage_bindings,
)
from .attachment import AttachmentScreen, Preview, human_size, read_preview
from .copying import offer_copy
from .dialogs import ChoiceScreen, on_answer
from .ticket_actions import on_ticket
from .ticket_triage import TicketTriage
from .ticket_view import WHEN_CELLS, history_rows, ticket_details, ticket_summary

Loaded = tuple[Ticket, list[Comment], list[AuditEntry], list[Delivery | None]]
"""A ticket, its conversation, its history, and the mail state of each message."""


_NEEDS = {
    "attach": Capability.ATTACHMENTS,
    "csat": Capability.CSAT,
    "watch": Capability.WATCHERS,
    "merge": Capability.MERGE,
}
"""Actions that only some backends offer, and the capability each needs."""


class TicketScreen(TicketTriage):
    BINDINGS = [
        Binding("escape,backspace", "back", _("Back"), id="ticket.back"),
        Binding("r", "reply", _("Reply"), id="ticket.reply"),
        Binding("n", "note", _("Note"), id="ticket.note"),
        Binding("s", "status", _("Status"), id="ticket.status"),
        Binding("p", "priority", _("Priority"), id="ticket.priority"),
        Binding("y", "type", _("Type"), show=False, id="ticket.type"),
        Binding("E", "edit", _("Edit fields"), show=False, id="ticket.edit"),
        Binding("m", "merge", _("Merge into"), show=False, id="ticket.merge"),
        Binding("L", "link", _("Link"), show=False, id="ticket.link"),
        Binding("U", "unlink", _("Unlink"), show=False, id="ticket.unlink"),
        Binding("O", "outage", _("Outage update"), show=False, id="ticket.outage"),
        Binding("a", "assign", _("Assign"), show=False, id="ticket.assign"),
        Binding("t", "take", _("Take"), id="ticket.take"),
        Binding("w", "watch", _("Watch"), show=False, id="ticket.watch"),
        Binding("e", "escalate", _("Escalate"), id="ticket.escalate"),
        Binding("l", "lead_review", _("Lead review"), show=False, id="ticket.lead_review"),
        Binding("d", "decide", _("Decide"), show=False, id="ticket.decide"),
        Binding("A", "attach", _("Attach"), show=False, id="ticket.attach"),
        Binding("f", "files", _("Files"), show=False, id="ticket.files"),
        Binding("c", "csat", _("CSAT"), show=False, id="ticket.csat"),
        Binding("R,ctrl+r", "refresh", _("Refresh"), show=False, id="ticket.refresh"),
        Binding(
            "exclamation_mark",
            "shell_note",
            _("Command as note"),
            show=False,
            id="ticket.shell_note",
        ),
        Binding("Y", "copy", _("Copy"), show=False, id="ticket.copy"),
        Binding(
            "1", "tab('conversation')", _("Conversation"), show=False, id="ticket.tab_conversation"
        ),
        Binding("2", "tab('history')", _("History"), show=False, id="ticket.tab_history"),
        Binding("3", "tab('details')", _("Details"), show=False, id="ticket.tab_details"),
        Binding("4", "tab('similar')", _("Similar"), show=False, id="ticket.tab_similar"),
        Binding("5", "tab('customer')", _("Customer"), show=False, id="ticket.tab_customer"),
        Binding("6", "tab('links')", _("Links"), show=False, id="ticket.tab_links"),
        *triage_bindings("ticket"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self._shown: Loaded | None = None
        self._load_failed_last = False
        """The last read failed: the screen says so until a read succeeds."""
        self._loading = False
        self._load_next: bool | None = None
        """A read asked for while one runs (None: none); True if only a live one."""

    def compose(self) -> ComposeResult:
        yield Static(
            Text(_("{key}  loading…").format(key=self.key)),
            id="ticket-title",
            classes="screen-title",
        )
        yield Static(id="ticket-summary")
        yield PresenceStrip(self.key, id="ticket-presence")
        yield Horizontal(id="sla-line")
        yield WorkingTime(None, self.service.policy, self.service.clock, id="sla-detail")
        yield SuggestionBar(id="ticket-suggestion")
        with TabbedContent(id="tabs"):
            with TabPane(_("Conversation"), id="conversation"):
                yield Conversation(id="conversation-view")
            with TabPane(_("History"), id="history"):
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            with TabPane(_("Details"), id="details"), DetailsScroll(id="details-scroll"):
                yield Static(id="details-view")
            with TabPane(_("Similar"), id="similar"):
                yield SimilarTable(id="similar-table")
            with TabPane(_("Customer"), id="customer"):
                yield CustomerTable(self.service.policy, self.service.clock, id="customer-table")
            with TabPane(_("Links"), id="links"):
                yield LinksTable(self.service.policy, self.service.clock, id="links-table")
        yield StatusLine(id="status")
        yield HelpdeskFooter()

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        table.add_columns(_("When (UTC)"), _("What"))
        self.load()
        self.every(1.0, self._tick)
        waiting = self.drafts.pending(self.key)
        if waiting:
            if len(waiting) > 1:
                text = _("Unsent reply and note draft saved for {key}: press r to continue it.")
            elif "reply" in waiting:
                text = _("Unsent reply draft saved for {key}: press r to continue it.")
            else:
                text = _("Unsent note draft saved for {key}: press n to continue it.")
            self.notify(text.format(key=self.key), timeout=8)

    # ------------------------------------------------------------------ load

    def load(self, live: bool = False) -> None:
        """Read the ticket, its conversation and history, and show them. `live`: because
        of a change seen in the store, which may not be this ticket's."""
        if self._loading:
            # One read at a time, and none cancelled (a cancelled worker fails whoever
            # waits on the workers): the next starts when this one is done, as this one
            # may have read before the change that asks for another.
            self._load_next = live and self._load_next is not False
            return
        self._loading = True
        service, key = self.service, self.key
        seen = None if self._load_failed_last else self._shown
        self._changed_while_writing = False

        def fetch() -> Loaded | None:
            ticket = service.get(key)
            # Every change to a ticket moves its version, but for mail going out
            # (delivery is recorded beside the ticket, never a conflict): the same
            # version is re-read only if a message's mail state moved.
            if (
                live
                and seen is not None
                and ticket.version == seen[0].version
                and service.conversation_mail(key, seen[1]) == seen[3]
            ):
                return None
            comments = service.conversation_of(ticket)
            mail = service.conversation_mail(key, comments)
            return ticket, comments, service.history_of(ticket), mail

        def arrived(loaded: Loaded | None) -> None:
            self._loading = False
            self.call_later(self._load_queued)
            if loaded is None:
                return
            if live and self._writing:
                self._changed_while_writing = True  # the write re-reads when it is done
            elif live and not self.is_active:
                # A dialog opened meanwhile: its action is based on what it was opened on.
                self.remember_change(frozenset({key}))
            else:
                self._show(loaded)

        def failed(exc: Exception) -> None:
            self._loading = False
            self.call_later(self._load_queued)
            self._load_failed(exc)

        call_store(
            self,
            fetch,
            arrived,
            failed,
            group="ticket-load",
            what=_("loading {key}").format(key=key),
        )

    def _load_queued(self) -> None:
        live, self._load_next = self._load_next, None
        if live is not None:
            self.load(live)

    def live_changed(self, keys: frozenset[str] | None) -> None:
        mine = (self.ticket.key if self.ticket else self.key).upper()
        if keys is not None and all(key.upper() != mine for key in keys):
            return
        if self._writing:
            self._changed_while_writing = True
        else:
            self.load(live=True)

    def _load_failed(self, exc: Exception) -> None:
        self._load_failed_last = True
        self.query_one(StatusLine).say(
            _("{key}: {error}").format(key=self.key, error=exc), error=True
        )
        if self.ticket is None:
            self.drop_typed_ahead()  # what it was for is not on screen
            self.query_one("#ticket-title", Static).update(
                Text(_("{key}  could not be loaded").format(key=self.key))
            )

    def _show(self, loaded: Loaded) -> None:
        ticket, comments, history, mail = loaded
        before, self._shown = self._shown, loaded
        self._load_failed_last = False
        first_load = self.ticket is None
        self.ticket = ticket
        title = Text()
        title.append(f"{safe_line(ticket.key)}  ", style="bold")
        title.append(safe_line(ticket.subject))
        self.query_one("#ticket-title", Static).update(title)
        summary = ticket_summary(ticket, self.service.me.username)
        self.query_one("#ticket-summary", Static).update(summary)
        # Parts that did not change are left alone: a re-read after someone else's change
        # (or our own, seen twice) must not move what the agent is reading.
        if before is None or before[0] != ticket:
            self._show_sla(ticket)
        conversation = self.query_one(Conversation)
        if before is None or before[:2] != loaded[:2] or before[3] != mail:
            y, at_end = conversation.scroll_y, conversation.scroll_y >= conversation.max_scroll_y
            conversation.show(ticket, comments, mail)  # scrolls to the newest message
            if before is not None and not at_end:
                # The agent was reading further up: stay there (after show's scroll).
                conversation.call_after_refresh(conversation.scroll_to, y=y, animate=False)
        if first_load:
            conversation.focus()
            self.open_typed_ahead()
        if before is None or before[2] != history:
            table = self.query_one("#history-table", DataTable)
            row, last = table.cursor_row, table.row_count - 1
            self._show_history(history, comments)  # the cursor goes to the newest entry
            if before is not None and row < last:
                table.move_cursor(row=row)  # unless the agent was on an older one
        self.query_one("#details-view", Static).update(ticket_details(ticket))
        line = _("v{version} · updated {time} UTC · {count} messages").format(
            version=ticket.version,
            time=f"{ticket.updated_at:%Y-%m-%d %H:%M}",
            count=len(comments),
        )
        spent = total_minutes(c.minutes for c in comments)
        if spent:
            line += " · " + _("{time} spent").format(time=format_minutes(spent))
        self.query_one(StatusLine).say(line)
        self._load_triage(ticket)
        self._load_customer(ticket)
        self._load_links(ticket)

    def _show_sla(self, ticket: Ticket) -> None:
        line = self.query_one("#sla-line", Horizontal)
        line.remove_children()
        widgets: list[Static | Countdown] = []
        for status in self.service.sla(ticket):
            widgets.append(Static(Text(f" {tr(status.kind.label)}: "), classes="sla-label"))
            widgets.append(Countdown(ticket, self.service.policy, self.service.clock, status.kind))
        if not widgets:
            widgets.append(Static(Text(" " + _("no SLA clock runs for this ticket"))))
        line.mount_all(widgets)
        self.query_one(WorkingTime).set_ticket(ticket)

    def _show_history(self, history: list[AuditEntry], comments: list[Comment]) -> None:
        """One row per action, its sentence wrapped to the screen's width."""
        table = self.query_one("#history-table", DataTable)
        table.clear()
        # The table's own width is 0 while its tab is hidden: the screen's is known.
        width = self.size.width - WHEN_CELLS - 6  # cell padding and the scrollbar
        for when, what in history_rows(history, comments, width):
            table.add_row(when, what, height=len(what.plain.splitlines()) or 1)
        table.move_cursor(row=max(0, table.row_count - 1))

    @on(events.Resize)
    def _rewrap_history(self) -> None:
        if self._shown is None:
            return
        table = self.query_one("#history-table", DataTable)
        row = table.cursor_row
        self._show_history(self._shown[2], self._shown[1])
        table.move_cursor(row=row)

    def _tick(self) -> None:
        for countdown in self.query(Countdown):
            countdown.tick()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # What the backend cannot do is hidden from the footer, help and palette, and its
        # key does nothing, rather than asking for input only to refuse it.
        if action in TRIAGE_ACTIONS:  # a key typed ahead may come before the bar is composed
            return any(bar.offering for bar in self.query(SuggestionBar))
        if action == "files":
            return bool(self._attachments())
        needs = _NEEDS.get(action)
        return needs is None or needs in self.service.capabilities

    def _attachments(self) -> list[Attachment]:
        comments = self._shown[1] if self._shown is not None else []
        return [a for comment in comments for a in comment.attachments if a.id is not None]

    def action_files(self) -> None:
        """Read one of the ticket's attachments on screen (asking which, if several)."""
        files = self._attachments()
        if not files:
            return
        if len(files) == 1:
            self._view(files[0])
            return
        options = [
            (f"{a.filename}  {human_size(a.size)} · {a.content_type}", str(index))
            for index, a in enumerate(files)
        ]
        self.app.push_screen(
            ChoiceScreen(_("Which file?"), options),
            on_answer(lambda index: self._view(files[int(index)])),
        )

    def _view(self, attachment: Attachment) -> None:
        key, service = self.key, self.service
        assert attachment.id is not None
        number = attachment.id

        def read() -> tuple[Path, Preview]:
            path = service.attachment_path(key, number)
            return path, read_preview(path)

        def show(found: tuple[Path, Preview]) -> None:
            self.app.push_screen(AttachmentScreen(attachment, *found))

        call_store(self, read, show, what=_("read {name}").format(name=attachment.filename))

    @on_ticket
    def action_copy(self, ticket: Ticket) -> None:
        offer_copy(self, ticket)

    def action_refresh(self) -> None:
        self.load()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        # Focus the pane's content so j/k and the arrows scroll what is shown.
        target = {
            "conversation": "#conversation-view",
            "history": "#history-table",
            "similar": "#similar-table",
            "customer": "#customer-table",
            "links": "#links-table",
        }.get(tab)
        if target:
            self.query_one(target).focus()
        else:
            self.query_one("#details-scroll").focus()

    def action_back(self) -> None:
        self.app.pop_screen()
