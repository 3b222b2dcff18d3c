"""A ticket list that holds only the rows on screen.

`DataTable` keeps every row it is given; a queue over a million tickets cannot. This
widget knows the total, draws lines on demand (the line API), and asks its owner for
blocks of rows as they scroll into view. Fetching happens in a worker: a block not
loaded yet draws as a dim placeholder line, never as a frozen screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from ...domain import sla
from ...domain.model import Priority, Ticket
from ...domain.sla import Policy
from ...domain.text import safe_line
from ...service.views import PAGE_ROWS
from ...settings.i18n import _, ngettext
from ...settings.i18n import label as tr
from ...store.base import Page
from ..context import app_context
from ..labels import counted
from .countdown import ticket_sla_text

MAX_BLOCKS = 4
"""Blocks kept, the farthest from the cursor dropped first: what is on screen (two
blocks at most, on the tallest terminal) and one either side, so the table holds 400
tickets however far one scrolls and however many match."""

Fetch = Callable[[int, int], Page]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int
    keep: int
    """Lower keeps longer: columns with the highest value go first when space is short."""
    flex: bool = False
    words: bool = False
    """Free text: cut between words, with "…", where it does not fit."""


COLUMNS = {
    c.key: c
    for c in (
        Column("mark", "", 1, 0),
        Column("key", _("Key"), 8, 0),
        Column("priority", _("Pri"), 3, 0),
        Column("subject", _("Subject"), 20, 0, flex=True),
        # "-154d23h", "Mon 09:31", "12-28 09:31": sla.clock_cell's longest.
        Column("sla", _("SLA"), 11, 1),
        Column("target", _("Target"), 14, 4),
        Column("status", _("Status"), 9, 2),
        Column("assignee", _("Assignee"), 10, 3),
        Column("tier", _("T"), 2, 4),
        Column("type", _("Type"), 11, 6),
        Column("requester", _("Requester / Org"), 22, 5),
        Column("escalated_by", _("By"), 11, 3),  # "SLA:default" whole
        Column("escalation_reason", _("Reason"), 20, 0, flex=True, words=True),
    )
}
QUEUE_COLUMNS = (
    "mark",
    "key",
    "priority",
    "subject",
    "sla",
    "status",
    "assignee",
    "tier",
    "type",
    "requester",
)
BOARD_COLUMNS = ("key", "priority", "sla", "target", "tier", "assignee", "status", "subject")
ESCALATION_COLUMNS = ("key", "priority", "sla", "escalated_by", "escalation_reason", "subject")
"""F3: who escalated and why, beside what it is about."""


def layout(
    width: int, keys: Sequence[str] = QUEUE_COLUMNS, key_cells: int = 0
) -> list[tuple[Column, int, int]]:
    """Which columns fit in `width` cells: (column, x, width) for each, left to right.
    `key_cells`: the longest key to show, which the key column widens to (never cut:
    "HD-99935" for HD-999351 is another ticket)."""
    chosen = [COLUMNS[k] for k in keys]
    if key_cells > COLUMNS["key"].width:
        wide = replace(COLUMNS["key"], width=key_cells)
        chosen = [wide if c.key == "key" else c for c in chosen]
    while sum(c.width + 1 for c in chosen) > width and any(c.keep for c in chosen):
        chosen.remove(max(chosen, key=lambda c: c.keep))
    fixed = sum(c.width + 1 for c in chosen if not c.flex)
    # The room left is shared by the flexible columns (F3's: reason and subject).
    flexible = sum(1 for c in chosen if c.flex)
    share, extra = divmod(width - fixed - flexible, max(1, flexible))
    placed = []
    x = 0
    for column in chosen:
        if column.flex:
            w = max(column.width, share + (1 if extra > 0 else 0))
            extra -= 1
        else:
            w = column.width
        placed.append((column, x, w))
        x += w + 1
    return placed


_TYPE_SHORT = {
    "incident": _("incident"),
    "service_request": _("service"),
    "access_request": _("access"),
    "change_request": _("change"),
    "information_request": _("info"),
    "complaint": _("complaint"),
}


def fit_words(text: str, width: int) -> str:
    """`text` in exactly `width` cells: whole, or cut after its last word that fits,
    with "…" (a single word longer than the cell is cut inside it)."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    head = set_cell_size(text, max(0, width - 1)).rstrip()  # a prefix of `text`
    if head[-1:].isalnum() and text[len(head)].isalnum():  # inside a word: drop its start
        space = head.rfind(" ")
        if space > 0:
            head = head[:space]
    return set_cell_size(head.rstrip(" ,;:.-") + "…", width)


