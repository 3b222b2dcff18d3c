"""The SLA board: every running clock, most urgent first, ticking every second.

Each countdown is its own widget and repaints only when its text changes, so the
board writes a few bytes a second however many clocks it shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...domain import sla
from ...domain.model import ACTIVE_STATUSES, Ticket
from ...domain.text import safe_line
from ...store.base import Page, Query, SortKey
from ..jobs import call_store
from ..widgets.countdown import Countdown
from ..widgets.status_line import StatusLine

if TYPE_CHECKING:
    from ..app import HelpdeskApp

SHOWN = 100
"""The most urgent clocks shown; the title says how many run in all."""
REQUERY_EVERY = 15.0


class BoardRow(Horizontal, can_focus=True):
    DEFAULT_CSS = """
    BoardRow { height: 1; }
    BoardRow:focus { background: $accent 30%; }
    BoardRow > .board-key { width: 9; }
    BoardRow > .board-priority { width: 3; }
    BoardRow > .board-target { width: 15; color: $text-muted; }
    BoardRow > Countdown { width: 9; }
    BoardRow > .board-who { width: 11; }
    BoardRow > .board-subject { width: 1fr; }
    """

    def __init__(self, ticket: Ticket, status: sla.TargetStatus, owner: SlaBoardScreen) -> None:
        super().__init__()
        self.ticket = ticket
        self.target = status
        self.owner = owner

    def compose(self) -> ComposeResult:
        t = self.ticket
        yield Static(Text(t.key), classes="board-key")
        yield Static(
            Text(t.priority.short, style="bold" if t.priority.rank <= 2 else ""),
            classes="board-priority",
        )
        yield Countdown(t, self.owner.service.policy, self.owner.service.clock, self.target.kind)
        yield Static(Text(self.target.kind.label), classes="board-target")
        yield Static(Text(safe_line(t.assignee or "—")), classes="board-who")
        yield Static(
            Text(safe_line(t.subject), no_wrap=True, overflow="ellipsis"), classes="board-subject"
        )


class SlaBoardScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.go('queue')", "Queue", id="sla.back"),
        Binding("down,j", "app.focus_next", "Down", show=False, id="sla.down"),
        Binding("up,k", "app.focus_previous", "Up", show=False, id="sla.up"),
        Binding("enter", "open", "Open", id="sla.open"),
        Binding("r,ctrl+r", "refresh", "Refresh", id="sla.refresh"),
    ]

    @property
    def helpdesk(self) -> HelpdeskApp:
        return self.app  # type: ignore[return-value]

    @property
    def service(self):  # type: ignore[no-untyped-def]
        return self.helpdesk.service

    def compose(self) -> ComposeResult:
        yield Static(Text("SLA board"), id="board-title", classes="screen-title")
        yield Static(
            Text(" Key      Pri Remaining Target         Assignee    Subject"),
            classes="board-header",
        )
        yield VerticalScroll(id="board")
        yield StatusLine()
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.set_interval(1.0, self._tick)
        self.set_interval(REQUERY_EVERY, self.load)

    def load(self) -> None:
        service = self.service
        query = Query(statuses=ACTIVE_STATUSES, sort=SortKey.SLA_DUE, limit=SHOWN)

        def fetch() -> Page:
            return service.query(query)

        call_store(self, fetch, self._show, group="board", exclusive=True, what="SLA board")

    def _show(self, page: Page) -> None:
        board = self.query_one("#board", VerticalScroll)
        focused_key = self.focused.ticket.key if isinstance(self.focused, BoardRow) else None
        now = self.service.clock()
        rows: list[tuple[sla.TargetStatus, Ticket]] = []
        for ticket in page.tickets:
            due = sla.next_due(sla.evaluate(ticket, self.service.policy, now))
            if due is not None:
                rows.append((due, ticket))
        # Most urgent first: breached clocks by how late, then by what remains.
        rows.sort(key=lambda pair: pair[0].remaining)
        board.remove_children()
        board.mount_all([BoardRow(ticket, due, self) for due, ticket in rows])
        breached = sum(1 for due, _t in rows if due.state is sla.ClockState.BREACHED)
        at_risk = sum(1 for due, _t in rows if due.at_risk and due.state is sla.ClockState.RUNNING)
        title = (
            f"SLA board · {len(rows)} running clocks shown of {page.total:,} open tickets · "
            f"{breached} breached · {at_risk} at risk"
        )
        self.query_one("#board-title", Static).update(Text(title))
        self.query_one(StatusLine).say(
            f"updated {now:%H:%M:%S} UTC · refreshes every {REQUERY_EVERY:.0f}s"
        )
        self.call_after_refresh(self._refocus, focused_key)

    def _refocus(self, key: str | None) -> None:
        rows = list(self.query(BoardRow))
        target = next((r for r in rows if r.ticket.key == key), rows[0] if rows else None)
        if target is not None:
            target.focus(scroll_visible=True)

    def _tick(self) -> None:
        for countdown in self.query(Countdown):
            countdown.tick()

    def action_open(self) -> None:
        if isinstance(self.focused, BoardRow):
            self.helpdesk.open_ticket(self.focused.ticket.key)

    def action_refresh(self) -> None:
        self.load()
