"""A key is never cut in a list: at a million tickets "HD-999351" is nine cells, and the
key column's eight showed "HD-99935", another ticket's key."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import App, ComposeResult

from helpdesk_tui.domain.model import Ticket
from helpdesk_tui.settings.policies import load_builtin
from helpdesk_tui.store.base import Page
from helpdesk_tui.ui.widgets.ticket_table import COLUMNS, TicketTable
from tests.ui.support import settle

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
ROWS = 300


def _ticket(row: int) -> Ticket:
    # The first block's keys fit the column; further down they do not.
    number = 9_999_990 + row if row >= 100 else 99_990 + row
    return Ticket(
        key=f"HD-{number}",
        subject=f"row {row}",
        description="",
        requester_name="Ada",
        requester_email="ada@example.com",
        created_at=NOW,
        updated_at=NOW,
    )


class _Table(App[None]):
    def compose(self) -> ComposeResult:
        yield TicketTable(load_builtin("default"), lambda: NOW)

    def fetch(self, offset: int, limit: int) -> Page:
        rows = range(offset, min(ROWS, offset + limit))
        return Page([_ticket(r) for r in rows], ROWS, offset, limit)


def _lines(table: TicketTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_the_key_column_widens_to_the_longest_key_and_stays() -> None:
    app = _Table()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(TicketTable)
        table.load(app.fetch)
        await settle(pilot)
        assert COLUMNS["key"].width == len("HD-99990")
        header, first = _lines(table)[:2]
        assert "HD-99990 " in first and header.index("Pri") == first.index("P", 10)
        await pilot.press("G")  # the last rows: ten-cell keys
        await settle(pilot)
        lines = _lines(table)
        header, last = lines[0], next(line for line in lines if "HD-10000289" in line)
        assert "HD-10000289 " in last  # whole, and a space before the next column
        assert header.index("Pri") == last.index("P", 12)
        # Back at the top, the column keeps its width: no shift while scrolling.
        await pilot.press("g")
        await settle(pilot)
        header, first = _lines(table)[:2]
        assert "HD-99990    " in first and header.index("Pri") == first.index("P", 12)
