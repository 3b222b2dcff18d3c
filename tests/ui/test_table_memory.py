"""A list holds what is on screen, not what matches: scrolled through 50,000 rows, the
ticket table keeps at most MAX_BLOCKS blocks of tickets, and the rows it dropped are
read again when the cursor comes back to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from helpdesk_tui.domain.model import Ticket
from helpdesk_tui.service.views import PAGE_ROWS
from helpdesk_tui.settings.policies import load_builtin
from helpdesk_tui.store.base import Page
from helpdesk_tui.ui.widgets.ticket_table import MAX_BLOCKS, TicketTable
from tests.ui.support import settle

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
ROWS = 50_000


def _ticket(row: int) -> Ticket:
    return Ticket(
        key=f"HD-{row + 1}",
        subject=f"row {row}",
        description="",
        requester_name="Ada",
        requester_email="ada@example.com",
        created_at=NOW - timedelta(minutes=row),
        updated_at=NOW,
    )


class _Table(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[int] = []

    def compose(self) -> ComposeResult:
        yield TicketTable(load_builtin("default"), lambda: NOW)

    def fetch(self, offset: int, limit: int) -> Page:
        self.reads.append(offset)
        rows = range(offset, min(ROWS, offset + limit))
        return Page([_ticket(r) for r in rows], ROWS, offset, limit)


async def test_scrolling_far_keeps_only_the_blocks_near_the_cursor() -> None:
    app = _Table()
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one(TicketTable)
        table.load(app.fetch)
        await settle(pilot)
        for _ in range(30):
            await pilot.press("pagedown")
            await settle(pilot)
        assert table.cursor > 8 * PAGE_ROWS  # nine blocks read on the way
        # What is on screen and a block either side, never the rows scrolled past.
        assert MAX_BLOCKS <= 4
        assert 0 < table.held <= MAX_BLOCKS * PAGE_ROWS
        await pilot.press("G")
        await settle(pilot)
        assert table.current is not None and table.current.key == f"HD-{ROWS}"
        assert table.held <= MAX_BLOCKS * PAGE_ROWS
        # Back at the top, the first block was dropped long ago: it is read again.
        reads = len(app.reads)
        await pilot.press("g")
        await settle(pilot)
        assert table.current is not None and table.current.key == "HD-1"
        assert 0 in app.reads[reads:]
