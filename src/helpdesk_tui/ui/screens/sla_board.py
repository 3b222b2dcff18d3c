"""The SLA board: every running clock, most urgent first, ticking every second.

It is the paged ticket table sorted by due time (overdue first), with the SLA column
up front. A tick repaints only the countdown cells whose text changed, so the board
writes a few bytes a second however many clocks it shows, and any number of clocks
costs what the screen shows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding

from ...domain.model import ACTIVE_STATUSES
from ...service.views import BREACHING_SOON
from ...settings.i18n import _
from ...store.base import COUNT_CAP, Page, Query, SortKey
from ..jobs import call_store
from ..widgets.footer import HelpdeskFooter
from ..widgets.status_line import StatusLine
from ..widgets.ticket_table import BOARD_COLUMNS, TicketTable
from ..widgets.title_bar import TitleBar
from .base import LiveScreen

REQUERY_EVERY = 15.0
"""Seconds between re-reading the board: clocks tick locally in between."""
RUNNING_HORIZON = timedelta(days=3650)
"""Paused clocks have no due time; a far bound keeps only the running ones."""


def running_clocks(now: datetime) -> Query:
    return Query(statuses=ACTIVE_STATUSES, due_before=now + RUNNING_HORIZON, sort=SortKey.URGENCY)


class SlaBoardScreen(LiveScreen):
    _counts: tuple[int, int] = (0, 0)

    BINDINGS = [
        Binding("escape", "app.go('queue')", _("Queue"), id="sla.back"),
        Binding("r,ctrl+r", "refresh", _("Refresh"), id="sla.refresh"),
    ]

    def compose(self) -> ComposeResult:
        service = self.helpdesk.service
        yield TitleBar(_("SLA board"), id="board-title")
        yield TicketTable(
            service.policy,
            service.clock,
            columns=BOARD_COLUMNS,
            selectable=False,
            id="board",
        )
        yield StatusLine()
        yield HelpdeskFooter()

    @property
    def table(self) -> TicketTable:
        return self.query_one(TicketTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.load()
        self.every(1.0, self.table.tick)
        self.every(REQUERY_EVERY, self.load)

    def load(self) -> None:
        service = self.helpdesk.service
        now = service.clock()
        query = replace(running_clocks(now), count_cap=COUNT_CAP)

        def fetch(offset: int, limit: int) -> Page:
            return service.query(query.page(offset, limit))

        self.table.load(fetch, keep_cursor=True)

        def counts() -> tuple[int, int]:
            return service.urgency_counts(Query(statuses=ACTIVE_STATUSES), BREACHING_SOON)

        call_store(
            self,
            counts,
            self._show_counts,
            group="board-counts",
            exclusive=True,
            what=_("SLA counts"),
        )

    def on_ticket_table_loaded(self, message: TicketTable.Loaded) -> None:
        if message.error:
            self.query_one(StatusLine).say(
                _("store: {error}").format(error=message.error), error=True
            )
        self._show_title()

    def _show_counts(self, counts: tuple[int, int]) -> None:
        self._counts = counts
        self._show_title()
        self.query_one(StatusLine).say(
            _("read at {time} UTC · clocks tick every second · re-read every {seconds}s").format(
                time=f"{self.helpdesk.service.clock():%H:%M:%S}", seconds=f"{REQUERY_EVERY:.0f}"
            )
        )

    def _show_title(self) -> None:
        breached, soon = self._counts
        self.query_one(TitleBar).show(
            Text(
                _(
                    "SLA board · {total} running clocks · {breached:,} breached · "
                    "{soon:,} due within 30 min · most urgent first"
                ).format(total=self.table.counted(), breached=breached, soon=soon)
            )
        )

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.load()

    def action_refresh(self) -> None:
        self.load()
