"""Tables of other tickets on a ticket's tabs (Customer, Links): enter opens one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from ...domain.sla import Policy


class TicketRows(DataTable[Text]):
    """Each row's key is a ticket's key (with "#..." after it where one ticket may be
    on two rows); a row without a key is a title or a hint."""

    class Opened(Message):
        def __init__(self, key: str) -> None:
            self.key = key
            super().__init__()

    def __init__(self, policy: Policy, clock: Callable[[], datetime], *, id: str | None = None):
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._policy, self._clock = policy, clock

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.Opened(event.row_key.value.split("#", 1)[0]))