def _plain_cell(ticket: Ticket, key: str) -> str:
    """The text of a column that has no style and needs no clock."""
    if key == "key":
        return safe_line(ticket.key)
    if key == "subject":
        return safe_line(ticket.subject)
    if key == "escalated_by":
        return safe_line(sla.actor_short(ticket.escalated_by or "—"))
    if key == "escalation_reason":
        return " ".join(safe_line(ticket.escalation_reason or "").split())
    if key == "status":
        return tr(ticket.status.label)
    if key == "assignee":
        return safe_line(ticket.assignee or "—")
    if key == "tier":
        return str(ticket.tier)
    if key == "type":
        return _TYPE_SHORT[ticket.type.value]
    if key == "requester":
        return safe_line(ticket.organization or ticket.requester_name or ticket.requester_email)
    return ""


class TicketTable(ScrollView, can_focus=True):
    """Rows of tickets over a paged source; cursor, multi-select and a live SLA column."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", _("Up"), show=False, id="table.up"),
        Binding("down,j", "cursor(1)", _("Down"), show=False, id="table.down"),
        Binding("pageup,ctrl+b", "page(-1)", _("Page up"), show=False, id="table.page_up"),
        Binding("pagedown,ctrl+f", "page(1)", _("Page down"), show=False, id="table.page_down"),
        Binding("home,g", "first", _("First"), show=False, id="table.first"),
        Binding("end,G", "last", _("Last"), show=False, id="table.last"),
        Binding("space,x", "toggle_mark", _("Select"), id="table.select"),
        Binding("enter", "open", _("Open"), id="table.open"),
    ]

    COMPONENT_CLASSES = {
        "ticket-table--header",
        "ticket-table--cursor",
        "ticket-table--marked",
        "ticket-table--critical",
        "ticket-table--high",
        "ticket-table--at-risk",
        "ticket-table--breached",
        "ticket-table--paused",
        "ticket-table--met",
        "ticket-table--placeholder",
        "ticket-table--done",
    }

    DEFAULT_CSS = """
    TicketTable { height: 1fr; }
    """

    class Loaded(Message):
        """A block arrived (or failed); the owner shows counts and status."""

        def __init__(self, total: int, error: str | None = None) -> None:
            self.total = total
            self.error = error
            super().__init__()

    class _Block(Message):
        def __init__(self, generation: int, offset: int, page: Page | None, error: str | None):
            self.generation = generation
            self.offset = offset
            self.page = page
            self.error = error
            super().__init__()

    def __init__(
        self,
        policy: Policy,
        clock: Callable[[], datetime],
        *,
        columns: Sequence[str] = QUEUE_COLUMNS,
        selectable: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.selectable = selectable
        """Whether `space` selects rows: only where a bulk action uses the selection (the
        queue). Elsewhere the footer offered `space Select` for a key that did nothing."""
        self.policy = policy
        self.clock = clock
        self.columns = tuple(columns)
        self._key_cells = 0
        """The longest key read: the key column's width (it only grows: no shifting)."""
        self._sla_shown: dict[int, tuple[str, str]] = {}
        """What each visible row's SLA cell shows, so a tick repaints only changed cells."""
        self._fetch: Fetch | None = None
        self._generation = 0
        self._blocks: dict[int, list[Ticket]] = {}
        self._stale: dict[int, list[Ticket]] = {}
        self._loaded = False
        """Rows of the previous read, drawn until their block is read again."""
        self._pending: set[int] = set()
        self.total = 0
        self.capped = False
        """More tickets match than were counted (the list's COUNT_CAP): say "10,000+"."""
        self.cursor = 0
        self.marked: set[str] = set()
        self.error: str | None = None
        self.empty_text: str | None = None
        """Why nothing matches, where its screen knows more than "No tickets in this
        view." (a search or a filter narrowed the view)."""

    def clear_marks(self) -> None:
        """Unselect every ticket, on screen too: a re-read with `keep_cursor` repaints
        only the rows whose ticket changed, and a row a bulk write left as it was (it
        had that priority already) kept its ●."""
        if self.marked:
            self.marked.clear()
            self.refresh()

    # ----------------------------------------------------------- data source

    def load(self, fetch: Fetch, keep_cursor: bool = False, at_hand: Page | None = None) -> None:
        """Show a new query (or the same one again), fetching from the row under the cursor.

        With `keep_cursor` the rows already on screen stay until fresh ones arrive, and
        only lines whose ticket changed are repainted: a periodic re-read of an unchanged
        queue writes nothing to the terminal. `at_hand` is the query's first block where
        it is known already (a launch's first rows): shown now, not fetched.
        """
        self._fetch = fetch
        self._generation += 1
        self._pending.clear()
        if keep_cursor:
            self._stale = dict(self._blocks)
        else:
            self._stale = {}
            self.cursor = 0
            self.marked.clear()
            self.scroll_to(y=0, animate=False)
            self.refresh()
        self._blocks.clear()
        if at_hand is not None:
            # Through the table's own queue, not a worker: no thread to wait for, and
            # the table is then the Loaded message's sender, which the app hears too.
            self._pending.add(0)
            self.post_message(self._Block(self._generation, 0, at_hand, None))
        self._request(self._block_of(self.cursor))
        top = self._block_of(int(self.scroll_y))
        if top != self._block_of(self.cursor):
            self._request(top)

    def _block_of(self, row: int) -> int:
        return (row // PAGE_ROWS) * PAGE_ROWS

    def _request(self, offset: int) -> None:
        if self._fetch is None or offset in self._pending or offset in self._blocks:
            return
        self._pending.add(offset)
        self._fetch_block(self._fetch, self._generation, offset)

    @work(thread=True, group="ticket-table", exit_on_error=False)
    def _fetch_block(self, fetch: Fetch, generation: int, offset: int) -> None:
        worker = get_current_worker()
        try:
            page = fetch(offset, PAGE_ROWS)
        except Exception as exc:  # any store failure becomes a status line
            if not worker.is_cancelled:
                self.post_message(self._Block(generation, offset, None, str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(self._Block(generation, offset, page, None))

    def on_ticket_table__block(self, message: _Block) -> None:
        message.stop()
        if message.generation != self._generation:
            return  # an answer to a query nobody looks at any more
        self._pending.discard(message.offset)
        if message.page is None:
            self.error = message.error
            self.post_message(self.Loaded(self.total, message.error))
            self.refresh()
            return
        self.error = None
        self._loaded = True
        old = self._stale.pop(message.offset, None)
        new = message.page.tickets
        self._blocks[message.offset] = new
        longest = max((cell_len(t.key) for t in new), default=0)
        widened = longest > self._key_cells
        self._key_cells = max(self._key_cells, longest)
        while len(self._blocks) > MAX_BLOCKS:
            farthest = max(self._blocks, key=lambda o: abs(o - self.cursor))
            del self._blocks[farthest]
        self.capped = message.page.capped
        resized = message.page.total != self.total
        if resized:
            self.total = message.page.total
            self.virtual_size = Size(self.size.width, self.total + 1)
        self.cursor = min(self.cursor, max(0, self.total - 1))
        self.post_message(self.Loaded(self.total))
        if old is None or resized or widened:
            self.refresh()
        else:
            self._refresh_changed(message.offset, old, new)

    def _refresh_changed(self, offset: int, old: list[Ticket], new: list[Ticket]) -> None:
        top = int(self.scroll_y)
        for index in range(max(len(old), len(new))):
            before = old[index] if index < len(old) else None
            after = new[index] if index < len(new) else None
            if before != after:
                y = offset + index - top + 1
                if 1 <= y < self.size.height:
                    self.refresh(Region(0, y, self.size.width, 1))

    def counted(self) -> str:
        """The row count as a title says it: "10,000+" past the count's cap."""
        return counted(self.total, self.capped)

    def counted_tickets(self) -> str:
        """The count with its noun, as the title and the status line say it: "1 ticket",
        "12 tickets", "10,000+ tickets"."""
        return ngettext("{count} ticket", "{count} tickets", self.total).format(
            count=self.counted()
        )

    def ticket_at(self, row: int) -> Ticket | None:
        offset = self._block_of(row)
        block = self._blocks.get(offset)
        if block is None:
            block = self._stale.get(offset)
        if block is None:
            return None
        index = row - offset
        return block[index] if index < len(block) else None

    @property
    def current(self) -> Ticket | None:
        return self.ticket_at(self.cursor)

    @property
    def held(self) -> int:
        """How many tickets the table holds in memory (at most MAX_BLOCKS blocks)."""
        return sum(map(len, self._blocks.values())) + sum(map(len, self._stale.values()))

    def visible_tickets(self) -> list[Ticket]:
        top = int(self.scroll_y)
        rows = range(top, min(self.total, top + self.size.height))
        return [t for t in (self.ticket_at(r) for r in rows) if t is not None]

    def replace_ticket(self, ticket: Ticket) -> None:
        """Show a ticket's new state in place (after this agent changed it)."""
        for block in self._blocks.values():
            for index, row in enumerate(block):
                if row.key == ticket.key:
                    block[index] = ticket
                    self.refresh()
                    return

    # ------------------------------------------------------------- rendering

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.total + 1)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header(width)
        row = int(self.scroll_y) + y - 1
        if row >= self.total:
            if row == 0 and self.total == 0:
                empty = self.empty_text or _("No tickets in this view.")
                text = self.error or (empty if self._loaded else _("loading…"))
                line = set_cell_size(f" {text}", width)
                return Strip([Segment(line, self._style("placeholder"))])
            return Strip.blank(width, self.rich_style)
        if self._block_of(row) not in self._blocks:
            self._request(self._block_of(row))
        ticket = self.ticket_at(row)
        if ticket is None:
            return Strip([Segment(" …".ljust(width), self._style("placeholder"))])
        return self._row(ticket, row, width)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"ticket-table--{name}", partial=True)

    def _header(self, width: int) -> Strip:
        style = self.rich_style + self._style("header")
        # Every title fits its column in every language (tests/ui/test_headers.py); a
        # narrower flexible column still cuts between words, never inside one.
        text = " ".join(
            fit_words(c.title, w) for c, _x, w in layout(width, self.columns, self._key_cells)
        )
        return Strip([Segment(text.ljust(width)[:width], style)])

    def _row(self, ticket: Ticket, row: int, width: int) -> Strip:
        base = self.rich_style
        if ticket.status.is_active is False:
            base += self._style("done")
        if ticket.key in self.marked:
            base += self._style("marked")
        if row == self.cursor and self.has_focus:
            base += self._style("cursor")
        elif row == self.cursor:
            base += self._style("cursor") + Style(dim=True)
        segments: list[Segment] = []
        for column, _x, w in layout(width, self.columns, self._key_cells):
            text, style = self._cell(ticket, column.key, row)
            # Cut and pad by terminal cells: a CJK character takes two, len() counts one.
            cell = fit_words(text, w) if column.words else set_cell_size(text, w)
            segments.append(Segment(cell, base + style if style else base))
            segments.append(Segment(" ", base))
        strip = Strip(segments)
        return strip.crop_extend(0, width, base)

    def _cell(self, ticket: Ticket, key: str, row: int) -> tuple[str, Style | None]:
        if key == "mark":
            return ("●" if ticket.key in self.marked else " "), None
        if key == "priority":
            style = {
                Priority.CRITICAL: self._style("critical"),
                Priority.HIGH: self._style("high"),
            }.get(ticket.priority)
            return ticket.priority.short, style
        if key == "sla":
            text, state = self._sla_state(ticket)
            self._sla_shown[row] = (text, state)
            return text, self._style(state) if state else None
        if key == "target":
            due = sla.next_due(sla.evaluate(ticket, self.policy, self.clock()))
            return (tr(due.kind.label) if due else "—"), None
        return _plain_cell(ticket, key), None

    def _sla_state(self, ticket: Ticket) -> tuple[str, str]:
        """The SLA cell's text and its style name ("" for a plain running clock)."""
        now = self.clock()
        cell = ticket_sla_text(ticket, sla.evaluate(ticket, self.policy, now), now)
        return cell.text, "" if cell.tone == "running" else cell.tone

    def tick(self) -> None:
        """Once a second: repaint the SLA cells whose text changed, and nothing else."""
        placed = [
            p for p in layout(self.size.width, self.columns, self._key_cells) if p[0].key == "sla"
        ]
        if not placed:
            return
        _column, x, w = placed[0]
        top = int(self.scroll_y)
        for y in range(1, self.size.height):
            row = top + y - 1
            ticket = self.ticket_at(row)
            if ticket is None:
                continue
            shown = self._sla_state(ticket)
            if self._sla_shown.get(row) != shown:
                self._sla_shown[row] = shown
                self.refresh(Region(x, y, w, 1))

    # ------------------------------------------------------------ navigation

    def _move_to(self, row: int) -> None:
        if self.total == 0:
            return
        self.cursor = max(0, min(self.total - 1, row))
        height = max(1, self.size.height - 1)
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= self.scroll_y + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)
        self._request(self._block_of(self.cursor))
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self._move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor + direction * max(1, self.size.height - 2))

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(self.total - 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False, not None: the key is left out of the footer, not shown dimmed.
        if action == "toggle_mark":
            return self.selectable
        return True

    def action_toggle_mark(self) -> None:
        ticket = self.current
        if ticket is None:
            return
        self.marked ^= {ticket.key}
        self._move_to(self.cursor + 1)

    def action_open(self) -> None:
        # Opened while enter is handled, not through a message the screen reads later:
        # the ticket's screen is then up before the next key typed ahead is read, which
        # would otherwise act on the list (Enter then m over a slow link).
        ticket = self.current
        if ticket is not None:
            app_context(self).open_ticket(ticket.key)

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_y) + event.y - 1
        if event.y >= 1 and row < self.total:
            self._move_to(row)
            if event.chain == 2:
                self.action_open()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
