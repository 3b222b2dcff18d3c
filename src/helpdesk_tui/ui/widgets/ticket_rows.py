"""Tables of other tickets on a ticket's tabs (Customer, Links, Similar): enter opens one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from ...domain.sla import Policy
from ..context import app_context


class OpeningRows(DataTable[Text]):
    """A table whose rows are tickets: each row's key is a ticket's key (with "#..."
    after it where one ticket may be on two rows); a row without a key is a title or a
    hint. Enter, or a click on the row under the cursor, opens the ticket."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def action_select_cursor(self) -> None:
        # Opened while enter is handled, not through a message the screen reads later:
        # the ticket's screen is then up before a key typed ahead is read, which would
        # otherwise act on the ticket this table is shown on (enter then r).
        if self.row_count:
            row_key, _column = self.coordinate_to_cell_key(self.cursor_coordinate)
            self._open(row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # a click; enter opens in action_select_cursor
        self._open(event.row_key.value)

    def _open(self, row_key: str | None) -> None:
        if row_key:
            app_context(self).open_ticket(row_key.split("#", 1)[0])


class TicketRows(OpeningRows):
    """Other tickets with their SLA state (Customer, Links)."""

    def __init__(self, policy: Policy, clock: Callable[[], datetime], *, id: str | None = None):
        super().__init__(id=id)
        self._policy, self._clock = policy, clock
